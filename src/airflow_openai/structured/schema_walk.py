"""Walking a JSON schema by its structure: each sub-schema with its JSON path, and `$ref`s resolved.

A walk that follows the schema's keywords never takes a property *named* `properties`, `required`
or `type` for a keyword: both the strict form (`strict_form`) and the strict check
(`strict_check`) walk this way, and name places by the same JSON paths.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any


def resolve(root: dict[str, Any], ref: str) -> Any:
    """What a local `$ref` (``#``, ``#/$defs/Name``) points at in `root`, or None."""
    if ref == "#":
        return root
    if not ref.startswith("#/"):
        return None
    target: Any = root
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(target, dict) or part not in target:
            return None
        target = target[part]
    return target


def children(node: dict[str, Any], at: str) -> Iterator[tuple[str, Any]]:
    """The sub-schemas of a schema, each with its JSON path (never a property *name* as a schema)."""
    properties = node.get("properties")
    if isinstance(properties, dict):
        for name, sub in properties.items():
            yield f"{at}.properties.{path_part(name)}", sub
    if isinstance(node.get("items"), dict):
        yield f"{at}.items", node["items"]
    if isinstance(node.get("anyOf"), list):
        for index, sub in enumerate(node["anyOf"]):
            yield f"{at}.anyOf[{index}]", sub
    for keyword in ("$defs", "definitions"):
        if isinstance(node.get(keyword), dict):
            for name, sub in node[keyword].items():
                yield f"{at}.{keyword}.{path_part(name)}", sub


def path_part(name: str) -> str:
    """A name as one step of a JSON path: bare when it reads plainly, else quoted."""
    return name if re.fullmatch(r"[A-Za-z0-9_$-]+", name) else json.dumps(name)
