"""The Batch API job as plain logic: building and checking requests, deciding where a batch
stands, pacing polls, joining results. Operators, sensors, triggers and the hook share it."""
