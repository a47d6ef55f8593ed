"""`/v1/fine_tuning/jobs`: the plan, the training file checks, the lifecycle on the emulator clock, the
result files and fine-tuned models it makes, the dashboard pages and the control-plane routes."""
