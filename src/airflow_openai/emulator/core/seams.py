"""The seams between services: the work one service asks of another without importing it.

A service package imports only `core` (and `files`, to store or read content). Where it needs
another service's work, it calls a hook on `state.seams`, and the service doing that work is
registered there when the app starts (`app.create_app`): the caller names what it needs, not
who does it. Reading another service's objects needs no hook: the store holds them by kind
(`state.store.get("model", name)`), and what they hold is the contract.

- `answerers`: model calls answered before the responder. Inference registers the answers of
  the fine-tuned models made here (`inference.tuned_answers`). Every model call, direct
  (inference), a batch line (batches) or a run's turn (assistants), goes through
  `EmulatorState.respond`, which asks these first.
- `catch_up(state, kind)`: a service whose objects move on lazily (computed from the clock when
  read) may make objects of another kind as it goes; before reading that kind, another
  service brings it up to date. Fine-tuning is registered for `model` (a job that succeeds
  makes its fine-tuned model): inference calls it before listing `/v1/models`, assistants
  before refusing a fine-tuned model it cannot find.
- `new_vector_store(...)`: make a vector store over files and return its id, for the
  `tool_resources.file_search.vector_stores` of an assistant or a thread; registered by
  vector stores (`vector_stores.for_assistants.new_store`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_openai.emulator.core.answers import Answerer

if TYPE_CHECKING:
    from airflow_openai.emulator.core.state import EmulatorState

CatchUp = Callable[["EmulatorState"], None]
VectorStoreMaker = Callable[["EmulatorState", list[str], dict[str, Any], dict[str, str] | None, str], str]
"""`(state, file_ids, chunking_strategy, metadata, param)`: a new vector store over the files (checked
first, a refusal naming `param`), each attached with the chunking strategy; returns its id."""


def _no_vector_stores(*args: Any) -> str:
    raise RuntimeError("no service makes vector stores: app.create_app registers one")


@dataclass
class Seams:
    """The hooks of one emulator (see the module's docstring); registering the same one twice is a no-op."""

    answerers: list[Answerer] = field(default_factory=list)
    makers: dict[str, list[CatchUp]] = field(default_factory=dict)
    new_vector_store: VectorStoreMaker = _no_vector_stores

    def answer_first(self, answerer: Answerer) -> None:
        if answerer not in self.answerers:
            self.answerers.append(answerer)

    def makes(self, kind: str, catch_up: CatchUp) -> None:
        """`catch_up` brings up to date a service that makes objects of `kind`."""
        makers = self.makers.setdefault(kind, [])
        if catch_up not in makers:
            makers.append(catch_up)

    def catch_up(self, state: EmulatorState, kind: str) -> None:
        """Bring up to date every service that makes objects of `kind`, before reading them."""
        for catch_up in self.makers.get(kind, ()):
            catch_up(state)
