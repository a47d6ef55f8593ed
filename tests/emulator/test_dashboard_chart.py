"""The fine-tuning page's loss chart is the chart the fine-tuning operator writes as `loss.svg`.

The emulator imports nothing of the provider, so it draws the chart itself (`emulator.core.loss_chart`);
these tests hold the two drawings to the same SVG, for rows of every shape and for a job run on the
emulator, read back from its result file as the operator reads it."""

from __future__ import annotations

import io
import json
import random
import re

import httpx
import pytest

from airflow_openai.emulator.core.loss_chart import loss_chart_svg as emulator_chart
from airflow_openai.fine_tuning.loss_chart import loss_chart_svg as provider_chart
from airflow_openai.fine_tuning.metrics import StepMetrics, parse_step_metrics
from tests.support.fine_tuning import chat_example


def _rows(count: int, seed: int, valid_every: int | None = 5, flat: bool = False) -> list[StepMetrics]:
    rng = random.Random(seed)
    rows = []
    for step in range(1, count + 1):
        loss = 1.0 if flat else 2.3 * 0.97**step + rng.uniform(0, 0.2)
        valid = loss * 1.1 if valid_every and step % valid_every == 0 else None
        rows.append(StepMetrics(step=step, train_loss=loss, valid_loss=valid))
    return rows


SHAPES = {
    "none": [],
    "one step": [StepMetrics(step=1, train_loss=1.2, valid_loss=1.3)],
    "flat": _rows(5, 0, flat=True),
    "no validation": _rows(40, 1, valid_every=None),
    "typical": _rows(120, 2),
    "downsampled": _rows(2500, 3, valid_every=7),
    "gaps": [
        StepMetrics(step=1, train_loss=None),
        StepMetrics(step=2, train_loss=float("nan"), valid_loss=0.4),
    ],
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("title", ["ft:gpt-4o-mini:org:x:abc", "<&> " + "long " * 40])
def test_both_drawings_give_the_same_svg(shape, title):
    rows = SHAPES[shape]
    as_tuples = [(row.step, row.train_loss, row.valid_loss) for row in rows]
    assert emulator_chart(as_tuples, title=title) == provider_chart(rows, title=title)


def test_the_job_page_shows_the_chart_the_operator_writes_from_the_result_file(emu):
    emu.set_speed(0)
    headers = {"Authorization": f"Bearer {emu.api_key}"}
    with httpx.Client(base_url=emu.base_url, headers=headers, timeout=30) as api:

        def upload(name: str, first: int, count: int) -> str:
            lines = "\n".join(json.dumps(chat_example(n)) for n in range(first, first + count))
            sent = api.post(
                "/files", files={"file": (name, io.BytesIO(lines.encode()))}, data={"purpose": "fine-tune"}
            )
            return sent.json()["id"]

        body = {
            "model": "gpt-4o-mini",
            "training_file": upload("t.jsonl", 0, 30),
            "validation_file": upload("v.jsonl", 50, 5),
        }
        job = api.post("/fine_tuning/jobs", json=body).json()
        emu.advance(3600)
        job = api.get(f"/fine_tuning/jobs/{job['id']}").json()
        assert job["status"] == "succeeded"
        result = api.get(f"/files/{job['result_files'][0]}/content").content

    expected = provider_chart(parse_step_metrics(result), title=job["fine_tuned_model"])
    page = httpx.get(f"{emu.dashboard_url}/finetune/{job['id']}").text
    (shown,) = re.findall(r"<svg .*?</svg>\n", page, flags=re.S)
    assert shown == expected
    assert 'class="train-loss"' in shown and 'class="valid-loss"' in shown
