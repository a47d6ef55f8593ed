"""A fine-tuning result file read into metrics, a summary and a loss chart; no Airflow, no network
(except the object storage writes, which go through Airflow's ObjectStoragePath)."""

from __future__ import annotations

import base64
import contextlib
import json
import math
import random
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from airflow_openai.fine_tuning.loss_chart import (
    MAX_POINTS_PER_SERIES,
    downsample,
    loss_chart_svg,
    nice_ticks,
)
from airflow_openai.fine_tuning.metrics import (
    StepMetrics,
    best_checkpoint,
    decode_result_file,
    parse_step_metrics,
    summarize,
    write_metrics,
)

SVG = "{http://www.w3.org/2000/svg}"
HEADER = "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy"


def result_csv(steps: int = 10, *, valid_every: int | None = 5) -> bytes:
    """A known curve: train loss 2/step, validation loss 1.5/step + 0.1 every `valid_every` steps."""
    lines = [HEADER]
    for step in range(1, steps + 1):
        valid = valid_every is not None and step % valid_every == 0
        lines.append(
            f"{step},{2 / step},{0.5 + step / 100},"
            + (f"{1.5 / step + 0.1},{0.6 + step / 100}" if valid else ",")
        )
    return ("\n".join(lines) + "\n").encode()


def svg_root(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def polylines(root: ET.Element) -> dict[str, ET.Element]:
    return {line.get("class", ""): line for line in root.iter(f"{SVG}polyline")}


def texts(root: ET.Element) -> list[str]:
    return ["".join(node.itertext()) for node in root.iter(f"{SVG}text")]


def point_count(line: ET.Element) -> int:
    return len((line.get("points") or "").split())


# --- reading the file ---------------------------------------------------------------------------


def test_plain_csv_is_read_in_step_order():
    rows = parse_step_metrics(result_csv(10))
    assert [row.step for row in rows] == list(range(1, 11))
    assert rows[0] == StepMetrics(step=1, train_loss=2.0, train_accuracy=0.51)
    assert rows[4].valid_loss == pytest.approx(0.4) and rows[4].valid_mean_token_accuracy == pytest.approx(
        0.65
    )
    assert rows[3].valid_loss is None and rows[3].valid_mean_token_accuracy is None


def test_base64_csv_is_read_like_the_plain_one():
    plain = result_csv(10)
    encoded = base64.b64encode(plain)
    assert parse_step_metrics(encoded) == parse_step_metrics(plain)
    assert decode_result_file(encoded) == plain


def test_base64_with_line_breaks_a_bom_and_a_str_is_read():
    plain = b"\xef\xbb\xbf" + result_csv(3)
    wrapped = base64.encodebytes(plain)  # 76-character lines
    assert b"\n" in wrapped.strip()
    assert parse_step_metrics(wrapped.decode()) == parse_step_metrics(result_csv(3))


def test_extra_numeric_columns_are_kept_and_text_columns_left_out():
    data = (
        b"step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy,full_valid_loss,"
        b"full_valid_mean_token_accuracy,note\n"
        b"1,1.0,0.5,,,,,warming up\n"
        b"2,0.5,0.6,0.7,0.55,0.72,0.54,\n"
    )
    rows = parse_step_metrics(data)
    assert rows[0].extra == {"full_valid_loss": None, "full_valid_mean_token_accuracy": None}
    assert rows[1].extra == {"full_valid_loss": 0.72, "full_valid_mean_token_accuracy": 0.54}
    assert rows[1].as_dict()["full_valid_loss"] == 0.72
    assert "note" not in rows[1].as_dict()
    assert summarize(rows)["final_full_valid_loss"] == 0.72


def test_empty_and_nan_cells_are_none_and_columns_may_come_in_any_order():
    data = b"train_loss, step ,valid_loss\nnan,1,\n0.5,2,NaN\ninf,3,0.25\n\n"
    rows = parse_step_metrics(data)
    assert [(r.step, r.train_loss, r.valid_loss) for r in rows] == [
        (1, None, None),
        (2, 0.5, None),
        (3, None, 0.25),
    ]
    assert rows[0].train_accuracy is None  # a column the file does not have


def test_unsorted_rows_come_back_in_step_order_and_whole_float_steps_are_steps():
    rows = parse_step_metrics(b"step,train_loss\n3,0.3\n1.0,0.1\n2,0.2\n")
    assert [row.step for row in rows] == [1, 2, 3]


def test_header_only_is_no_rows():
    assert parse_step_metrics(HEADER.encode() + b"\n") == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"  \n", "empty"),
        (b'{"error": "not found"}', r"neither a CSV.*starts with '\{\"error\""),
        (b"loss,accuracy\n1,2\n", "neither a CSV whose header names a 'step' column nor base64"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "neither a CSV"),
        (
            base64.b64encode(b"hello world, no header here"),
            "nor base64 of one; it starts with 'aGVs.*; read as base64, with 'hello world",
        ),
        (b"step,train_loss\n1,0.5\n2,abc\n", "line 3 .* 'abc' in column 'train_loss', not a number"),
        (b"step,train_loss\n1,0.5\n2.5,0.4\n", "line 3 .* step '2.5', not a whole number"),
        (b"step,train_loss\n1,0.5\n,0.4\n", "line 3 .* step '', not a whole number"),
        (b"step,train_loss\n1,0.5\n2,0.4,9\n", "line 3 .* 3 cells where the header has 2"),
        (b"step,train_loss\n1,0.5\n2\n", "line 3 .* 1 cells where the header has 2"),
        (b"step,train_loss,train_loss\n1,0.5,0.5\n", "names the column 'train_loss' twice"),
        (b"step,train_loss\n1,0.5\n2,\xff\n", r"not UTF-8 text \(byte 0xff"),
    ],
)
def test_malformed_files_are_refused_with_what_was_found(data, message):
    with pytest.raises(ValueError, match=message):
        parse_step_metrics(data)


def test_a_long_unreadable_file_is_quoted_short():
    with pytest.raises(ValueError) as refused:
        parse_step_metrics(b"<html>" + b"x" * 10_000)
    assert len(str(refused.value)) < 300
    assert "10006 bytes in all" in str(refused.value)


# --- the summary ---------------------------------------------------------------------------------


def test_summary_of_a_known_curve():
    rows = parse_step_metrics(result_csv(20, valid_every=5))
    summary = summarize(rows)
    assert summary["steps"] == 20 and summary["last_step"] == 20
    assert summary["first_train_loss"] == 2.0
    assert summary["final_train_loss"] == pytest.approx(0.1)
    assert summary["final_train_accuracy"] == pytest.approx(0.7)
    assert summary["improvement"] == pytest.approx(0.95)
    assert summary["final_valid_loss"] == pytest.approx(1.5 / 20 + 0.1)
    assert summary["min_valid_loss"] == pytest.approx(1.5 / 20 + 0.1)
    assert summary["min_valid_loss_step"] == 20
    assert summary["final_valid_mean_token_accuracy"] == pytest.approx(0.8)
    assert summary["final_full_valid_loss"] is None
    assert summary["best_checkpoint"] is None
    assert json.loads(json.dumps(summary, allow_nan=False)) == summary


def test_the_lowest_validation_loss_need_not_be_the_last():
    rows = parse_step_metrics(b"step,train_loss,valid_loss\n1,2.0,1.0\n2,1.0,0.4\n3,0.5,0.6\n4,0.4,\n")
    summary = summarize(rows)
    assert (summary["min_valid_loss"], summary["min_valid_loss_step"]) == (0.4, 2)
    assert summary["final_valid_loss"] == 0.6  # the last step that reported one
    assert summary["final_train_loss"] == 0.4


def test_summary_without_validation_or_rows():
    summary = summarize(parse_step_metrics(result_csv(5, valid_every=None)))
    assert summary["final_valid_loss"] is None and summary["min_valid_loss_step"] is None
    assert summary["final_train_loss"] == pytest.approx(0.4)
    empty = summarize([])
    assert empty["steps"] == 0 and empty["last_step"] is None and empty["improvement"] is None
    assert summarize([StepMetrics(step=1, train_loss=0.0)])["improvement"] is None  # no fraction of zero


CHECKPOINTS = [
    {
        "object": "fine_tuning.job.checkpoint",
        "id": "ftckpt_a",
        "step_number": 10,
        "fine_tuned_model_checkpoint": "ft:gpt-4o-mini:org:run:abc:ckpt-step-10",
        "metrics": {"step": 10, "train_loss": 0.5, "valid_loss": 0.62, "full_valid_loss": 0.6},
    },
    {
        "object": "fine_tuning.job.checkpoint",
        "id": "ftckpt_b",
        "step_number": 20,
        "fine_tuned_model_checkpoint": "ft:gpt-4o-mini:org:run:abc:ckpt-step-20",
        "metrics": {"step": 20, "train_loss": 0.3, "valid_loss": 0.55, "full_valid_loss": float("nan")},
    },
    {
        "object": "fine_tuning.job.checkpoint",
        "id": "ftckpt_c",
        "step_number": 30,
        "fine_tuned_model_checkpoint": "ft:gpt-4o-mini:org:run:abc",
        "metrics": {"step": 30, "train_loss": 0.1, "valid_loss": 0.7},
    },
]


def test_best_checkpoint_has_the_lowest_validation_loss():
    best = summarize(parse_step_metrics(result_csv(30)), CHECKPOINTS)["best_checkpoint"]
    assert best == {
        "step_number": 20,
        "fine_tuned_model_checkpoint": "ft:gpt-4o-mini:org:run:abc:ckpt-step-20",
        "metrics": {"step": 20, "train_loss": 0.3, "valid_loss": 0.55, "full_valid_loss": None},
        "chosen_by": "valid_loss",
    }
    json.dumps(best, allow_nan=False)


def test_best_checkpoint_falls_back_to_train_loss_and_ties_go_to_the_earlier_step():
    without_validation = [
        {**c, "metrics": {k: v for k, v in c["metrics"].items() if k != "valid_loss"}} for c in CHECKPOINTS
    ]
    best = best_checkpoint(without_validation)
    assert best is not None
    assert (best["step_number"], best["chosen_by"]) == (30, "train_loss")
    tied = [{**c, "metrics": {"train_loss": 0.2}} for c in reversed(CHECKPOINTS)]
    assert best_checkpoint(tied)["step_number"] == 10  # type: ignore[index]
    assert best_checkpoint([]) is None
    assert best_checkpoint([{"step_number": 1, "metrics": {"valid_loss": None}}]) is None


def test_best_checkpoint_takes_sdk_objects():
    class Checkpoint:  # what the openai SDK's pydantic models offer
        def __init__(self, data):
            self.data = data

        def model_dump(self):
            return self.data

    best = best_checkpoint([Checkpoint(c) for c in CHECKPOINTS])
    assert best is not None and best["step_number"] == 20


# --- the chart -----------------------------------------------------------------------------------


def test_chart_is_svg_with_axes_ticks_legend_and_both_series():
    rows = parse_step_metrics(result_csv(100, valid_every=10))
    root = svg_root(loss_chart_svg(rows, title="ft:gpt-4o-mini:org:run:abc"))
    assert root.get("viewBox") == "0 0 720 360"
    lines = polylines(root)
    assert set(lines) == {"train-loss", "valid-loss"}
    assert point_count(lines["train-loss"]) == 100
    assert point_count(lines["valid-loss"]) == 10  # only the steps with a validation loss
    labels = texts(root)
    assert "ft:gpt-4o-mini:org:run:abc" in labels
    assert {"step", "loss", "train loss", "validation loss"} <= set(labels)
    assert {"0", "20", "40", "60", "80", "100"} <= set(labels)  # round step ticks
    assert {"0.0", "0.5", "1.0", "1.5", "2.0"} <= set(labels)  # round loss ticks
    assert root.find(f"{SVG}title") is not None


def test_chart_points_stay_inside_the_plot():
    root = svg_root(loss_chart_svg(parse_step_metrics(result_csv(50)), title="t", width=500, height=300))
    for line in polylines(root).values():
        for pair in (line.get("points") or "").split():
            x, y = map(float, pair.split(","))
            assert 0 < x < 500 and 0 < y < 300


def test_chart_without_validation_has_one_series_and_legend_entry():
    root = svg_root(loss_chart_svg(parse_step_metrics(result_csv(20, valid_every=None)), title="t"))
    assert set(polylines(root)) == {"train-loss"}
    assert "train loss" in texts(root) and "validation loss" not in texts(root)


def test_chart_escapes_the_title():
    title = 'ft:<model> & "friends" \x00\x1b'
    svg = loss_chart_svg(parse_step_metrics(result_csv(5)), title=title)
    root = svg_root(svg)
    assert 'ft:<model> & "friends" ' in texts(root)
    assert root.findtext(f"{SVG}title") == 'ft:<model> & "friends" '
    assert "<model>" not in svg


def test_chart_cuts_a_title_too_long_to_fit():
    root = svg_root(loss_chart_svg(parse_step_metrics(result_csv(5)), title="x" * 500))
    shown = [text for text in texts(root) if text.startswith("xxx")]
    assert len(shown) == 1 and shown[0].endswith("…") and len(shown[0]) < 100
    assert root.findtext(f"{SVG}title") == "x" * 500  # the full title stays for tooltips


def test_chart_of_a_single_step_marks_the_point():
    root = svg_root(loss_chart_svg([StepMetrics(step=1, train_loss=1.2, valid_loss=1.3)], title="one"))
    assert set(polylines(root)) == {"train-loss", "valid-loss"}
    assert len(list(root.iter(f"{SVG}circle"))) == 2
    assert not any("nan" in (line.get("points") or "").lower() for line in polylines(root).values())


@pytest.mark.parametrize("loss", [0.0, 0.7, 1234.5])
def test_chart_of_equal_losses(loss):
    root = svg_root(loss_chart_svg([StepMetrics(step=s, train_loss=loss) for s in range(1, 6)], title="flat"))
    points = (polylines(root)["train-loss"].get("points") or "").split()
    assert len({pair.split(",")[1] for pair in points}) == 1  # one height, drawn
    assert not any(text.startswith("-") for text in texts(root))  # no negative loss ticks


def test_chart_with_nothing_to_plot_says_so():
    root = svg_root(loss_chart_svg([StepMetrics(step=1)], title="nothing"))
    assert polylines(root) == {}
    assert "no loss values to plot" in texts(root)
    svg_root(loss_chart_svg([], title="nothing"))


def test_chart_of_twenty_thousand_steps_stays_small_and_keeps_spikes():
    rng = random.Random(7)
    rows = [
        StepMetrics(
            step=step,
            train_loss=2 * math.exp(-step / 4000) + rng.random() * 0.2 + (5.0 if step == 12_345 else 0.0),
            valid_loss=1.8 * math.exp(-step / 4000) + 0.1 if step % 10 == 0 else None,
        )
        for step in range(1, 20_001)
    ]
    svg = loss_chart_svg(rows, title="big")
    assert len(svg.encode()) < 40_000
    root = svg_root(svg)
    lines = polylines(root)
    assert point_count(lines["train-loss"]) <= MAX_POINTS_PER_SERIES
    assert point_count(lines["valid-loss"]) <= MAX_POINTS_PER_SERIES
    top = min(float(pair.split(",")[1]) for pair in (lines["train-loss"].get("points") or "").split())
    assert top < 100  # the spike at step 12,345 (loss 7) stands far above the rest (loss 2.2 and below)
    assert "20,000" in texts(root)


def test_downsample_keeps_ends_and_extremes():
    points = [(float(x), math.sin(x / 50)) for x in range(10_000)]
    points[4321] = (4321.0, 9.0)
    points[777] = (777.0, -9.0)
    kept = downsample(points, 100)
    assert len(kept) <= 100
    assert kept[0] == points[0] and kept[-1] == points[-1]
    assert (4321.0, 9.0) in kept and (777.0, -9.0) in kept
    assert kept == sorted(kept)
    assert downsample(points[:50], 100) == points[:50]


@pytest.mark.parametrize(
    ("low", "high", "integer", "expected"),
    [
        (0.13, 2.9, False, [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0]),
        (1, 20_000, True, [0, 5_000, 10_000, 15_000, 20_000]),
        (0, 2, True, [0, 1, 2]),
        (0.0012, 0.0019, False, [0.0012, 0.0013, 0.0014, 0.0015, 0.0016, 0.0017, 0.0018, 0.0019]),
    ],
)
def test_nice_ticks(low, high, integer, expected):
    assert nice_ticks(low, high, 6, integer=integer) == pytest.approx(expected)


def test_chart_refuses_a_size_too_small_to_read():
    with pytest.raises(ValueError, match="at least 240x160"):
        loss_chart_svg([], title="t", width=100, height=100)


# --- writing -------------------------------------------------------------------------------------


def check_written(result, read):
    assert result["summary"]["steps"] == 30
    assert result["summary"]["best_checkpoint"]["step_number"] == 20
    document = json.loads(read(result["metrics_path"]))
    assert document["title"] == "ft:gpt-4o-mini:org:run:abc"
    assert document["summary"] == result["summary"]
    assert len(document["steps"]) == 30 and document["steps"][4]["valid_loss"] == pytest.approx(0.4)
    assert set(polylines(svg_root(read(result["chart_path"]).decode()))) == {"train-loss", "valid-loss"}
    assert read(result["csv_path"]) == result_csv(30)
    json.dumps(result, allow_nan=False)  # fit for an XCom


def test_write_metrics_to_a_local_folder(tmp_path):
    folder = tmp_path / "runs" / "job-1"  # not there yet
    result = write_metrics(
        base64.b64encode(result_csv(30)),
        str(folder),
        title="ft:gpt-4o-mini:org:run:abc",
        checkpoints=CHECKPOINTS,
    )
    assert result["metrics_path"] == str(folder / "metrics.json")
    assert result["chart_path"] == str(folder / "loss.svg")
    assert result["csv_path"] == str(folder / "step_metrics.csv")
    check_written(result, lambda path: Path(path).read_bytes())


def test_write_metrics_refuses_a_bad_file_before_writing_anything(tmp_path):
    with pytest.raises(ValueError, match="neither a CSV"):
        write_metrics(b"not a result file", str(tmp_path / "out"), title="t")
    assert not (tmp_path / "out").exists()


def test_write_metrics_to_an_object_storage_uri(tmp_path):
    from airflow.sdk import ObjectStoragePath

    uri = f"file://{tmp_path}/bucket/job-1/"
    result = write_metrics(result_csv(30), uri, title="ft:gpt-4o-mini:org:run:abc", checkpoints=CHECKPOINTS)
    assert result["metrics_path"] == f"file://{tmp_path}/bucket/job-1/metrics.json"
    check_written(result, lambda path: ObjectStoragePath(path).read_bytes())
    as_path = write_metrics(
        result_csv(30), ObjectStoragePath(uri), title="ft:gpt-4o-mini:org:run:abc", checkpoints=CHECKPOINTS
    )
    assert as_path["chart_path"] == result["chart_path"]


def test_write_metrics_to_memory_storage():
    from airflow.sdk import ObjectStoragePath

    try:
        ObjectStoragePath("memory://probe/x").fs  # noqa: B018 - resolving the filesystem is the probe
    except ValueError as exc:
        pytest.skip(f"Airflow's ObjectStoragePath has no memory:// filesystem here ({exc})")
    result = write_metrics(
        result_csv(30), "memory://bucket/job-1", title="ft:gpt-4o-mini:org:run:abc", checkpoints=CHECKPOINTS
    )
    check_written(result, lambda path: ObjectStoragePath(path).read_bytes())


def test_a_failed_write_leaves_no_half_file_and_no_metrics_json(tmp_path, monkeypatch):
    from airflow_openai import storage

    real_open = storage.open_binary

    @contextlib.contextmanager
    def disk_full_on_the_chart(path, mode, **kwargs):
        with real_open(path, mode, **kwargs) as stream:
            if str(path).endswith("loss.svg"):
                stream.write(b"<svg")
                raise OSError("disk full")
            yield stream

    monkeypatch.setattr(storage, "open_binary", disk_full_on_the_chart)
    with pytest.raises(OSError, match="disk full"):
        write_metrics(result_csv(5), str(tmp_path / "out"), title="t")
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["step_metrics.csv"]


def test_importing_the_modules_does_not_import_airflow():
    code = (
        "import sys, airflow_openai.fine_tuning.metrics, airflow_openai.fine_tuning.loss_chart; "
        "print('airflow' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "False"
