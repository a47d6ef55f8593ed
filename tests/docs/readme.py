"""The README's fenced code blocks, each with the HTML comment that marks it (if any).

A marker is an HTML comment on the line just before a block's opening fence (blank lines between
are allowed):

- `<!-- fragment: why -->`: a Python block that is deliberately not run (the reason is required);
- `<!-- placeholders: a, b -->`: a Python block run with the listed placeholder strings replaced
  (see `test_readme_snippets.PLACEHOLDERS`); a Python block without a marker runs as written;
- `<!-- shape: name -->`: a Python literal showing what a task returns or writes, checked against
  a real run by `test_readme_shapes.py`;
- `<!-- quick-start: step [path] -->`: a step of the quick start, run in a fresh virtual
  environment by `test_quick_start.py` (its Python block is also run like any other);
- `<!-- runnable -->`, or `<!-- runnable: placeholders -->`: a bash block `test_readme_snippets.py` runs
  (bash blocks are not run otherwise).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
MARKER = re.compile(r"^<!--\s*(?P<kind>[\w-]+)\s*(?::\s*(?P<argument>.*?))?\s*-->$")


@dataclass(frozen=True)
class Block:
    language: str
    code: str
    line: int
    """The line of the opening fence, from 1."""
    kind: str | None
    """The marker's kind (`fragment`, `placeholders`, `shape`, `quick-start`, `runnable`), or None."""
    argument: str
    heading: str
    """The nearest heading above the block, for test ids and messages."""

    @property
    def name(self) -> str:
        words = re.sub(r"[^a-z0-9]+", "-", self.heading.lower()).strip("-")
        return f"line-{self.line}-{words[:40]}"


def blocks(text: str | None = None) -> list[Block]:
    lines = (README.read_text() if text is None else text).split("\n")
    found = []
    heading = ""
    number = 0
    while number < len(lines):
        line = lines[number]
        if line.startswith("#") and not line.startswith("#!"):
            heading = line.lstrip("#").strip()
        if line.startswith("```") and len(line) > 3:
            language = line[3:].strip()
            end = number + 1
            while not lines[end].startswith("```"):
                end += 1
            kind, argument = _marker(lines, number)
            code = "\n".join(lines[number + 1 : end]) + "\n"
            found.append(Block(language, code, number + 1, kind, argument, heading))
            number = end
        number += 1
    return found


def _marker(lines: list[str], fence: int) -> tuple[str | None, str]:
    before = fence - 1
    while before >= 0 and not lines[before].strip():
        before -= 1
    if before < 0:
        return None, ""
    match = MARKER.match(lines[before].strip())
    if match is None:
        return None, ""
    return match["kind"], (match["argument"] or "").strip()


def python_blocks() -> list[Block]:
    return [block for block in blocks() if block.language == "python"]


def marked(kind: str) -> list[Block]:
    return [block for block in blocks() if block.kind == kind]
