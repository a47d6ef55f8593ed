"""`/v1/batches`: input checks, the lifecycle that runs lines on the emulator clock, the dashboard pages
and the control-plane route that forces a batch into a state."""
