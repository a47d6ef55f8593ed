"""The capability packages are plain logic: importing their submit steps, the sync engine and the
structured outputs loads no Airflow, so a script (or a test) drives them with a hook alone."""

from __future__ import annotations

import subprocess
import sys
import textwrap

PLAIN = (
    "airflow_openai.records",
    "airflow_openai.structured",
    "airflow_openai.batch.submission",
    "airflow_openai.batch.pipeline",
    "airflow_openai.fine_tuning.preparation",
    "airflow_openai.fine_tuning.submit",
    "airflow_openai.vector_stores.sync",
    "airflow_openai.vector_stores.uploads",
    "airflow_openai.vector_stores.report",
    "airflow_openai.vector_stores.sharing",
    "airflow_openai.vector_stores.refusals",
    "airflow_openai.vector_stores.expired",
    "airflow_openai.runs.start",
    "airflow_openai.runs.messages",
    "airflow_openai.client.identity",
)


def test_the_submit_steps_and_the_sync_engine_import_no_airflow():
    probe = textwrap.dedent(
        f"""
        import importlib, sys
        for name in {PLAIN!r}:
            importlib.import_module(name)
        loaded = sorted(m for m in sys.modules if m == "airflow" or m.startswith("airflow."))
        print("AIRFLOW=" + ",".join(loaded[:5]))
        """
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = done.stdout.split("AIRFLOW=", 1)[1].strip()
    assert loaded == "", f"importing the plain packages loaded {loaded}"


def test_a_sync_runs_with_a_hook_and_a_record_alone(emu, emu_hook, tmp_path):
    """Two rounds of a sync, the file batches waited for by reading them: what the operator does,
    without Airflow, its record in memory."""
    import time

    from airflow_openai.records import RecordStore
    from airflow_openai.vector_stores.record import VectorStoreRecord
    from airflow_openai.vector_stores.sync import Attaching, Finished, SyncSettings, VectorStoreSync

    emu.set_speed(600)
    for name in ("a.md", "b.md"):
        (tmp_path / name).write_text(f"the text of {name}")
    record = RecordStore(None, VectorStoreRecord)
    sync = VectorStoreSync(emu_hook, SyncSettings(source=f"{tmp_path}/*.md", store_key="notes"), record)
    sources = sync.scan()
    store_id = sync.store()
    step = sync.round(store_id, sources, round=1, tally={}, waited=False)
    assert isinstance(step, Attaching) and record.read().batches == step.batch_ids
    for batch_id in step.batch_ids:
        while emu_hook.get_vector_store_file_batch(store_id, batch_id).status == "in_progress":
            time.sleep(0.05)
    done = sync.round(store_id, sources, step.round, step.tally, waited=True)

    assert isinstance(done, Finished)
    assert done.result["added"] == 2 and done.result["failed"] == [] and record.read().batches == []
    again = VectorStoreSync(emu_hook, SyncSettings(source=f"{tmp_path}/*.md", store_key="notes"), record)
    finished = again.round(again.store(), again.scan(), round=1, tally={}, waited=False)
    assert (
        isinstance(finished, Finished)
        and finished.result["unchanged"] == 2
        and finished.result["uploaded"] == 0
    )
