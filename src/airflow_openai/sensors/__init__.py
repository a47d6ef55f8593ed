"""Sensors that wait on OpenAI resources."""
