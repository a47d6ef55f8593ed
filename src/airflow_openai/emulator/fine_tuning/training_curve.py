"""The loss curve of an emulated fine-tuning job: plausible, and the same for the same seed.

Loss falls from about 2.3 towards 0.25 as an exponential of the progress through the
steps (faster with a larger learning-rate multiplier), with noise drawn from a generator
seeded by the job's seed and the step alone, so any step can be computed on its own and a
job run twice (same seed, same steps) reports the same numbers. Accuracy mirrors loss.
Validation loss runs a little above training loss.
"""

from __future__ import annotations

import math
import random
from typing import Any

FLOOR = 0.25
SPAN = 2.05
ACCURACY_SCALE = 2.6


def _base(step: int, total: int, learning_rate_multiplier: float) -> float:
    speed = 3.0 * min(4.0, max(0.1, learning_rate_multiplier)) / 1.8
    return FLOOR + SPAN * math.exp(-speed * step / max(1, total))


def _accuracy(loss: float, jitter: float) -> float:
    return round(min(0.999, max(0.0, 1.0 - loss / ACCURACY_SCALE + jitter)), 4)


def step_metrics(
    seed: int, step: int, total: int, learning_rate_multiplier: float, validated: bool
) -> dict[str, Any]:
    """`step`'s figures: train loss and mean token accuracy, and validation ones when `validated`."""
    base = _base(step, total, learning_rate_multiplier)
    rng = random.Random(seed * 1_000_003 + step)
    train_loss = round(base * (1 + rng.uniform(-0.12, 0.12)), 4)
    metrics: dict[str, Any] = {
        "step": step,
        "train_loss": train_loss,
        "train_mean_token_accuracy": _accuracy(train_loss, rng.uniform(-0.02, 0.02)),
    }
    if validated:
        valid_loss = round(base * 1.1 * (1 + rng.uniform(-0.15, 0.15)), 4)
        metrics["valid_loss"] = valid_loss
        metrics["valid_mean_token_accuracy"] = _accuracy(valid_loss, rng.uniform(-0.03, 0.03))
    return metrics


def full_validation(step: int, total: int, learning_rate_multiplier: float) -> dict[str, float]:
    """Loss and accuracy over the whole validation file at a checkpoint: the curve without noise."""
    loss = round(_base(step, total, learning_rate_multiplier) * 1.08, 4)
    return {"full_valid_loss": loss, "full_valid_mean_token_accuracy": _accuracy(loss, 0.0)}
