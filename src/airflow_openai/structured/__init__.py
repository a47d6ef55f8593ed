"""Structured outputs for every kind of call (batch lines, assistant runs, direct calls): the
response format to send, checked against strict mode's rules, and each answer validated.

`StructuredOutput.of(spec)` takes a pydantic model class, a JSON schema or a full response
format; anything strict mode would refuse raises `InvalidResponseFormat`, an
`InvalidStructuredOutput` (a `ValueError`), before anything is sent.
"""

from airflow_openai.structured.errors import InvalidResponseFormat, InvalidStructuredOutput
from airflow_openai.structured.output import StructuredOutput

__all__ = ["InvalidResponseFormat", "InvalidStructuredOutput", "StructuredOutput"]
