"""What file search finds when it opens a file: a type it cannot index, nothing to index, or text to index.

The types are those the file search guide lists as supported; any other extension (no
extension included) fails the attachment with `unsupported_file`. Of the supported
types, the text ones (all but .pdf, .doc, .docx and .pptx) must be UTF-8 with something
besides white space in them, else the attachment fails with `invalid_file`. The emulator
does not parse PDF or Office files: their content is taken as it is.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

SUPPORTED_EXTENSIONS = (
    ".c",
    ".cpp",
    ".cs",
    ".css",
    ".doc",
    ".docx",
    ".go",
    ".html",
    ".java",
    ".js",
    ".json",
    ".md",
    ".pdf",
    ".php",
    ".pptx",
    ".py",
    ".rb",
    ".sh",
    ".tex",
    ".ts",
    ".txt",
)
BINARY_EXTENSIONS = frozenset({".doc", ".docx", ".pdf", ".pptx"})
READ_BUFFER = 1024 * 1024


def extension(filename: str) -> str:
    """The lower-cased extension with its dot ("" for none): `Notes.MD` is `.md`."""
    return Path(filename).suffix.lower()


def problem(path: Path, filename: str, size: int) -> dict[str, Any] | None:
    """The `last_error` ({code, message}) file search would report for this file, or None when it indexes."""
    kind = extension(filename)
    if kind not in SUPPORTED_EXTENSIONS:
        shown = f"'{kind}'" if kind else "without an extension"
        return {
            "code": "unsupported_file",
            "message": f"The file type {shown} of {filename} is not supported for file search. "
            f"Supported types: {', '.join(SUPPORTED_EXTENSIONS)}.",
        }
    if size == 0 or not path.exists():
        return {"code": "invalid_file", "message": f"The file {filename} is empty."}
    if kind in BINARY_EXTENSIONS:
        return None
    return _text_problem(path, filename)


def _text_problem(path: Path, filename: str) -> dict[str, Any] | None:
    """A text file must decode as UTF-8 and hold more than white space; read in pieces, as it may be large."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    has_text = False
    try:
        with path.open("rb") as source:
            while piece := source.read(READ_BUFFER):
                has_text = bool(decoder.decode(piece).strip()) or has_text
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return {"code": "invalid_file", "message": f"The file {filename} is not valid UTF-8 text."}
    if not has_text:
        return {"code": "invalid_file", "message": f"The file {filename} has no text to index."}
    return None
