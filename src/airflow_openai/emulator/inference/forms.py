"""Multipart bodies (images edits and variations, transcriptions and translations), read as the service reads them.

The fields come back as a dict of text (a field sent more than once, such as
`timestamp_granularities[]`, as a list), ready for the endpoint's strict model, and the
files as bytes by field name. A file field sent as text, or text where a file belongs, is
refused naming the field; a required file missing is the service's missing-parameter 400.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile

from airflow_openai.emulator.core.errors import bad_request


class Upload:
    """A file of the form: its name and bytes."""

    def __init__(self, filename: str, data: bytes) -> None:
        self.filename = filename
        self.data = data


async def read(request: Request, file_fields: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, Upload]]:
    """(text fields, files) of a multipart request; refuses a body that is not one."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise bad_request("This endpoint takes a multipart/form-data body.", code="invalid_value")
    form = await request.form()
    fields: dict[str, Any] = {}
    files: dict[str, Upload] = {}
    for name in form:
        values = form.getlist(name)
        if name in file_fields:
            value = values[0]
            if not isinstance(value, UploadFile):
                raise bad_request(
                    f"Invalid type for '{name}': expected a file, but got a string.", name, "invalid_type"
                )
            files[name] = Upload(value.filename or name, await value.read())
            continue
        texts = [value for value in values if isinstance(value, str)]
        if len(texts) != len(values):
            raise bad_request(
                f"Invalid type for '{name}': expected a string, but got a file.", name, "invalid_type"
            )
        fields[name] = texts if name.endswith("[]") or len(texts) > 1 else texts[0]
    return fields, files


def required(files: dict[str, Upload], name: str) -> Upload:
    upload = files.get(name)
    if upload is None:
        raise bad_request(f"Missing required parameter: '{name}'.", name, "missing_required_parameter")
    return upload
