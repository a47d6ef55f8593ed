"""Assistant runs: where a run stands, and waiting on it."""
