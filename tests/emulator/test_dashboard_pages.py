"""Every dashboard page, for every state its object can be in: real objects driven through the emulator's
API and control plane to each state (queued, in progress, failed, cancelled, done, empty, unknown id), then
each page fetched over HTTP and its content checked: status words, progress and ETA while something runs
(and the page reloading itself then only), links that resolve, the emulated-time note, 404 pages with a
way back. The clock stands still (speed 0) unless a test says otherwise, so every state holds."""

from __future__ import annotations

import hashlib
import io
import json
import re
from dataclasses import dataclass, field

import httpx
import pytest

from tests.support.batches import chat_line
from tests.support.fine_tuning import chat_example

REFRESH = '<meta http-equiv="refresh" content="2">'
EMULATED_NOTE = "All times on this page are emulated"
HREF = re.compile(r'href="([^"]+)"')


class Api:
    """The emulator's API for these tests: JSON in, JSON out, a 200 expected."""

    def __init__(self, emu) -> None:
        headers = {"Authorization": f"Bearer {emu.api_key}", "OpenAI-Beta": "assistants=v2"}
        self.client = httpx.Client(base_url=emu.base_url, headers=headers, timeout=30)

    def post(self, path: str, **body) -> dict:
        response = self.client.post(path, json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def upload(self, name: str, content: bytes, purpose: str) -> str:
        response = self.client.post(
            "/files", files={"file": (name, io.BytesIO(content))}, data={"purpose": purpose}
        )
        assert response.status_code == 200, response.text
        return response.json()["id"]

    def batch(self, lines: list, name: str = "requests.jsonl") -> str:
        content = "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)
        source = self.upload(name, content.encode(), "batch")
        body = {"input_file_id": source, "endpoint": "/v1/chat/completions", "completion_window": "24h"}
        return self.post("/batches", **body, metadata={"dag_id": "nightly"})["id"]

    def fine_tuning_job(self, examples: int = 20, validation: bool = False, **body) -> dict:
        training = [json.dumps(chat_example(n)) for n in range(examples)]
        body["training_file"] = self.upload("train.jsonl", "\n".join(training).encode(), "fine-tune")
        if validation:
            held_out = [json.dumps(chat_example(n)) for n in range(100, 105)]
            body["validation_file"] = self.upload("valid.jsonl", "\n".join(held_out).encode(), "fine-tune")
        return self.post("/fine_tuning/jobs", model="gpt-4o-mini", **body)


@dataclass
class Page:
    """A page to fetch, the status it answers and what it must (and must not) show."""

    path: str
    shows: list[str]
    status: int = 200
    live: bool = False
    hides: list[str] = field(default_factory=list)


def ingested(relative_path: str, content: bytes, store_id: str) -> str:
    """The upload name the provider's sync gives a file (see `airflow_openai.vector_stores.naming`)."""
    from airflow_openai.vector_stores.naming import ingested_name, store_tag

    return ingested_name(relative_path, hashlib.sha256(content).hexdigest(), store_tag(store_id))


def build_scenes(emu) -> dict[str, Page]:
    """Objects of every service in every state, on a clock that then stands still, and the page of each.

    Terminal ones are made first (the clock is advanced past their end), the ones in progress last,
    so that no advance moves them on."""
    emu.set_speed(0)
    api = Api(emu)
    pages: dict[str, Page] = {}

    # A store that expires, two days ago in emulated time: the clock stays ahead of the machine's by as much.
    old = api.post("/vector_stores", name="old", expires_after={"anchor": "last_active_at", "days": 1})
    emu.advance(2 * 86400)
    pages["store expired"] = Page(
        f"/storage/vector_stores/{old['id']}", ["expired", "Expired", "no files attached"]
    )

    done = api.fine_tuning_job(validation=True, suffix="tickets")
    emu.fail_fine_tuning(at_step=6, message="Loss went to NaN.", code="training_diverged")
    failed = api.fine_tuning_job()
    emu.advance(3600)
    cancelled = api.fine_tuning_job()
    emu.advance(20 + 30 + 3 * 4)
    api.post(f"/fine_tuning/jobs/{cancelled['id']}/cancel")
    pages["job succeeded"] = Page(
        f"/finetune/{done['id']}",
        [
            "succeeded",
            "ft:gpt-4o-mini",
            "<svg",
            'class="train-loss"',
            'class="valid-loss"',
            "loss.svg",
            "ckpt-step",
        ],
    )
    pages["job failed"] = Page(
        f"/finetune/{failed['id']}",
        ["failed", "training_diverged", "Loss went to NaN.", 'class="train-loss"'],
    )
    pages["job cancelled"] = Page(
        f"/finetune/{cancelled['id']}", ["cancelled", "stopping due to job cancellation"]
    )

    mixed = [chat_line(n) for n in range(6)]
    for n in (1, 4):
        mixed[n] = {**chat_line(n), "body": {"messages": [{"role": "user", "content": "no model"}]}}
    with_failures = api.batch(mixed, "mixed.jsonl")
    refused = api.batch([chat_line(1), "{not json", chat_line(1)], "bad.jsonl")
    emu.advance(20)
    stopped = api.batch([chat_line(n) for n in range(200)], "many.jsonl")
    emu.advance(5 + 50 * 0.06)
    api.post(f"/batches/{stopped}/cancel")
    emu.advance(5)
    pages["batch with failed lines"] = Page(
        f"/batches/{with_failures}",
        [
            "completed",
            "4 completed, 2 failed of 6 requests",
            "Lines with errors (2)",
            "request-1",
            "error file",
        ],
    )
    pages["batch failed"] = Page(
        f"/batches/{refused}", ["failed", "Why the batch failed", "invalid_json_line", "duplicate_custom_id"]
    )
    pages["batch cancelled"] = Page(
        f"/batches/{stopped}", ["cancelled", "batch_cancelled", "Lines with errors ("]
    )

    store = api.post("/vector_stores", name="Support FAQ", description="for the bot")
    contents = {
        "guides/intro.md": b"# Intro\n" + b"searchable text\n" * 64,
        "guides/faq notes.md": b"# FAQ\n" + b"questions and answers\n" * 32,
        "data/table.csv": b"a,b\n1,2\n",
    }
    uploaded = {
        path: api.upload(ingested(path, content, store["id"]), content, "assistants")
        for path, content in contents.items()
    }
    emu.fail_vector_store_file(uploaded["guides/faq notes.md"], code="server_error")
    api.post(f"/vector_stores/{store['id']}/file_batches", file_ids=list(uploaded.values()))
    emu.advance(30)
    pages["store with files"] = Page(
        f"/storage/vector_stores/{store['id']}",
        ["completed", *contents, "server_error", "unsupported_file", "File batches (1)", "1 completed"],
    )

    assistant = api.post("/assistants", model="gpt-4o-mini")
    answered = api.post(
        "/threads",
        messages=[{"role": "user", "content": "Hello?"}],
        tool_resources={"file_search": {"vector_store_ids": [store["id"]]}},
    )
    api.post(f"/threads/{answered['id']}/runs", assistant_id=assistant["id"])
    emu.advance(10)
    pages["thread answered"] = Page(f"/threads/{answered['id']}", ["completed", "Hello?", store["id"]])

    # In progress: made last, with one advance that brings each where it should be.
    running = api.fine_tuning_job(examples=50)
    slow = api.batch([chat_line(n) for n in range(100)], "slow.jsonl")
    emu.set_line_time(1)
    emu.advance(20 + 30 + 3 * 5)
    waiting = api.fine_tuning_job()
    emu.advance(25)
    cancelling = api.batch([chat_line(n) for n in range(10)], "stopping.jsonl")
    api.post(f"/batches/{cancelling}/cancel")
    pages["job queued"] = Page(
        f"/finetune/{waiting['id']}", ["queued", "training starts", "0%", "ETA"], live=True
    )
    pages["batch cancelling"] = Page(
        f"/batches/{cancelling}", ["cancelling", "batch_cancelled", "ETA"], live=True
    )
    pages["job running"] = Page(f"/finetune/{running['id']}", ["running", "steps", "ETA", "<svg"], live=True)
    pages["batch in progress"] = Page(
        f"/batches/{slow}", ["in_progress", "%</b>", "of 100 lines", "ETA", "the clock is stopped"], live=True
    )
    busy_store = api.post("/vector_stores", name="busy")
    big = api.upload("big.md", b"searchable text\n" * 64 * 1024, "assistants")
    api.post(f"/vector_stores/{busy_store['id']}/files", file_id=big)
    pages["store in progress"] = Page(
        f"/storage/vector_stores/{busy_store['id']}",
        ["in_progress", "0%", "files processed", "ETA"],
        live=True,
    )
    asking = api.post("/threads", messages=[{"role": "user", "content": "Anyone there?"}])
    api.post(f"/threads/{asking['id']}/runs", assistant_id=assistant["id"])
    pages["thread run queued"] = Page(f"/threads/{asking['id']}", ["queued", "Anyone there?"], live=True)
    queued_batch = api.batch([chat_line(1)], "one.jsonl")
    pages["batch validating"] = Page(
        f"/batches/{queued_batch}", ["validating", "Validating the input file"], live=True
    )
    fresh = api.fine_tuning_job()
    pages["job validating files"] = Page(
        f"/finetune/{fresh['id']}", ["validating_files", "Validating its files"], live=True
    )

    pages["index"] = Page(
        "",
        ["OpenAI emulator dashboard", "Batches", "Fine-tuning jobs", "Vector stores", "Threads", "Files"],
        live=True,
    )
    pages["batches"] = Page("/batches", ["Batches (6)", with_failures, "in_progress"], live=True)
    pages["batches asked for"] = Page(
        f"/batches?ids={refused},batch_gone", ["Batches (1)", "Not found: batch_gone"]
    )
    pages["jobs"] = Page("/finetune", ["Fine-tuning jobs (6)", done["id"], "succeeded", "running"], live=True)
    pages["stores"] = Page(
        "/storage/vector_stores", ["Vector stores (3)", "Support FAQ", "expired"], live=True
    )
    pages["threads"] = Page("/threads", ["Threads (2)", answered["id"], "queued"], live=True)
    pages["files"] = Page("/files", ["Files (", "mixed.jsonl", "batch_output"])
    pages["input file"] = Page(f"/files/{uploaded['data/table.csv']}", ["Used by", store["id"], "a,b"])
    for what, path in (
        ("batch", "/batches/batch_nope"),
        ("fine-tuning job", "/finetune/ftjob-nope"),
        ("vector store", "/storage/vector_stores/vs_nope"),
        ("thread", "/threads/thread_nope"),
        ("file", "/files/file-nope"),
    ):
        pages[f"unknown {what}"] = Page(path, [f"No {what} <code>", "← "], status=404)
    return pages


@pytest.fixture
def scenes(emu) -> dict[str, Page]:
    return build_scenes(emu)


def fetch(emu, path: str) -> httpx.Response:
    return httpx.get(f"{emu.dashboard_url}{path}", timeout=30)


def test_every_page_in_every_state_shows_what_it_should(emu, scenes):
    for name, expected in scenes.items():
        page = fetch(emu, expected.path)
        assert page.status_code == expected.status, (name, page.text[:500])
        assert page.headers["content-type"].startswith("text/html"), name
        for text in expected.shows:
            assert text in page.text, f"{name}: {text!r} missing"
        for text in expected.hides:
            assert text not in page.text, f"{name}: {text!r} shown"
        assert (REFRESH in page.text) == expected.live, f"{name}: reloads itself: {REFRESH in page.text}"
        assert EMULATED_NOTE in page.text and "ahead of real time" in page.text, name
        assert "<link rel='stylesheet' href='/_emulator/dashboard/style.css'>" in page.text, name
        assert 'href="/_emulator/dashboard"' in page.text or name == "index", f"{name}: no way back"


def test_every_link_on_every_page_opens(emu, scenes):
    seen: set[str] = set()
    for name, expected in scenes.items():
        page = fetch(emu, expected.path)
        for href in set(HREF.findall(page.text)) - seen:
            seen.add(href)
            assert href.startswith("/_emulator/dashboard"), f"{name} links outside the dashboard: {href}"
            target = httpx.get(f"{emu.url}{href.replace('&amp;', '&')}", timeout=30)
            assert target.status_code == 200, f"{name} links {href}: {target.status_code}"
    assert any("/content" in href for href in seen) and any("/files/" in href for href in seen)


def test_the_index_links_every_service_and_counts_its_objects(emu, scenes):
    page = fetch(emu, "").text
    for path in ("/batches", "/finetune", "/storage/vector_stores", "/threads", "/files"):
        assert f'href="/_emulator/dashboard{path}"' in page
    assert re.search(r"2 d( \d+ h)? ahead of real time", page), "the clock was moved two days ahead"
    assert "emulated now" in page and "real now" in page and "a batch line takes" in page
    assert fetch(emu, "/style.css").headers["content-type"].startswith("text/css")


def test_an_empty_emulator_has_pages_that_say_so(emu):
    index = fetch(emu, "")
    assert index.status_code == 200 and index.text.count("none yet") == 5 and REFRESH not in index.text
    assert "level with real time" in index.text or "ahead of real time" in index.text
    for path, empty in (
        ("/batches", "no batches yet"),
        ("/finetune", "no fine-tuning jobs yet"),
        ("/storage/vector_stores", "no vector stores yet"),
        ("/threads", "no threads yet"),
        ("/files", "no files yet"),
    ):
        page = fetch(emu, path)
        assert page.status_code == 200 and empty in page.text and REFRESH not in page.text, path


def test_a_batch_with_failed_lines_counts_them_by_code_and_its_error_file_opens(emu):
    emu.set_speed(0)
    api = Api(emu)
    lines = [chat_line(n) for n in range(8)]
    for n in (2, 5, 7):
        lines[n] = {**chat_line(n), "body": {"messages": [{"role": "user", "content": "no model"}]}}
    batch_id = api.batch(lines)
    emu.advance(60)
    page = fetch(emu, f"/batches/{batch_id}").text
    assert "Lines with errors (3)" in page and "request-2" in page and "request-5" in page
    (code,) = re.findall(r"<tr><td><code>([^<]+)</code></td><td>3</td>", page)
    error_file = api.client.get(f"/batches/{batch_id}").json()["error_file_id"]
    assert f'href="/_emulator/dashboard/files/{error_file}"' in page
    shown = fetch(emu, f"/files/{error_file}")
    assert "batch errors" in shown.text and f'href="/_emulator/dashboard/batches/{batch_id}"' in shown.text
    content = fetch(emu, f"/files/{error_file}/content")
    assert content.status_code == 200 and content.headers["content-type"].startswith("text/plain")
    assert "inline" in content.headers["content-disposition"]
    assert [json.loads(line)["custom_id"] for line in content.text.splitlines()] == [
        "request-2",
        "request-5",
        "request-7",
    ]
    assert code in content.text


def test_an_eta_gives_emulated_and_real_time_and_the_page_stops_reloading_at_the_end(emu):
    emu.set_speed(1)
    emu.set_line_time(1)
    api = Api(emu)
    batch_id = api.batch([chat_line(n) for n in range(100)])
    emu.advance(5 + 30)
    page = fetch(emu, f"/batches/{batch_id}").text
    percent = int(re.search(r"<b>(\d+)%</b>", page).group(1))
    assert 28 <= percent <= 40 and REFRESH in page
    assert re.search(r"ETA [0-9-]+ [0-9:]+ UTC, in 1 min \d+ s emulated \(1 min \d+ s real time\)", page), (
        page
    )
    assert "the clock runs at 1× real time" in page
    emu.advance(200)
    page = fetch(emu, f"/batches/{batch_id}").text
    assert "completed" in page and REFRESH not in page and "· ETA" not in page and "<b>" not in page


def test_the_kinds_the_file_page_reads_are_the_services_kinds():
    from airflow_openai.emulator.batches.routes_dashboard import KIND as BATCH
    from airflow_openai.emulator.files import routes_dashboard as files
    from airflow_openai.emulator.fine_tuning.fine_tuning_lifecycle import KIND as JOB
    from airflow_openai.emulator.vector_stores.vector_store_objects import STORE, files_kind

    assert (files.BATCH_KIND, files.JOB_KIND, files.STORE_KIND) == (BATCH, JOB, STORE)
    assert files.store_files_kind("vs_1") == files_kind("vs_1")


@pytest.mark.parametrize("path", ["guides/intro.md", "a b/ü 100%.txt", "plain.md", "x~y~z.md"])
def test_a_store_file_shows_the_path_the_provider_synced_it_from(path):
    from airflow_openai.emulator.vector_stores.routes_dashboard import source_path
    from airflow_openai.vector_stores.naming import parse

    name = ingested(path, b"content", "vs_1")
    assert parse(name).relative_path == path
    assert source_path({"_filename": name, "attributes": None}) == path
    assert source_path({"_filename": "notes.md", "attributes": None}) == "notes.md"
    assert source_path({"_filename": name, "attributes": {"source_path": "s3://b/k.md"}}) == "s3://b/k.md"


def test_a_file_that_is_not_text_is_offered_whole_and_served_as_what_it_is(emu):
    api = Api(emu)
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    file_id = api.upload("chart.png", png, "vision")
    page = fetch(emu, f"/files/{file_id}")
    assert (
        page.status_code == 200
        and "Not text (1,032 bytes)" in page.text
        and "nothing in this emulator" in page.text
    )
    content = fetch(emu, f"/files/{file_id}/content")
    assert content.headers["content-type"] == "image/png" and content.content == png
    assert fetch(emu, "/files/file-nope/content").status_code == 404


def test_the_index_answers_with_a_trailing_slash_too(emu):
    page = httpx.get(f"{emu.dashboard_url}/", follow_redirects=True)
    assert page.status_code == 200 and "OpenAI emulator dashboard" in page.text
