from airflow_openai.hooks.openai import OpenAIHook

__all__ = ["OpenAIHook"]
