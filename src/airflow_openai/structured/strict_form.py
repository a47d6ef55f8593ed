"""A schema in the form strict mode accepts: a pydantic model's schema converted, a hand-written
one completed where it is silent.

What a schema says explicitly is never changed here: `strict_check` judges it, and names the
place and the rule when strict mode would refuse it.
"""

from __future__ import annotations

import copy
from typing import Any

from airflow_openai.structured.schema_walk import children, resolve


def strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of a generated (pydantic) schema in the form strict mode accepts.

    Every object is closed (`additionalProperties: false`, even for `extra="allow"`) and lists all
    its properties in `required`; `default` is dropped (an `Optional` stays nullable through its
    `anyOf` with `null`); a one-entry `allOf` is merged into its schema; a `$ref` with keys beside it
    is replaced by what it points at, the keys beside it taking priority. The walk follows the schema's
    structure, so a field named `properties`, `required` or `type` is only ever a property name.
    """
    root = copy.deepcopy(schema)
    return _strict(root, root, ())


def _strict(node: Any, root: dict[str, Any], seen: tuple[str, ...]) -> Any:
    if not isinstance(node, dict):
        return node
    for key in ("$defs", "definitions"):
        if isinstance(node.get(key), dict):
            node[key] = {name: _strict(sub, root, seen) for name, sub in node[key].items()}
    ref = node.get("$ref")
    if isinstance(ref, str) and len(node) > 1 and ref not in seen:
        target = resolve(root, ref)
        if isinstance(target, dict):
            siblings = {key: value for key, value in node.items() if key != "$ref"}
            inlined = {key: value for key, value in target.items() if key not in ("$defs", "definitions")}
            merged = {**copy.deepcopy(inlined), **siblings}
            return _strict(merged, root, (*seen, ref))
    if node.get("type") == "object" or isinstance(node.get("properties"), dict):
        if not isinstance(node.get("additionalProperties"), dict):  # a dict[str, X]: refused by the check
            node["additionalProperties"] = False
        properties = node.get("properties")
        if isinstance(properties, dict):
            node["properties"] = {name: _strict(sub, root, seen) for name, sub in properties.items()}
            node["required"] = list(properties)
        else:
            node["properties"], node["required"] = {}, []
    if isinstance(node.get("items"), dict):
        node["items"] = _strict(node["items"], root, seen)
    if isinstance(node.get("prefixItems"), list):
        node["prefixItems"] = [_strict(sub, root, seen) for sub in node["prefixItems"]]
    if isinstance(node.get("anyOf"), list):
        node["anyOf"] = [_strict(sub, root, seen) for sub in node["anyOf"]]
    if isinstance(node.get("oneOf"), list):  # pydantic's discriminated unions: anyOf means the same here
        node["anyOf"] = [_strict(sub, root, seen) for sub in node.pop("oneOf")]
        node.pop("discriminator", None)
    all_of = node.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], dict):
        node.pop("allOf")
        return _strict({**all_of[0], **node}, root, seen)
    node.pop("default", None)
    return node


def closed(schema: dict[str, Any]) -> dict[str, Any]:
    """A hand-written schema with what it leaves out filled in: an object without
    `additionalProperties` is closed, one without `required` requires every property.
    What it does say is kept, for `check_strict` to judge."""
    root = copy.deepcopy(schema)

    def fill(node: Any) -> None:
        if not isinstance(node, dict):
            return
        if node.get("type") == "object" or (isinstance(node.get("properties"), dict) and "type" not in node):
            node.setdefault("additionalProperties", False)
            if isinstance(node.get("properties"), dict):
                node.setdefault("required", list(node["properties"]))
        for _, sub in children(node, "$"):
            fill(sub)

    fill(root)
    return root
