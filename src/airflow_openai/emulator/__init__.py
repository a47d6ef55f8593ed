"""A local OpenAI platform server: files, uploads and batches that really run, with no key and no bill.

from airflow_openai.emulator import Emulator

with Emulator() as emu:
    hook = OpenAIHook(settings=ClientSettings(api_key=emu.api_key, base_url=emu.base_url))
"""

from airflow_openai.emulator.server import Emulator, main

__all__ = ["Emulator", "main"]
