"""`/v1/vector_stores`, their files and file batches: bodies, lookups, what file search can read,
the lifecycle on the emulator clock, the dashboard pages and the control-plane fault."""
