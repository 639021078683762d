"""The HTML report and the Markdown leaderboard, built from a real (tiny) suite."""

from __future__ import annotations

import math
import struct
import zlib
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from bench.cli import main
from report.build import highlights
from report.charts import pareto_front
from report.images import png_bytes
from report.leaderboard import MISSING, leaderboard, markdown


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


def test_the_report_holds_every_table_and_chart(report_html):
    ids = _parse(report_html).ids
    tables = {"leaderboard-table", "architectures-table", "failed-table", "class-counts"}
    charts = {"chart-pareto", "chart-latency", "chart-augment", "chart-curves", "chart-time"}
    charts |= {"chart-runtimes", "chart-latency-history"}
    data = {"chart-class-counts", "chart-pixels", "chart-pca", "samples", "class-means"}
    assert tables | charts | data | {"augmentation-preview"} <= ids
    for run in ("lenet5-noaug", "lenet5-aug", "custom_cnn-noaug", "custom_cnn-aug"):
        assert f"chart-confusion-digits-smoke-{run}-s0" in ids
        assert f"run-digits-smoke-{run}-s0" in ids


def test_every_chart_has_its_figure(report_html):
    tags = _parse(report_html).tags
    chart_divs = {a["id"] for t, a in tags if t == "div" and "chart" in a.get("class", "").split()}
    specs = [a["data-target"] for t, a in tags if "chart-spec" in a.get("class", "")]
    assert sorted(specs) == sorted(chart_divs)
    assert len(chart_divs) == 5 + 2 + 3 + 4  # top, latency, data, one per finished run


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
    from bench import results as store

    return markdown(leaderboard(store.load(results)))


def test_report_of_an_empty_folder_is_a_one_line_error(tmp_path, capsys):
    assert main(["report", "--results", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no finished runs" in err


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
    """Two real pytest-benchmark runs of lenet5's latency cases, autosaved to a folder."""
    import subprocess
    import sys

    storage = tmp_path_factory.mktemp("benchmarks")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    command += ["tests/benchmarks", "-k", "lenet5", "--benchmark-autosave"]
    command += [f"--benchmark-storage={storage}", "--benchmark-min-rounds=5"]
    for _ in range(2):
        done = subprocess.run(command, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout[-2000:]
    return storage


def test_the_report_draws_latency_history_from_saved_benchmarks(
    small_suite, saved_benchmarks, tmp_path
):
    import json
    import shutil

    from report import build_report

    folder = tmp_path / "results"
    shutil.copytree(small_suite, folder)
    assert main(["latency", "--arch", "lenet5", "--results", str(folder), "--calls", "20"]) == 0
    html = build_report(folder, tmp_path / "report.html", saved_benchmarks).read_text()

    assert 'id="latency-table"' in html and "(fastest)" in html
    spec = html.split('data-target="chart-latency-history">', 1)[1].split("</script>", 1)[0]
    traces = json.loads(spec)["data"]
    assert {t["name"] for t in traces} == {"lenet5, batch 1", "lenet5, batch 256"}
    assert all(len(t["x"]) == 2 for t in traces)  # one point per saved run


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
