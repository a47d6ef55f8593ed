"""One builder per OpenAI API call, grouped by resource. Each returns an `ApiCall`; the hook runs it."""
