"""`/vector_stores` with files and file batches."""

from __future__ import annotations

from typing import Any

from airflow_openai.client.calls import ApiCall, ListCall, Reconcile, segment
from airflow_openai.models import (
    DeletedObject,
    VectorStoreFileBatchObject,
    VectorStoreFileObject,
    VectorStoreObject,
)


def _store(vector_store_id: str) -> str:
    return f"/vector_stores/{segment(vector_store_id)}"


def _listing(
    limit: int | None, order: str | None, after: str | None, before: str | None, **more: Any
) -> dict[str, Any]:
    return {"limit": limit, "order": order, "after": after, "before": before, **more}


def create_vector_store(
    name: str | None = None, file_ids: list[str] | None = None, **options: Any
) -> ApiCall[VectorStoreObject]:
    """Create a store; `options` are the spec's other fields (expires_after, chunking_strategy, metadata).

    If the answer is lost, the store is looked for (same name and metadata, created since)
    before a second one is made.
    """
    body = {"name": name, "file_ids": file_ids, **options}

    def same(store: VectorStoreObject) -> bool:  # an unnamed store reads back with name ""
        return (store.name or None) == (name or None) and (store.metadata or {}) == (
            options.get("metadata") or {}
        )

    reconcile: Reconcile[VectorStoreObject] = Reconcile(
        list_vector_stores(limit=100, order="desc"), same, what=f"vector store {name!r}"
    )
    return ApiCall(
        "POST",
        "/vector_stores",
        VectorStoreObject.model_validate,
        json={k: v for k, v in body.items() if v is not None},
        reconcile=reconcile,
    )


def get_vector_store(vector_store_id: str) -> ApiCall[VectorStoreObject]:
    return ApiCall("GET", _store(vector_store_id), VectorStoreObject.model_validate)


def update_vector_store(vector_store_id: str, **changes: Any) -> ApiCall[VectorStoreObject]:
    return ApiCall(
        "POST", _store(vector_store_id), VectorStoreObject.model_validate, json=changes, repeatable=True
    )


def list_vector_stores(
    limit: int | None = None, order: str | None = None, after: str | None = None, before: str | None = None
) -> ListCall[VectorStoreObject]:
    params = _listing(limit, order, after, before)
    return ListCall("GET", "/vector_stores", VectorStoreObject.model_validate, params=params)


def delete_vector_store(vector_store_id: str) -> ApiCall[DeletedObject]:
    return ApiCall("DELETE", _store(vector_store_id), DeletedObject.model_validate)


def create_vector_store_file(
    vector_store_id: str, file_id: str, chunking_strategy: dict[str, Any] | None = None
) -> ApiCall[VectorStoreFileObject]:
    """Attach a file; a lost answer is reconciled by reading the store's file of that id."""
    body: dict[str, Any] = {"file_id": file_id}
    if chunking_strategy:
        body["chunking_strategy"] = chunking_strategy
    attached: Reconcile[VectorStoreFileObject] = Reconcile(
        get_vector_store_file(vector_store_id, file_id), lambda _: True, what=file_id
    )
    path = f"{_store(vector_store_id)}/files"
    return ApiCall("POST", path, VectorStoreFileObject.model_validate, json=body, reconcile=attached)


def get_vector_store_file(vector_store_id: str, file_id: str) -> ApiCall[VectorStoreFileObject]:
    path = f"{_store(vector_store_id)}/files/{segment(file_id)}"
    return ApiCall("GET", path, VectorStoreFileObject.model_validate)


def list_vector_store_files(
    vector_store_id: str,
    limit: int | None = None,
    order: str | None = None,
    after: str | None = None,
    before: str | None = None,
    filter: str | None = None,
) -> ListCall[VectorStoreFileObject]:
    params = _listing(limit, order, after, before, filter=filter)
    path = f"{_store(vector_store_id)}/files"
    return ListCall("GET", path, VectorStoreFileObject.model_validate, params=params)


def delete_vector_store_file(vector_store_id: str, file_id: str) -> ApiCall[DeletedObject]:
    """Detach a file from the store (the file itself stays)."""
    path = f"{_store(vector_store_id)}/files/{segment(file_id)}"
    return ApiCall("DELETE", path, DeletedObject.model_validate)


def create_vector_store_file_batch(
    vector_store_id: str, file_ids: list[str], chunking_strategy: dict[str, Any] | None = None
) -> ApiCall[VectorStoreFileBatchObject]:
    body: dict[str, Any] = {"file_ids": list(file_ids)}
    if chunking_strategy:
        body["chunking_strategy"] = chunking_strategy
    path = f"{_store(vector_store_id)}/file_batches"
    # Sent again when its answer is lost: file batches cannot be listed, and a store holds each
    # file once whichever batch attached it, so a second batch of the same files adds nothing.
    return ApiCall("POST", path, VectorStoreFileBatchObject.model_validate, json=body, repeatable=True)


def get_vector_store_file_batch(vector_store_id: str, batch_id: str) -> ApiCall[VectorStoreFileBatchObject]:
    path = f"{_store(vector_store_id)}/file_batches/{segment(batch_id)}"
    return ApiCall("GET", path, VectorStoreFileBatchObject.model_validate)


def cancel_vector_store_file_batch(
    vector_store_id: str, batch_id: str
) -> ApiCall[VectorStoreFileBatchObject]:
    path = f"{_store(vector_store_id)}/file_batches/{segment(batch_id)}/cancel"
    return ApiCall("POST", path, VectorStoreFileBatchObject.model_validate, repeatable=True)


def list_vector_store_file_batch_files(
    vector_store_id: str,
    batch_id: str,
    limit: int | None = None,
    order: str | None = None,
    after: str | None = None,
    before: str | None = None,
    filter: str | None = None,
) -> ListCall[VectorStoreFileObject]:
    params = _listing(limit, order, after, before, filter=filter)
    path = f"{_store(vector_store_id)}/file_batches/{segment(batch_id)}/files"
    return ListCall("GET", path, VectorStoreFileObject.model_validate, params=params)
