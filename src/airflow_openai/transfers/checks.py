"""What is refused before any request: unknown purposes, empty or oversized files, broken JSONL."""

from __future__ import annotations

from typing import IO, Any

from airflow_openai.jsonl import UnreadableLine, parse_line
from airflow_openai.models import UPLOADABLE_PURPOSES

MAX_UPLOAD_BYTES = 8 * 1024**3
JSONL_PURPOSES = ("batch", "fine-tune")


class InvalidUpload(ValueError):
    """The file cannot be uploaded as asked; nothing was sent."""


def check_purpose(purpose: str) -> None:
    """Refuse a purpose the API does not accept for uploads."""
    if purpose not in UPLOADABLE_PURPOSES:
        raise InvalidUpload(f"purpose must be one of {', '.join(UPLOADABLE_PURPOSES)}; got {purpose!r}")


def check_upload(purpose: str, filename: str, size: int) -> None:
    check_purpose(purpose)
    if size <= 0:
        raise InvalidUpload(f"{filename} is empty: there is nothing to upload")
    if size > MAX_UPLOAD_BYTES:
        raise InvalidUpload(
            f"{filename} has {size} bytes; OpenAI accepts at most {MAX_UPLOAD_BYTES} (8 GB) per file"
        )
    if purpose in JSONL_PURPOSES and not filename.lower().endswith(".jsonl"):
        raise InvalidUpload(f"files for purpose {purpose!r} must be .jsonl; got {filename}")


def check_jsonl(stream: IO[bytes], filename: str) -> None:
    """Every non-blank line must be a JSON object; the stream is returned to where it was."""
    start = stream.tell()
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        try:
            value = parse_line(raw)
        except UnreadableLine as exc:
            raise InvalidUpload(f"{filename} line {number} is {exc}") from None
        if not isinstance(value, dict):
            raise InvalidUpload(f"{filename} line {number} is not a JSON object")
    stream.seek(start)


def check_source(source: Any, purpose: str) -> None:
    """Open `source` and check it as `OpenAIHook.upload_file` will, without sending anything: the
    upload operator checks every file this way before the first is uploaded."""
    from airflow_openai.transfers.sources import open_source

    check_purpose(purpose)
    with open_source(source) as opened:
        check_upload(purpose, opened.filename, opened.size)
        if purpose in JSONL_PURPOSES and opened.stream.seekable():
            check_jsonl(opened.stream, opened.filename)
