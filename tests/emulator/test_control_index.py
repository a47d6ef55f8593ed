"""The emulator tells a newcomer what it can do: `GET /_emulator/` lists every route outside `/v1`
(JSON, or a page for a browser), and `airflow-openai-emulator --help` shows every option's default."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from airflow_openai.emulator.core import command_line
from airflow_openai.emulator.server import DEFAULT_SPEED

EXPECTED = {
    ("POST", "/_emulator/reset"),
    ("POST", "/_emulator/seed"),
    ("GET", "/_emulator/clock"),
    ("POST", "/_emulator/clock"),
    ("POST", "/_emulator/faults"),
    ("GET", "/_emulator/faults"),
    ("DELETE", "/_emulator/faults"),
    ("POST", "/_emulator/rate_limit"),
    ("POST", "/_emulator/rate_limits"),
    ("GET", "/_emulator/rate_limits"),
    ("DELETE", "/_emulator/rate_limits"),
    ("POST", "/_emulator/latency"),
    ("GET", "/_emulator/requests"),
    ("POST", "/_emulator/link"),
    ("POST", "/_emulator/identity"),
    ("GET", "/_emulator/identity"),
    ("POST", "/_emulator/identity/expire"),
    ("POST", "/_emulator/organization/activity"),
    ("POST", "/_emulator/organization/audit_logs"),
    ("POST", "/_emulator/organization/invites/{invite_id}/accept"),
    ("POST", "/_emulator/state/batch/{batch_id}"),
    ("POST", "/_emulator/state/fine_tuning/{job_id}"),
    ("POST", "/_emulator/faults/fine_tuning"),
    ("POST", "/_emulator/faults/vector_store_files"),
    ("POST", "/_emulator/faults/runs"),
}
"""The clock and speed, faults, rate limits, identity, organization seeding and the forcing routes."""


def test_the_index_lists_every_control_route_with_a_summary(emu):
    answer = httpx.get(f"{emu.url}/_emulator/")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json")
    routes = answer.json()["routes"]
    control = {(entry["method"], entry["path"]) for entry in routes if entry["group"] == "control"}
    assert control - {("GET", "/_emulator/")} == EXPECTED
    assert all(entry["summary"] for entry in routes), [entry for entry in routes if not entry["summary"]]
    clock = next(
        entry for entry in routes if (entry["method"], entry["path"]) == ("POST", "/_emulator/clock")
    )
    assert "speed" in clock["summary"] and "advance" in clock["summary"]
    groups = {entry["group"] for entry in routes}
    assert groups == {"control", "dashboard", "other"}
    assert ("POST", "/oauth/token") in {(entry["method"], entry["path"]) for entry in routes}
    assert not any(entry["path"].startswith("/v1/") for entry in routes)


def test_the_index_is_a_page_for_a_browser_and_answers_without_the_slash(emu):
    page = httpx.get(f"{emu.url}/_emulator", headers={"accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for _, path in EXPECTED:
        assert f"<code>{path}</code>" in page.text.replace("&#x27;", "'"), path
    assert "POST" in page.text and "Dashboard pages" in page.text


def test_the_index_needs_no_key_and_every_route_it_lists_answers(emu):
    routes = httpx.get(f"{emu.url}/_emulator/").json()["routes"]
    for entry in routes:
        if entry["method"] == "GET" and "{" not in entry["path"]:
            assert httpx.get(emu.url + entry["path"]).status_code == 200, entry["path"]


def _help() -> str:
    command = Path(sys.executable).with_name("airflow-openai-emulator")
    done = subprocess.run([str(command), "--help"], capture_output=True, text=True, timeout=60, check=True)
    return done.stdout


def _option_blocks(text: str) -> dict[str, str]:
    """Each option's entry under `options:`, on one line, by its long name."""
    section = text.split("\noptions:\n", 1)[1].split("\n\n", 1)[0]
    blocks: list[list[str]] = []
    for line in section.splitlines():
        if line.startswith("  -"):
            blocks.append([])
        blocks[-1].append(line.strip())
    return {block[0].split()[0].rstrip(","): " ".join(block) for block in blocks}


def test_help_shows_every_option_and_its_default():
    text = _help()
    options = [
        action
        for action in command_line.parser(default_speed=DEFAULT_SPEED)._actions
        if action.option_strings and action.dest != "help"
    ]
    assert len(options) >= 10
    blocks = _option_blocks(text)
    for action in options:
        name = action.option_strings[-1]
        assert name in blocks, name
        said = "(required)" if action.required else "(default: "
        assert said in blocks[name], f"{name} does not say its default: {blocks[name]}"
    assert blocks["--speed"].endswith("(default: 60)"), "the speed's default is 60 and says so"
    assert DEFAULT_SPEED == 60


def test_help_explains_the_clock_and_points_at_the_control_plane():
    flat = " ".join(_help().split())
    assert "--speed 1" in flat and "ahead" in flat
    assert "GET /_emulator/" in flat
    for route in (
        "/_emulator/clock",
        "/_emulator/faults",
        "/_emulator/rate_limits",
        "/_emulator/state/batch",
    ):
        assert route in flat, route
