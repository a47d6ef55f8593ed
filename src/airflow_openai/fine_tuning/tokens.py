"""Token estimates, per-example context limits and the default epoch count of a fine-tuning job.

No tokenizer is used (its vocabulary files would have to be downloaded), so every token count
here is an estimate: about 4 bytes of UTF-8 per token, which is 4 characters of English text and
counts text in other scripts, whose characters take more bytes, as more tokens. On top of the
text come the overheads OpenAI's cookbook counts for chat ("Data preparation and analysis for
chat model fine-tuning"): 3 tokens per message, 1 per `name`, and 3 that prime the reply.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from airflow_openai.fine_tuning.examples import Format, base_model

BYTES_PER_TOKEN = 4
TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMING = 3

TRAINING_CONTEXT: dict[str, int] = {
    # The most tokens one training example may have; longer ones are truncated to it. From
    # OpenAI's fine-tuning guide ("Token limits": the training context of each fine-tunable
    # model) and the cookbook's data-preparation notebook (16,385 for gpt-3.5-turbo).
    "gpt-4o-mini": 65_536,
    "gpt-4o": 65_536,
    "gpt-4.1": 65_536,
    "gpt-4.1-mini": 65_536,
    "gpt-4.1-nano": 65_536,
    "gpt-3.5-turbo": 16_385,
    "babbage-002": 16_384,
    "davinci-002": 16_384,
}
UNKNOWN_MODEL_CONTEXT = 16_385
"""For a model not in the table: the smallest chat-model limit, so over-long examples are flagged
rather than missed."""

# The API's default epoch count when n_epochs is "auto", as OpenAI's cookbook computes it:
# 3 epochs, unless that makes fewer than 100 or more than 25,000 example passes.
TARGET_EPOCHS = 3
MIN_TARGET_EXAMPLES = 100
MAX_TARGET_EXAMPLES = 25_000
MIN_DEFAULT_EPOCHS = 1
MAX_DEFAULT_EPOCHS = 25


def estimate_tokens(example: Mapping[str, Any], fmt: Format) -> int:
    """An estimate of the tokens of one checked example (see the module's docstring for how)."""
    if fmt == "completion":
        return _text_tokens(example["prompt"]) + _text_tokens(example["completion"])
    total = REPLY_PRIMING
    for message in example["messages"]:
        total += TOKENS_PER_MESSAGE
        for key, value in message.items():
            if key == "weight" or value is None:
                continue  # the weight steers training; it is not text the model reads
            total += _text_tokens(value if isinstance(value, str) else _compact(value))
            if key == "name":
                total += TOKENS_PER_NAME
    for key in ("tools", "functions"):
        if key in example:
            total += _text_tokens(_compact(example[key]))
    return total


def training_context(model: str) -> int:
    """The per-example token limit for `model` (or the model it was fine-tuned from): the table's
    entry for the longest name that `model` is, or starts with followed by `-` (a dated snapshot)."""
    base = base_model(model)
    matches = [name for name in TRAINING_CONTEXT if base == name or base.startswith(name + "-")]
    return TRAINING_CONTEXT[max(matches, key=len)] if matches else UNKNOWN_MODEL_CONTEXT


def default_epochs(examples: int) -> int:
    """The epochs a job with n_epochs "auto" runs for `examples` training examples."""
    examples = max(examples, 1)
    if examples * TARGET_EPOCHS < MIN_TARGET_EXAMPLES:
        return min(MAX_DEFAULT_EPOCHS, MIN_TARGET_EXAMPLES // examples)
    if examples * TARGET_EPOCHS > MAX_TARGET_EXAMPLES:
        return max(MIN_DEFAULT_EPOCHS, MAX_TARGET_EXAMPLES // examples)
    return TARGET_EPOCHS


def billed_tokens_per_epoch(token_counts: Iterable[int], limit: int) -> int:
    """Tokens billed for one pass over the examples: each counts up to the context limit, past
    which it is truncated (estimates, since the counts are)."""
    return sum(min(limit, count) for count in token_counts)


def _text_tokens(text: str) -> int:
    return -(-len(text.encode("utf-8", "surrogatepass")) // BYTES_PER_TOKEN)


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
