"""`/v1/moderations`: the spec's eleven categories, each with a score, flagged where the text says so.

The built-in classifier reads words, not meaning: each category has a short list of words
and phrases (`LEXICON`: "kill", "murder", "stab" for violence; "idiot", "loser" for
harassment; "kill myself" for self-harm...). A text using one scores high in that category
(0.90-0.99, its parent category as high: `violence/graphic` lifts `violence`) and is flagged
in it; every other score is tiny (10^-9 to 10^-4). Scores are drawn from the text, so the
same text scores the same. A test flags a text by writing one of these words.
"""

from __future__ import annotations

import random
import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from airflow_openai.emulator.core.errors import EmulatorError
from airflow_openai.emulator.inference.catalog import MODERATION, in_family
from airflow_openai.emulator.inference.strict_bodies import parse
from airflow_openai.emulator.inference.units import seed_of

LEXICON: dict[str, tuple[str, ...]] = {
    "hate": ("i hate all", "subhuman", "vermin"),
    "hate/threatening": ("exterminate them", "wipe them out"),
    "harassment": ("idiot", "loser", "stupid", "pathetic"),
    "harassment/threatening": ("i will hurt you", "you will pay", "watch your back"),
    "self-harm": ("kill myself", "hurt myself", "self-harm", "suicide"),
    "self-harm/intent": ("i want to die", "going to kill myself"),
    "self-harm/instructions": ("how to kill myself", "ways to self-harm"),
    "sexual": ("sex", "porn", "nude", "explicit"),
    "sexual/minors": ("underage sex",),
    "violence": ("kill", "murder", "stab", "shoot", "attack", "bomb"),
    "violence/graphic": ("gore", "dismember", "blood everywhere"),
}
"""What each category listens for (whole words, case aside)."""
CATEGORIES = tuple(LEXICON)
_PATTERNS = {
    category: re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b", re.IGNORECASE)
    for category, words in LEXICON.items()
}
ANSWERED_AS = {
    "text-moderation-latest": "text-moderation-007",
    "text-moderation-stable": "text-moderation-007",
}
"""The model named in the answer: the service answers its current snapshot for an alias."""
DEFAULT_MODEL = "text-moderation-latest"


class CreateModerationRequest(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    input: str | Annotated[list[str], Field(min_length=1)]
    model: Annotated[str, Field(min_length=1)] | None = None


def scores(text: str) -> dict[str, float]:
    """Each category's score for `text` (see the module's docstring)."""
    rng = random.Random(seed_of("moderation", text))
    scored = {category: round(10 ** -rng.uniform(4, 9), 12) for category in CATEGORIES}
    for category, pattern in _PATTERNS.items():
        if pattern.search(text):
            high = round(0.9 + rng.random() * 0.09, 6)
            scored[category] = max(scored[category], high)
            parent = category.partition("/")[0]
            scored[parent] = max(scored[parent], high)
    return scored


def result(text: str) -> dict[str, Any]:
    scored = scores(text)
    flags = {category: score >= 0.5 for category, score in scored.items()}
    return {"flagged": any(flags.values()), "categories": flags, "category_scores": scored}


def moderation(body: Any, moderation_id: str) -> dict[str, Any]:
    """The answer to a moderation request, or the service's 400 (a wrong type, an unknown field) or 404
    (a model that is not a moderation model) raised."""
    request = parse(CreateModerationRequest, body)
    model = request.model or DEFAULT_MODEL
    if not in_family(model, MODERATION):
        raise EmulatorError(
            404,
            f"The model `{model}` does not exist or you do not have access to it.",
            param="model",
            code="model_not_found",
        )
    texts = [request.input] if isinstance(request.input, str) else request.input
    return {
        "id": moderation_id,
        "model": ANSWERED_AS.get(model, model),
        "results": [result(t) for t in texts],
    }
