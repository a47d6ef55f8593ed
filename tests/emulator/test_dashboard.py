"""The emulator's dashboard pages, which a task's "OpenAI batch" link opens in demos and tests."""

from __future__ import annotations

import httpx

from tests.support.batches import chat_line, jsonl


def _batch(hook, lines: int) -> str:
    source = hook.create_file(jsonl([chat_line(n) for n in range(lines)]), "batch", "requests.jsonl")
    return hook.create_batch(source.id, "/v1/chat/completions", metadata={"dag_id": "nightly"}).id


def test_a_batch_page_shows_the_batch_as_of_now(emu, hook):
    batch_id = _batch(hook, 3)
    emu.advance(3600)

    page = httpx.get(f"{emu.connection()['extra']['dashboard_url']}/batches/{batch_id}")

    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert f"Batch {batch_id}" in page.text and "completed" in page.text
    assert "3 completed, 0 failed of 3 requests" in page.text and "dag_id=nightly" in page.text


def test_the_list_page_shows_the_batches_asked_for(emu, hook):
    first, second, other = _batch(hook, 1), _batch(hook, 2), _batch(hook, 1)
    emu.force_batch(second, "cancelled")

    page = httpx.get(f"{emu.dashboard_url}/batches", params={"ids": f"{first},{second}"})

    assert page.status_code == 200 and "Batches (2)" in page.text
    assert first in page.text and second in page.text and other not in page.text
    assert "cancelled" in page.text
    assert f'href="/_emulator/dashboard/batches/{first}"' in page.text
    assert "Batches (3)" in httpx.get(f"{emu.dashboard_url}/batches").text


def test_an_unknown_batch_is_a_404_page(emu):
    page = httpx.get(f"{emu.dashboard_url}/batches/batch_nope")
    assert page.status_code == 404 and "No batch <code>batch_nope</code>" in page.text
    listing = httpx.get(f"{emu.dashboard_url}/batches", params={"ids": "batch_nope"})
    assert listing.status_code == 200 and "Not found: batch_nope" in listing.text
