"""The HTML report and the Markdown leaderboard, built from a real (tiny) suite."""

from __future__ import annotations

import io
import json
import math
import struct
import zlib
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import built_once

from bench.cli.main import main
from bench.config import RunSpec
from bench.store.records import RunRecord
from report.charts import (
    ONE_SEED,
    accuracy_against,
    augmentation_effect,
    learning_curves,
    pareto_front,
)
from report.highlights import highlights
from report.images import png_bytes
from report.labels import Point, place
from report.leaderboard import MISSING, leaderboard, markdown, table_csv
from report.significance import augmentation_effects


@pytest.fixture(scope="module")
def report_html(report_path):
    return report_path.read_text()


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if "id" in attributes:
            self.ids.add(attributes["id"])


def _parse(html: str) -> _Collector:
    parser = _Collector()
    parser.feed(html)
    parser.close()
    return parser


# the finished runs of ``small_suite``; its broken architecture's runs failed
FINISHED_RUNS = [
    f"digits-smoke-{arch}-{augment}-s0"
    for arch in ("lenet5", "custom_cnn")
    for augment in ("noaug", "aug")
]
# the charts of the suite (the top), of latency, and of the data
SUITE_CHARTS = {"chart-pareto", "chart-latency", "chart-augment", "chart-curves", "chart-time"}
LATENCY_CHARTS = {"chart-runtimes", "chart-latency-history"}
DATA_CHARTS = {"chart-class-counts", "chart-pixels", "chart-pca"}


def _chart_divs(tags) -> set[str]:
    return {a["id"] for t, a in tags if t == "div" and "chart" in a.get("class", "").split()}


def test_the_report_holds_every_table_and_chart(report_html):
    ids = _parse(report_html).ids
    tables = {"leaderboard-table", "architectures-table", "failed-table", "class-counts"}
    data = {"samples", "class-means", "augmentation-preview"}
    assert tables | SUITE_CHARTS | LATENCY_CHARTS | DATA_CHARTS | data <= ids
    for run_id in FINISHED_RUNS:
        assert f"chart-confusion-{run_id}" in ids
        assert f"run-{run_id}" in ids


def test_every_chart_has_its_figure(report_html):
    tags = _parse(report_html).tags
    chart_divs = _chart_divs(tags)
    specs = [a["data-target"] for t, a in tags if "chart-spec" in a.get("class", "")]
    assert sorted(specs) == sorted(chart_divs)
    assert chart_divs >= SUITE_CHARTS | LATENCY_CHARTS | DATA_CHARTS


def test_each_finished_run_has_one_confusion_chart_and_a_failed_run_none(report_html):
    chart_divs = _chart_divs(_parse(report_html).tags)
    confusion = {chart for chart in chart_divs if chart.startswith("chart-confusion-")}
    assert confusion == {f"chart-confusion-{run_id}" for run_id in FINISHED_RUNS}


def test_the_report_loads_nothing_from_outside(report_html):
    for tag, attributes in _parse(report_html).tags:
        assert tag != "link", "no external stylesheets"
        if tag == "script":
            assert "src" not in attributes
        if tag == "img":
            assert attributes["src"].startswith("data:image/png;base64,")
        for name in ("src", "href"):
            value = attributes.get(name) or ""
            assert not value.startswith(("http:", "https:", "//")), value


def test_text_from_users_files_is_escaped(report_html):
    assert "<script>alert(" not in report_html
    assert "&lt;script&gt;alert(" in report_html  # the failed run's reason, shown escaped


def test_the_failed_run_is_listed_with_its_reason(report_html):
    assert "digits-smoke-broken-noaug-s0" in report_html
    assert "no model today" in report_html


def test_the_records_a_suite_writes_round_trip_through_run_record_byte_for_byte(small_suite):
    paths = sorted(small_suite.glob("*/record.json"))
    assert len(paths) == 6  # four finished runs and the broken architecture's two failures
    for path in paths:
        text = path.read_text()
        record = RunRecord.from_json(json.loads(text), path)
        assert json.dumps(record.to_json(), indent=2, sort_keys=True) + "\n" == text
    assert {RunRecord.from_json(json.loads(p.read_text())).status for p in paths} == {
        "ok",
        "failed",
    }


def test_unmeasured_latency_shows_an_em_dash(small_suite):
    text = _markdown(small_suite)
    assert "p50 ms" in text and MISSING in text


def test_the_markdown_leaderboard_has_one_row_per_configuration(small_suite):
    lines = _markdown(small_suite).splitlines()
    assert lines[0].startswith("| architecture")
    assert lines[1].startswith("|--")
    rows = lines[2:]
    assert len(rows) == 4  # lenet5 and custom_cnn, augmentation on and off; the failure is not
    assert {row.split("|")[1].strip() for row in rows} == {"lenet5", "custom_cnn"}


def _markdown(results) -> str:
    from bench.store import results as store

    return markdown(leaderboard(store.load(results)))


def test_report_of_an_empty_folder_is_a_one_line_error(tmp_path, capsys):
    assert main(["report", "--results", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "holds no runs" in err


def _runs(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    base = {
        "dataset": ["mnist"] * n,
        "profile": ["standard"] * n,
        "arch": ["a"] * n,
        "augment": [False] * n,
        "variant": ["default"] * n,
        "status": ["ok"] * n,
        "params": [100] * n,
        "flops": [1000] * n,
        "saved_bytes": [5000] * n,
        "train_seconds": [10.0] * n,
        "seconds_per_epoch": [1.0] * n,
        "images_per_second": [100.0] * n,
    }
    base.update(columns)
    return pd.DataFrame(base)


def test_seeds_are_pooled_with_a_student_t_interval():
    board = leaderboard(_runs(seed=[0, 1, 2], test_accuracy=[0.990, 0.992, 0.994]))
    (row,) = board.to_dict("records")
    assert row["seeds"] == 3
    assert row["test_accuracy"] == pytest.approx(0.992)
    # t(0.975, 2) = 4.3027; std = 0.002; half width = 4.3027 * 0.002 / sqrt(3)
    half = 4.302653 * 0.002 / math.sqrt(3)
    assert row["interval"] == pytest.approx((0.992 - half, 0.992 + half), rel=1e-5)
    assert row["error_pct"] == pytest.approx(0.8)


def test_an_accuracy_interval_stops_at_one():
    board = leaderboard(_runs(seed=[0, 1], test_accuracy=[0.9950, 0.9961]))
    (row,) = board.to_dict("records")
    # t(0.975, 1) = 12.706; half width = 12.706 * std / sqrt(2) = 0.0070: 0.9885 to 1.0025
    assert row["interval"] == pytest.approx((0.99555 - 12.7062 * 0.00055, 1.0), rel=1e-4)


def test_a_single_seed_has_no_interval():
    (row,) = leaderboard(_runs(seed=[0], test_accuracy=[0.99])).to_dict("records")
    assert all(math.isnan(bound) for bound in row["interval"])


def test_failed_runs_do_not_count_towards_the_leaderboard():
    runs = _runs(seed=[0, 1], test_accuracy=[0.99, math.nan], status=["ok", "failed"])
    (row,) = leaderboard(runs).to_dict("records")
    assert row["seeds"] == 1 and row["test_accuracy"] == 0.99


def test_highlights_name_the_best_and_the_smallest_close_to_it():
    runs = _runs(
        seed=[0, 0, 0, 0],
        arch=["big", "big", "small", "small"],
        augment=[False, True, False, True],
        params=[1000, 1000, 10, 10],
        test_accuracy=[0.990, 0.995, 0.989, 0.994],
    )
    lines = highlights(leaderboard(runs))
    assert lines[0] == "Most accurate: big (augmentation on), test accuracy 0.9950."
    assert lines[1].startswith("Smallest within 0.2 points of it: small (augmentation on), 10 ")
    assert "Augmentation raised test accuracy for 2 of 2 architectures" in lines[2]
    assert "One seed per configuration" in lines[3]


def test_a_check_profile_is_not_ranked_and_the_page_says_its_accuracies_mean_nothing(
    report_html, small_suite
):
    from bench.store import results as store

    assert highlights(leaderboard(store.load(small_suite))) == []
    assert 'class="warning check-profile">Profile smoke' in report_html
    assert "accuracies mean nothing" in report_html
    assert 'id="highlights"' not in report_html
    assert "significantly better" not in report_html


def test_the_highlights_rank_only_the_runs_of_profiles_that_measure():
    runs = _runs(
        seed=[0, 0],
        arch=["checked", "measured"],
        profile=["smoke", "standard"],
        test_accuracy=[0.999, 0.99],
    )
    assert highlights(leaderboard(runs))[0].startswith("Most accurate: measured")


def test_the_augmentation_chart_shows_the_paired_difference_in_points_with_its_interval():
    seeds = [0, 1, 2, 0, 1, 2]
    on = [True, True, True, False, False, False]
    accuracy = [0.9912, 0.9905, 0.9920, 0.9900, 0.9899, 0.9904]
    effects = augmentation_effects(_runs(seed=seeds, augment=on, test_accuracy=accuracy))
    (bar,) = augmentation_effect(effects).data
    (effect,) = effects
    assert bar.y[0] == pytest.approx(100 * effect.difference.mean) == pytest.approx(0.113333, 1e-4)
    assert bar.error_y.visible
    assert bar.error_y.array[0] == pytest.approx(
        100 * (effect.difference.high - effect.difference.mean)
    )
    assert bar.error_y.arrayminus[0] == pytest.approx(
        100 * (effect.difference.mean - effect.difference.low)
    )
    one_seed = augmentation_effects(
        _runs(seed=[0, 0], augment=[True, False], test_accuracy=[0.9, 0.8])
    )
    chart = augmentation_effect(one_seed)
    (bar,) = chart.data
    assert bar.y[0] == pytest.approx(10.0) and not bar.error_y.visible
    subtitle = chart.layout.title.subtitle.text
    assert "95%" not in subtitle and "one seed" in subtitle


def test_a_chart_of_one_seed_per_point_claims_no_interval_and_no_pareto_frontier():
    board = leaderboard(_runs(arch=["a", "b"], test_accuracy=[0.99, 0.98], params=[10, 20]))
    chart = accuracy_against(board, "params", "Accuracy against size", "parameters")
    names = [trace.name for trace in chart.data]
    assert "frontier of one seed" in names and "Pareto frontier" not in names
    assert chart.layout.title.subtitle.text == ONE_SEED


def test_the_learning_curves_colour_by_network_dash_by_augmentation_and_group_the_legend():
    history = pd.DataFrame({"epoch": [1, 2], "val_accuracy": [0.9, 0.95]})
    curves = [
        (
            RunRecord(
                run_id=f"{arch}-{augment}-{seed}",
                spec=RunSpec(dataset="mnist", arch=arch, augment=augment, seed=seed),
                status="ok",
            ),
            history,
        )
        for arch in ("a", "b", "c")
        for augment in (False, True)
        for seed in (0, 1)
    ]
    traces = learning_curves(curves).data
    assert len(traces) == 12
    colours = {
        t.legendgroup: {t2.line.color for t2 in traces if t2.legendgroup == t.legendgroup}
        for t in traces
    }
    assert all(len(c) == 1 for c in colours.values()) and len(set.union(*colours.values())) == 3
    assert {(t.name, t.line.dash) for t in traces} == {
        ("augmentation off", "solid"),
        ("augmentation on", "dash"),
    }
    assert [(t.legendgroup, t.name) for t in traces if t.showlegend] == [
        (arch, f"augmentation {aug}") for arch in ("a", "b", "c") for aug in ("off", "on")
    ]


def test_labels_close_together_take_sides_that_do_not_overlap():
    # two networks 0.05 decades apart at the same accuracy: the second goes to another side
    anchors = [Point(5.0, 0.99, 0.99, 0.99), Point(5.05, 0.99, 0.99, 0.99)]
    sides = place(anchors, ["inception_lite", "vgg_lite"], anchors, [], (4.5, 5.5), (0.98, 1.0))
    assert sides[0] != sides[1]
    assert "right" in sides[1] or sides[1].startswith(("top", "bottom"))
    # the rightmost of several, near the plot's edge, goes left rather than out
    edge = [Point(5.45, 0.99, 0.99, 0.99)]
    assert "left" in place(edge, ["alexnet_style"], edge, [], (4.5, 5.5), (0.98, 1.0))[0]


def test_the_pareto_front_keeps_only_models_nothing_cheaper_beats():
    cost = pd.Series([10, 20, 30, 40])
    accuracy = pd.Series([0.98, 0.97, 0.99, 0.985])
    assert pareto_front(cost, accuracy) == [0, 2]


def _decode_png(data: bytes) -> np.ndarray:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body)
        chunks[kind] = chunks.get(kind, b"") + body
        pos += 12 + length
    width, height = struct.unpack(">II", chunks[b"IHDR"][:8])
    rows = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8).reshape(height, width + 1)
    assert (rows[:, 0] == 0).all()  # no filtering
    return rows[:, 1:]


def test_images_round_trip_through_png():
    image = np.arange(28 * 20, dtype=np.uint8).reshape(28, 20)
    assert np.array_equal(_decode_png(png_bytes(image)), image)


def test_float_images_are_scaled_from_unit_range():
    image = np.array([[0.0, 0.5, 1.0]], dtype=np.float32)
    assert _decode_png(png_bytes(image)).tolist() == [[0, 128, 255]]


@pytest.fixture(scope="module")
def saved_benchmarks(tmp_path_factory):
    """A real pytest-benchmark run of lenet5's latency cases, autosaved to a folder, and a
    copy of it saved as the next run, a day later."""
    import json
    import os
    import subprocess
    import sys
    from datetime import datetime, timedelta

    def build(storage: Path) -> None:
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        command += ["tests/benchmarks", "-k", "lenet5", "--benchmark-autosave"]
        command += [
            f"--benchmark-storage={storage}",
            "--benchmark-min-rounds=5",
            "--benchmark-max-time=0.2",
        ]
        # as a person runs it: not as a test worker, where pytest-benchmark would not measure
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)
        assert done.returncode == 0, done.stdout[-2000:]
        (first,) = storage.glob("*/0001_*.json")
        saved = json.loads(first.read_text())
        later = datetime.fromisoformat(saved["datetime"]) + timedelta(days=1)
        saved["datetime"] = later.isoformat()
        first.with_name(first.name.replace("0001_", "0002_", 1)).write_text(json.dumps(saved))

    return built_once(tmp_path_factory, "saved_benchmarks", build)


@pytest.mark.long
def test_the_report_draws_latency_history_from_saved_benchmarks(
    small_suite, saved_benchmarks, tmp_path
):
    import json
    import shutil

    from report import build_report

    folder = tmp_path / "results"
    shutil.copytree(small_suite, folder)
    argv = ["latency", "--arch", "lenet5", "--results", str(folder), "--calls", "20"]
    assert main([*argv, "--runtime", "keras"]) == 0
    html = build_report(folder, tmp_path / "report.html", saved_benchmarks).read_text()

    assert 'id="latency-table"' in html and "(fastest)" in html
    spec = html.split('data-target="chart-latency-history">', 1)[1].split("</script>", 1)[0]
    traces = json.loads(spec)["data"]
    assert {t["name"] for t in traces} == {"lenet5, batch 1", "lenet5, batch 256"}
    assert all(len(t["x"]) == 2 for t in traces)  # one point per saved run


@pytest.mark.slow  # a second measured pytest-benchmark run
def test_a_latency_regression_fails_the_check_with_pytest_benchmarks_lines_not_a_traceback(
    saved_benchmarks, tmp_path
):
    import json
    import os
    import shutil
    import subprocess
    import sys

    storage = tmp_path / "saved"
    shutil.copytree(saved_benchmarks, storage)
    for path in storage.glob("**/*.json"):  # the saved runs as if ten times faster
        saved = json.loads(path.read_text())
        for case in saved["benchmarks"]:
            case["stats"].update({k: case["stats"][k] / 10 for k in TIMES})
        path.write_text(json.dumps(saved))
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/benchmarks"]
    command += ["-k", "lenet5", f"--benchmark-storage={storage}", "--benchmark-compare"]
    command += ["--benchmark-compare-fail=median:20%", "--benchmark-max-time=0.2"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)
    printed = done.stdout + done.stderr
    assert done.returncode == 1, printed[-2000:]
    assert "Traceback" not in printed
    assert "test_inference_latency[lenet5-1]" in printed.split("Performance has regressed")[1]
    assert "latency regressed beyond --benchmark-compare-fail" in printed


TIMES = ("min", "max", "mean", "stddev", "median", "iqr", "q1", "q3", "ld15iqr", "hd15iqr")


def test_the_latency_history_marks_runs_saved_with_uncommitted_changes(saved_benchmarks, tmp_path):
    import json
    import shutil

    from report.latency import benchmark_history

    folder = tmp_path / "saved"
    shutil.copytree(saved_benchmarks, folder)
    clean, dirty = sorted(folder.glob("**/*.json"))
    for path, has_changes in ((clean, False), (dirty, True)):
        saved = json.loads(path.read_text())
        saved["commit_info"].update(id="0123456789abcdef", dirty=has_changes)
        path.write_text(json.dumps(saved))
    assert sorted(set(benchmark_history(folder)["commit"])) == ["0123456", "0123456+"]


def test_the_leaderboard_can_be_written_as_csv_to_a_file(small_suite, tmp_path, capsys):
    out = tmp_path / "reference" / "digits.csv"
    assert (
        main(["report", "--results", str(small_suite), "--format", "csv", "--out", str(out)]) == 0
    )
    board = pd.read_csv(out)
    assert sorted(board["arch"]) == ["custom_cnn", "custom_cnn", "lenet5", "lenet5"]
    assert {"interval_low", "interval_high", "test_accuracy"} <= set(board.columns)
    assert str(out) in capsys.readouterr().out


def test_the_csv_writes_counts_as_integers_and_accuracies_with_every_digit(small_suite):
    from bench.store import results as store

    board = leaderboard(store.load(small_suite))
    text = table_csv(board)
    written = pd.read_csv(io.StringIO(text))
    assert "e+" not in text
    assert written["params"].dtype.kind == "i"
    assert list(written["params"]) == [int(p) for p in board["params"]]
    assert list(written["test_accuracy"]) == list(board["test_accuracy"])


def test_the_page_notes_a_record_it_could_not_read(register_temporary, tmp_path, capsys):
    def broken(input_shape, num_classes, hp=None):
        raise ValueError("no model today")

    register_temporary(broken, name="broken")
    runs = tmp_path / "results"
    argv = ["run", "--arch", "broken", "--dataset", "digits", "--profile", "smoke"]
    assert main([*argv, "--augment", "off", "--out", str(runs), "--quiet"]) == 1
    cut = runs / "cut" / "record.json"
    cut.parent.mkdir()
    cut.write_text('{"status": "o')
    out = tmp_path / "report.html"
    assert main(["report", "--results", str(runs), "--out", str(out)]) == 0

    note = out.read_text().split('id="unreadable-records"', 1)[1].split("</div>", 1)[0]
    assert f"<code>{cut}</code>: not valid JSON" in note
    assert f"warning: {cut}: record unreadable" in capsys.readouterr().err


def test_the_method_section_states_each_schedule_the_runs_trained_under():
    from report.build import protocol_text

    run = {"dataset": "mnist", "arch": "a", "augment": False}
    onecycle = {"schedule": "onecycle", "epochs": 8, "learning_rate": 4e-3, "warmup": 0.15}
    old = {"epochs": 20, "learning_rate": 1e-3}  # a record from before schedules existed
    specs = [{**run, **onecycle, "precision": "bfloat16"}, {**run, **old}]
    text = protocol_text([RunSpec.from_dict(spec) for spec in specs])
    assert "onecycle: a fixed epoch budget of 8" in text and "peak of 0.004" in text
    assert "plateau: at most 20 epochs" in text
    assert "Precision: bfloat16, float32." in text
