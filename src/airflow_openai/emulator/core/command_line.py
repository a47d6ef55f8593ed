"""The `airflow-openai-emulator` command's options and `--help`: every option says its default, and the
help ends with what a first-time user needs (the clock and its speed, the control plane, an example).

`server.main` builds the parser here and acts on the options."""

from __future__ import annotations

import argparse

DESCRIPTION = """\
A local OpenAI platform API for tests and demos: the API under /v1 (any sk-... key;
sk-admin-... keys for /v1/organization only), its control plane under /_emulator/
(GET it for every route) and a dashboard at /_emulator/dashboard."""

EPILOG = """\
the clock:
  Timestamps the emulator hands out (created_at, expires_at, an audit log entry's
  effective_at) are on its own clock, which starts at this machine's time and runs
  --speed times faster: at the default 60 a 24-hour batch window passes in 24 real
  minutes, and the clock is a minute ahead of this machine's after one real second,
  an hour ahead after a real minute. Work that compares the emulator's times with
  real ones (an audit export of a wall-clock hour, a run's data interval) wants
  --speed 1. POST /_emulator/clock {"speed": ...} or {"advance": seconds} changes it
  while running; POST /_emulator/reset puts it back on real time (at its speed);
  the dashboard says how far ahead it is.

control plane (no key; JSON bodies; GET /_emulator/ lists every route):
  /_emulator/reset, /seed, /clock          start afresh, repeatable ids, time and speed
  /_emulator/faults, /rate_limit, /link    injected faults, a requests-per-minute cap, a slow link
  /_emulator/rate_limits, /latency         per-key request and token limits of model calls
  /_emulator/state/batch/{id}              force a batch (/state/fine_tuning/{id}: a job) into a state
  /_emulator/faults/fine_tuning, /runs     make a fine-tuning job or an assistant run fail
  /_emulator/faults/vector_store_files     make a vector store file fail
  /_emulator/organization/activity         seed audit log activity (also /audit_logs, /invites)
  /_emulator/identity                      the workload identity token exchange at /oauth/token

example:
  airflow-openai-emulator --data-dir /tmp/openai-emulator
  export AIRFLOW_CONN_OPENAI_DEFAULT='{"conn_type": "openai_platform",
    "host": "http://127.0.0.1:8089/v1", "password": "sk-emulator"}'"""


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Every option says its default (`none` where it has none); the description and epilog keep their lines."""

    def _get_help_string(self, action: argparse.Action) -> str:
        help_text = action.help or ""
        if action.required or action.default is argparse.SUPPRESS or not action.option_strings:
            return help_text
        if action.default is None or action.default == []:
            shown = "none"
        elif isinstance(action.default, float):
            shown = f"{action.default:g}"
        else:
            shown = str(action.default)
        return f"{help_text} (default: {shown})"


def parser(*, default_speed: float) -> argparse.ArgumentParser:
    """The command's parser; `default_speed` is `server.DEFAULT_SPEED` (`Emulator`'s default too)."""
    made = argparse.ArgumentParser(
        prog="airflow-openai-emulator", description=DESCRIPTION, epilog=EPILOG, formatter_class=HelpFormatter
    )
    made.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    made.add_argument("--port", type=int, default=8089, help="the port to listen on")
    made.add_argument(
        "--data-dir",
        required=True,
        help="where objects (SQLite) and file contents are kept; they survive a restart (required)",
    )
    made.add_argument(
        "--speed",
        type=float,
        default=default_speed,
        help="emulated seconds per real second; 1 is real time (see the clock, below)",
    )
    made.add_argument("--seed", type=int, default=None, help="make generated ids repeatable")
    made.add_argument(
        "--responder",
        default=None,
        help="module:function answering each model call, (endpoint, body) -> (status, body), "
        "instead of the built-in model",
    )
    made.add_argument(
        "--upstream",
        default=None,
        help="forward each model call to this OpenAI-compatible base URL instead (a Batch API "
        "for vLLM or Ollama)",
    )
    made.add_argument("--upstream-key", default=None, help="bearer key for --upstream")
    made.add_argument(
        "--accept-field",
        action="append",
        default=[],
        metavar="NAME",
        help="a body field of model calls to take though the API description (2.3.0) does not define it "
        "(refused otherwise, as the service refuses unknown fields); repeat for several",
    )
    made.add_argument(
        "--link-mb-per-second",
        type=float,
        default=None,
        help="carry each request body no faster than this, as one connection over a long-distance link",
    )
    return made
