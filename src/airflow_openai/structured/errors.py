"""The one error of structured outputs, whoever uses them (batches, assistant runs, direct calls).

`InvalidStructuredOutput` is a `ValueError`: a response format that cannot be sent is a mistake in
what the DAG gives, refused before anything is uploaded or paid for. The batch operator reports it
as it reports a bad input line ("Invalid batch input, nothing was submitted: ...").
"""

from __future__ import annotations


class InvalidStructuredOutput(ValueError):
    """A response format this provider cannot send as it is; the message says what to change."""


class InvalidResponseFormat(InvalidStructuredOutput):
    """`response_format` cannot be sent in strict mode; the message names the JSON path and the rule."""

    def __init__(self, path: str, rule: str) -> None:
        self.path = path
        self.rule = rule
        super().__init__(f"response_format is refused at {path}: {rule}")
