"""A local OpenAI platform server: files, uploads, batches, fine-tuning and vector stores that really run,
no key, no bill.

from airflow_openai.emulator import Emulator

with Emulator() as emu:
    hook = OpenAIHook(settings=ClientSettings(api_key=emu.api_key, base_url=emu.base_url))
"""

from typing import Any

__all__ = ["Emulator", "main"]


def __getattr__(name: str) -> Any:
    """The server is imported only when asked for: `emulator.inference.params` stays light for the provider."""
    if name in __all__:
        from airflow_openai.emulator import server

        return getattr(server, name)
    raise AttributeError(name)
