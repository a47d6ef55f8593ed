"""Finding what a vector store request names: the store, a file batch, and the files to attach.

A store or batch that does not exist is a 404. A file to attach must exist and be one
file search reads, of purpose `assistants` (or `user_data`, which the service also
takes): one named on its own (`POST .../files`) that does not exist is a 404, as the
service answers; in a list (`file_ids`, `files`) the missing ones are a 400 naming them
all. A file of another purpose (`batch`, `fine-tune`...) is a 400.
"""

from __future__ import annotations

from airflow_openai.emulator.core.errors import bad_request, not_found
from airflow_openai.emulator.core.state import EmulatorState
from airflow_openai.emulator.core.store import Obj
from airflow_openai.emulator.vector_stores import vector_store_lifecycle as lifecycle

SEARCHABLE_PURPOSES = ("assistants", "user_data")


def store_or_404(state: EmulatorState, store_id: str) -> Obj:
    """The store as of now."""
    store = state.store.get(lifecycle.STORE, store_id)
    if store is None:
        raise not_found("vector store", store_id)
    return lifecycle.refresh(state, store)


def batch_or_404(state: EmulatorState, store_id: str, batch_id: str) -> Obj:
    """The batch as of now, if it belongs to the store."""
    store_or_404(state, store_id)
    batch = state.store.get(lifecycle.BATCH, batch_id)
    if batch is None or batch["vector_store_id"] != store_id:
        raise not_found("vector store file batch", batch_id)
    return lifecycle.refresh_batch(state, batch)


def searchable_file(state: EmulatorState, file_id: str) -> Obj:
    """The file named by `file_id` alone: a 404 when it does not exist, a 400 when file search cannot use it."""
    source = state.store.get("file", file_id)
    if source is None:
        raise not_found("file", file_id)
    _check_purpose(source, "file_id")
    return source


def searchable_files(state: EmulatorState, file_ids: list[str], param: str) -> list[Obj]:
    """The files of a list, in its order: a 400 naming every missing one, or the first of a wrong purpose."""
    sources: dict[str, Obj] = {}
    missing: list[str] = []
    for file_id in dict.fromkeys(file_ids):
        source = state.store.get("file", file_id)
        if source is None:
            missing.append(file_id)
        else:
            sources[file_id] = source
    if missing:
        raise bad_request(f"Files with ids {missing} were not found.", param=param, code="invalid_value")
    for source in sources.values():
        _check_purpose(source, param)
    return [sources[file_id] for file_id in file_ids]


def _check_purpose(source: Obj, param: str) -> None:
    if source["purpose"] not in SEARCHABLE_PURPOSES:
        raise bad_request(
            f"File {source['id']} has purpose '{source['purpose']}': file search takes files of purpose "
            f"{' or '.join(repr(purpose) for purpose in SEARCHABLE_PURPOSES)}.",
            param=param,
            code="invalid_value",
        )
