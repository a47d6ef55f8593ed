"""The journal: each answer kept the moment it is written, a line cut by a kill dropped, another input's set aside."""

from __future__ import annotations

from airflow_openai.direct.journal import Journal


def test_answers_written_are_answered_on_reopening(tmp_path):
    path = tmp_path / "out.jsonl.journal"
    journal = Journal(path, "input-a").open()
    journal.write({"custom_id": "a", "status": "succeeded"})
    journal.write({"custom_id": "b", "status": "failed"})
    journal.close()

    again = Journal(path, "input-a").open()
    assert again.answered == {"a", "b"}
    again.write({"custom_id": "c", "status": "succeeded"})
    again.close()
    assert [row["custom_id"] for row in again.rows()] == ["a", "b", "c"]


def test_a_line_cut_short_by_a_kill_is_dropped(tmp_path):
    path = tmp_path / "out.jsonl.journal"
    journal = Journal(path, "input-a").open()
    journal.write({"custom_id": "a", "status": "succeeded"})
    journal.close()
    with path.open("ab") as sink:
        sink.write(b'{"custom_id": "b", "stat')

    again = Journal(path, "input-a").open()
    assert again.answered == {"a"}, "b is sent again: its answer was never whole on disk"
    again.write({"custom_id": "b", "status": "succeeded"})
    again.close()
    assert [row["custom_id"] for row in again.rows()] == ["a", "b"]


def test_a_journal_of_another_input_is_set_aside(tmp_path):
    path = tmp_path / "out.jsonl.journal"
    journal = Journal(path, "input-a").open()
    journal.write({"custom_id": "a", "status": "succeeded"})
    journal.close()

    other = Journal(path, "input-b").open()
    assert other.answered == set()
    other.close()
    assert (tmp_path / "out.jsonl.journal.other-input").exists()
