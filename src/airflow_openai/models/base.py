"""What every API object shares: unknown fields are kept, because the API keeps growing.

For the same reason every enum-like field (a status, a role, a level) is annotated
``Literal[...] | str``: the values the spec lists today stay discoverable (``get_args`` of
the alias, e.g. ``BATCH_STATUSES``), and a value the API adds later parses as a plain
string instead of failing the whole object, or the `list_*` page it came in.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class OpenAIObject(BaseModel):
    """Base of all models: fields named as in the OpenAI spec, extra fields preserved."""

    model_config = ConfigDict(extra="allow", protected_namespaces=(), populate_by_name=True)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data, e.g. for XCom; unset optional fields are left out."""
        return self.model_dump(mode="json", exclude_none=True)


class DeletedObject(OpenAIObject):
    """The answer to a delete: which object, and whether it is gone."""

    id: str
    object: str
    deleted: bool


class RequestBody(BaseModel):
    """Base of the request models: each checks a body before it is sent, as the API would.

    Types are strict (``"two"`` is not an integer, ``"0.5"`` not a number) and ranges are the
    spec's; fields it does not name pass unchecked, since the API adds some often. Values the
    API keeps adding to (models, voices, sizes) are plain strings; closed sets are `Literal`.
    """

    model_config = ConfigDict(strict=True, extra="allow", protected_namespaces=(), populate_by_name=True)
