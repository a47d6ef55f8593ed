"""Object storage without a cloud: in-memory buckets behind `ObjectStoragePath` URIs, one writable
(``tmem://``) and one whose credentials may only read (``romem://``), as a bucket would answer
with AccessDenied."""

from __future__ import annotations

from typing import Any

from fsspec.implementations.memory import MemoryFileSystem

WRITABLE, READ_ONLY = "tmem", "romem"


class _Bucket(MemoryFileSystem):
    store: dict[str, Any] = {}
    pseudo_dirs: list[str] = [""]

    @classmethod
    def _strip_protocol(cls, path: Any) -> str:
        text = str(path)
        for protocol in cls.protocol:
            if text.startswith(f"{protocol}://"):
                text = text[len(protocol) + 3 :]
        return str(MemoryFileSystem._strip_protocol(text))


class WritableBucket(_Bucket):
    protocol = (WRITABLE,)
    store: dict[str, Any] = {}
    pseudo_dirs: list[str] = [""]


class ReadOnlyBucket(_Bucket):
    protocol = (READ_ONLY,)
    store: dict[str, Any] = {}
    pseudo_dirs: list[str] = [""]

    def _open(self, path: str, mode: str = "rb", **kwargs: Any) -> Any:
        if "r" not in mode:
            raise PermissionError(f"AccessDenied: these credentials may not write {path}")
        return super()._open(path, mode, **kwargs)


def attach_buckets() -> None:
    """Register both schemes with fsspec and with Airflow's object storage, emptied."""
    import fsspec
    from airflow.sdk.io import attach
    from upath.implementations.memory import MemoryPath
    from upath.registry import register_implementation

    for bucket in (WritableBucket, ReadOnlyBucket):
        bucket.store.clear()
        bucket.pseudo_dirs[:] = [""]
        fsspec.register_implementation(bucket.protocol[0], bucket, clobber=True)
        register_implementation(bucket.protocol[0], MemoryPath, clobber=True)
        attach(bucket.protocol[0], fs=bucket())


def objects(scheme: str = WRITABLE) -> list[str]:
    bucket = WritableBucket if scheme == WRITABLE else ReadOnlyBucket
    return sorted(bucket.store)
