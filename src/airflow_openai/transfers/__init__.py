"""Moving files between storage and OpenAI: sources of any kind, checks before sending, parallel parts."""
