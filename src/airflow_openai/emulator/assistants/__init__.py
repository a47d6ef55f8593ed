"""The Assistants API: `/v1/assistants`, `/v1/threads`, their messages, runs and run steps, the tool
calls a run asks for, the thread dashboard and the control-plane fault for runs."""
