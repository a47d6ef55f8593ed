"""What a vector store holds, as a sync sees it: its files with the names they were uploaded under,
and the ingest uploads not attached to it (left by an attempt that died before attaching them).

A store's file listing gives ids and statuses but no names, so the names come from the
account's file list (`purpose=assistants`, a few requests for thousands of files) rather
than from one request per file; a file of another purpose is looked up by itself.
"""

from __future__ import annotations

from typing import Any

from airflow_openai.vector_stores.naming import parse
from airflow_openai.vector_stores.plan import StoreFile

PAGE = 100
PURPOSE = "assistants"


def read_inventory(hook: Any, vector_store_id: str) -> tuple[list[StoreFile], dict[str, str]]:
    """The store's files (every status) and the unattached ingest uploads, name → file id."""
    attached = {f.id: f for f in hook.list_vector_store_files(vector_store_id, limit=PAGE)}
    names = {f.id: f.filename for f in hook.list_files(purpose=PURPOSE)}
    for file_id in attached.keys() - names.keys():
        names[file_id] = _name_of(hook, file_id)
    store_files = [
        StoreFile(file_id, names.get(file_id), f.status or "", f.last_error.code if f.last_error else None)
        for file_id, f in attached.items()
    ]
    loose = {
        name: file_id
        for file_id, name in names.items()
        if file_id not in attached and name is not None and parse(name) is not None
    }
    return store_files, loose


def _name_of(hook: Any, file_id: str) -> str | None:
    from airflow_openai.client.errors import NotFoundError

    try:
        return str(hook.get_file(file_id).filename)
    except NotFoundError:  # attached, but the file itself was deleted
        return None
