"""Fine-tuning: checked training data in, a fine-tuned model out."""
