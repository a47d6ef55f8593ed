"""Every link between the README and `docs/` leads somewhere: a file that exists, a heading that exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.docs.readme import README

DOCS = README.parent / "docs"
PAGES = [README, *sorted(DOCS.glob("*.md"))]
LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")


def _anchors(page: Path) -> set[str]:
    """GitHub's anchors for a page's headings (outside code blocks)."""
    found = set()
    fenced = False
    for line in page.read_text().splitlines():
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            found.add(re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", title)))
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_local_link_resolves(page):
    for match in LINK.finditer(page.read_text()):
        target = match["target"]
        if target.startswith(("http://", "https://")):
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        assert linked.exists(), f"{page.name} links {target}: no such file"
        if anchor:
            assert anchor in _anchors(linked), f"{page.name} links {target}: no such heading"


def test_every_doc_is_linked_from_the_readme():
    text = README.read_text()
    for doc in DOCS.glob("*.md"):
        assert f"](docs/{doc.name})" in text, f"the README does not link docs/{doc.name}"
