"""What vector stores do for the Assistants API: a store made on the spot over files, as an assistant's
or a thread's `tool_resources.file_search.vector_stores` asks.

Registered as `state.seams.new_vector_store` when the app starts (see `core.seams`), so
assistants ask for a store without importing this service.
"""

from __future__ import annotations

from typing import Any

from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.vector_stores import vector_store_lifecycle as stores
from airflow_openai.emulator.vector_stores.vector_store_lookup import searchable_files


def new_store(
    state: EmulatorState,
    file_ids: list[str],
    chunking_strategy: dict[str, Any],
    metadata: dict[str, str] | None,
    param: str,
) -> str:
    """A new store over `file_ids` (each must be a file search can take: a refusal names
    `{param}.file_ids`), each file attached with `chunking_strategy`; returns its id."""
    sources = searchable_files(state, file_ids, f"{param}.file_ids")
    store = stores.create_store(state, name=None, description=None, metadata=metadata, expires_after=None)
    if sources:
        stores.attach(state, store, [stores.Wanted(source, chunking_strategy) for source in sources])
    return str(store["id"])
