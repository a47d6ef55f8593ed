"""Airflow parses DAG files every 30 s: importing the operators and building one must stay cheap."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_importing_operators_loads_no_http_stack_and_constructing_reads_no_connection():
    probe = textwrap.dedent(
        """
        import sys
        import airflow.sdk
        before = set(sys.modules)
        import airflow_openai.operators as ops
        added = set(sys.modules) - before
        op = ops.OpenAIBaseOperator(task_id="t", openai_conn_id="does_not_exist")
        assert "hook" not in op.__dict__
        heavy = sorted(m for m in added if m.split(".")[0] == "httpx" or m.startswith("airflow_openai.client") or m.startswith("airflow_openai.hooks"))
        print("HEAVY=" + ",".join(heavy))
        """
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    heavy = done.stdout.split("HEAVY=", 1)[1].strip()
    assert heavy == "", f"importing the operators pulled in {heavy}"
