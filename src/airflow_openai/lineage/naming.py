"""Dataset names by the OpenLineage naming conventions (spec/Naming.md), for the places this
provider reads and writes: a local path is `file` + its absolute path; an object-storage URI is
`<scheme>://<bucket>` + the object key (`s3://`, `gs://`, `az://`/`abfs://` containers, and any
other fsspec scheme the same way); objects kept by the OpenAI API (a vector store, a model, an
uploaded file) are named by their id in the `openai://<host><base path>` namespace of the
connection's base URL, so two organisations' stores or two emulators never share a name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

SCHEME_ALIASES = {"s3a": "s3", "s3n": "s3", "gcs": "gs"}
"""fsspec spellings of the same store, named as OpenLineage names them."""
AZURE_SCHEMES = frozenset({"abfs", "abfss", "az", "adl", "wasb", "wasbs"})
"""Schemes whose `container@account.<host>` authority is the store's name, not a user."""


@dataclass(frozen=True)
class DatasetName:
    namespace: str
    name: str


def location_text(location: Any) -> str | None:
    """A path or URI as text: a string, an `os.PathLike`, or an `ObjectStoragePath` (which is no
    `os.PathLike`; its `str` is its URI). None for anything else."""
    if isinstance(location, str):
        return location
    if isinstance(location, os.PathLike):
        return os.fspath(location)
    if hasattr(location, "protocol"):
        return str(location)
    return None


def dataset_name(location: Any) -> DatasetName:
    """The OpenLineage namespace and name of a local path or an object-storage URI (or an
    `ObjectStoragePath`). What an authority carries before `@` (Airflow's connection id in
    `s3://aws_default@bucket/key`, or credentials) is not part of the name."""
    text = location_text(location)
    if text is None:
        raise TypeError(f"not a path or URI: {location!r}")
    split = urlsplit(text)
    scheme = split.scheme.lower()
    if scheme in ("", "file") or len(scheme) == 1:  # a Windows drive letter is no scheme
        path = split.path if scheme == "file" else text
        return DatasetName("file", os.path.abspath(os.path.expanduser(path)))
    scheme = SCHEME_ALIASES.get(scheme, scheme)
    key = split.path.lstrip("/")
    user, _, host = split.netloc.rpartition("@")
    if scheme in AZURE_SCHEMES and user and ":" not in user and "." in host:
        host = f"{user}@{host}"  # container@account.dfs.core.windows.net
    if not host:
        return DatasetName(f"{scheme}://", key or "/")
    return DatasetName(f"{scheme}://{host}", key or "/")


def source_locations(source: Any) -> tuple[list[str], list[str]]:
    """The locations a `source` parameter reads (a glob stands for its folder, the part before the
    first wildcard), and the OpenAI file ids among its items (`file-...`)."""
    items = [source] if location_text(source) is not None else list(source or [])
    locations: list[str] = []
    file_ids: list[str] = []
    for item in items:
        text = location_text(item)
        if not text:
            continue
        if text.startswith("file-") and "/" not in text:
            file_ids.append(text)
            continue
        if any(mark in text for mark in "*?["):
            parts = text.split("/")
            stop = next(i for i, part in enumerate(parts) if any(mark in part for mark in "*?["))
            text = "/".join(parts[:stop]) or ("/" if text.startswith("/") else ".")
        locations.append(text)
    return list(dict.fromkeys(locations)), list(dict.fromkeys(file_ids))


def openai_namespace(base_url: str) -> str:
    """`openai://api.openai.com/v1` for the service; the emulator's address for the emulator.
    The credentials a URL might carry are dropped."""
    split = urlsplit(base_url)
    host = split.hostname or "api.openai.com"
    port = f":{split.port}" if split.port else ""
    return f"openai://{host}{port}{split.path.rstrip('/')}"
