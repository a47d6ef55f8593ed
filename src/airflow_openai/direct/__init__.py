"""Direct calls: the records-to-results pipeline sent now, at the rate limit, without the Batch API."""
