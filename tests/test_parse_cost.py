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
        parsed = set(sys.modules) - before
        lineage = sorted(m for m in parsed if m.split(".")[0] == "openlineage" or m.startswith("airflow.providers.openlineage"))
        print("LINEAGE=" + ",".join(lineage))
        """
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    heavy = done.stdout.split("HEAVY=", 1)[1].split("\n", 1)[0].strip()
    assert heavy == "", f"importing the operators pulled in {heavy}"
    # OpenLineage is optional: its client and the provider's modules (beyond those `airflow.sdk`
    # loads) load only when the provider calls an operator, never to import or construct one.
    lineage = done.stdout.split("LINEAGE=", 1)[1].strip()
    assert lineage == "", f"importing the operators pulled in {lineage}"
