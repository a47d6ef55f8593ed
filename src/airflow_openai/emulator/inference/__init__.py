"""`/v1/chat/completions`, `/v1/completions`, `/v1/embeddings` and `/v1/models`: the built-in model
(`responder`), its parameter checks (`params`, also used by the provider) and the answers of fine-tuned models."""
