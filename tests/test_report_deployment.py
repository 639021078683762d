"""The deployment view: the leaderboard's export columns, the int8 chart, the table of the
most accurate model that fits a microcontroller, and pages over runs with and without exports.
Records are made up (``fake_record``, ``fake_export``): the figures are what is checked."""

from __future__ import annotations

import io
import shutil

import pandas as pd
import pytest
from conftest import add_fake_exports, fake_export, fake_record

from bench.measurements.exports.report import (
    BUDGETS,
    KB,
    Budget,
    deployment_view,
    export_method,
    int8_chart,
    int8_points,
    most_accurate_fits,
)
from bench.store import files, results
from bench.store.records import RunRecord
from report import build_report, leaderboard, markdown, table_csv
from report.charts import pareto_front
from report.labels import Mark, Point, place
from report.leaderboard import FAILED, cell, shown_columns

OP_ERROR = "RuntimeError: op BROADCAST_TO is not supported"


def _record(arch: str, seed: int = 0, profile: str = "standard", **exports: dict) -> dict:
    """A finished run of ``arch`` (augmentation off) with ``exports`` by precision."""
    record = fake_record(arch, False, exports=exports or None)
    record["run_id"] = f"mnist-{profile}-{arch}-noaug-s{seed}"
    record["spec"].update(seed=seed, profile=profile)
    return record


def _board(tmp_path, records: list[dict]) -> pd.DataFrame:
    for record in records:
        files.write_json(tmp_path / record["run_id"] / results.RECORD, record)
    return leaderboard(results.load(tmp_path))


def _cells(board: pd.DataFrame, arch: str) -> dict:
    """The shown cells of ``arch``'s row by header."""
    row = board[board["arch"] == arch].iloc[0]
    return {column.header: cell(column, row) for column in shown_columns(board)}


def test_the_int8_columns_hold_the_export_figures_averaged_over_seeds(tmp_path):
    board = _board(
        tmp_path,
        [
            _record("a", 0, int8=fake_export(0.8996, kb=48, ram_kb=12, p50_ms=0.2, arena_kb=20)),
            _record("a", 1, int8=fake_export(0.8992, kb=48, ram_kb=12, p50_ms=0.4, arena_kb=20)),
        ],
    )
    texts = {header: c.text for header, c in _cells(board, "a").items()}
    # change: the mean of -0.0004 and -0.0008 against the Keras model's 0.9, in points
    assert texts["int8 acc"] == "0.8994" and texts["int8 change"] == "-0.06"
    assert texts["int8 KB"] == "48.0" and texts["int8 p50 ms"] == "0.300"
    assert texts["int8 RAM KB"] == "20.0" and texts["LiteRT plan KB"] == "12.0"


def test_a_failed_export_shows_failed_with_its_error_not_a_blank(tmp_path):
    board = _board(
        tmp_path,
        [_record("a", int8=fake_export(error=OP_ERROR), float16=fake_export(0.9, kb=100))],
    )
    cells = _cells(board, "a")
    for header in ("int8 acc", "int8 change", "int8 KB", "int8 p50 ms"):
        assert (cells[header].text, cells[header].error) == (FAILED, OP_ERROR)
    assert cells["float16 KB"].text == "100.0" and cells["float16 KB"].error is None
    assert " failed |" in markdown(board)


def test_an_export_that_failed_for_one_seed_fails_its_row_and_says_for_how_many(tmp_path):
    board = _board(
        tmp_path,
        [_record("a", 0, int8=fake_export(0.9)), _record("a", 1, int8=fake_export(error=OP_ERROR))],
    )
    cell_ = _cells(board, "a")["int8 acc"]
    assert cell_.text == FAILED and cell_.error == f"{OP_ERROR} (1 of 2 seeds)"


def test_runs_without_exports_give_the_tables_no_export_columns(tmp_path):
    board = _board(tmp_path, [_record("a"), _record("b")])
    assert "int8" not in markdown(board)
    assert not [c for c in pd.read_csv(io.StringIO(table_csv(board))) if "int8" in c]
    assert deployment_view(board) is None


def test_the_markdown_and_csv_tables_gain_the_export_columns(tmp_path):
    board = _board(tmp_path, [_record("a", int8=fake_export(0.8996, kb=48))])
    header = markdown(board).splitlines()[0]
    for name in ("int8 acc", "int8 change", "int8 KB", "int8 p50 ms"):
        assert f" {name} " in header
    csv = pd.read_csv(io.StringIO(table_csv(board)))
    assert csv.loc[0, "int8_accuracy"] == pytest.approx(0.8996)
    assert csv.loc[0, "int8_bytes"] == 48 * KB and csv.loc[0, "int8_status"] == "ok"
    assert "float16_accuracy" not in csv  # no run exported to float16


# (architecture, int8 KB, int8 test accuracy): b is beaten by the smaller a, d by c at the
# same size, e by c at the same accuracy; a, c and f make the frontier.
SIZES = [("a", 50, 0.98), ("b", 100, 0.97), ("c", 200, 0.99), ("d", 200, 0.985)]
SIZES += [("e", 400, 0.99), ("f", 1000, 0.995)]


@pytest.fixture
def int8_board(tmp_path) -> pd.DataFrame:
    return _board(
        tmp_path, [_record(arch, int8=fake_export(acc, kb=kb)) for arch, kb, acc in SIZES]
    )


def test_the_pareto_frontier_keeps_exactly_the_models_nothing_smaller_beats(int8_board):
    points = int8_points(int8_board)
    front = points.iloc[pareto_front(points["int8_kb"], points["test_accuracy"])]
    assert sorted(front["arch"]) == ["a", "c", "f"]

    (line,) = [t for t in int8_chart(points).data if "frontier" in (t.name or "")]
    assert list(line.x) == [50, 200, 1000] and list(line.y) == [0.98, 0.99, 0.995]
    assert line.line.shape == "hv"


def test_the_int8_chart_labels_each_network_and_marks_the_flash_budgets(int8_board):
    fig = int8_chart(int8_points(int8_board))
    (labels,) = [t for t in fig.data if t.mode == "markers+text"]
    assert sorted(labels.text) == ["a", "b", "c", "d", "e", "f"]
    assert fig.layout.xaxis.type == "log"
    assert [shape.x0 for shape in fig.layout.shapes] == [256, 1024]  # in KB
    assert [note.text for note in fig.layout.annotations] == ["256 KB flash", "1 MB flash"]


def test_a_label_keeps_clear_of_a_budget_lines_text():
    # a point just above the plot's bottom, a budget line just right of it: the label's
    # first choice, to the right, would run into the line's text at the bottom
    point = [Point(5.0, 0.981, 0.981, 0.981)]
    ranges = (4.5, 5.5), (0.98, 1.0)
    assert place(point, ["vgg_lite"], point, [], *ranges) == ["middle right"]
    budget = [Mark(10**5.05, "1 MB flash")]
    assert place(point, ["vgg_lite"], point, [], *ranges, budget) != ["middle right"]


# (architecture, int8 KB, peak activation KB, int8 test accuracy)
FITS = [("small", 40, 8, 0.98), ("mid", 200, 60, 0.99), ("hungry", 200, 100, 0.995)]


def test_the_budget_table_picks_the_most_accurate_model_that_fits_or_says_none_does(tmp_path):
    board = _board(
        tmp_path,
        [_record(arch, int8=fake_export(acc, kb=kb, ram_kb=ram)) for arch, kb, ram, acc in FITS],
    )
    budgets = [Budget(16 * KB, 4 * KB, "tiny"), Budget(64 * KB, 16 * KB, "small")]
    budgets += [Budget(256 * KB, 64 * KB, "mid: RAM too small for hungry")]
    budgets += [Budget(1024 * KB, 320 * KB, "large")]
    fits = most_accurate_fits(int8_points(board), budgets)
    names = [fit.model for fit in fits]
    assert names == [None, "small (no aug)", "mid (no aug)", "hungry (no aug)"]
    assert (fits[2].accuracy, fits[2].flash, fits[2].ram) == (0.99, 200 * KB, 60 * KB)


def test_the_budget_table_counts_tflms_arena_as_the_ram_where_tflm_ran_the_model(tmp_path):
    # "small"'s activations fit 16 KB, but TFLM's arena (its persistent data on top) does not
    small = _record("small", int8=fake_export(0.98, kb=40, ram_kb=8, arena_kb=20))
    tiny = _record("tiny", int8=fake_export(0.95, kb=30, ram_kb=6, arena_kb=12))
    view = deployment_view(_board(tmp_path, [small, tiny]))
    (fit,) = most_accurate_fits(int8_points(_board(tmp_path, [small, tiny])), BUDGETS[:1])
    assert (fit.model, fit.ram) == ("tiny (no aug)", 12 * KB)
    assert view.planned_only == []


def test_the_view_says_whose_ram_is_only_litert_plan_and_why(tmp_path):
    measured = _record("small", int8=fake_export(0.98, kb=40, ram_kb=8, arena_kb=20))
    older = _record("older", int8=fake_export(0.97, kb=40, ram_kb=8))
    view = deployment_view(_board(tmp_path, [measured, older]))
    assert view.planned_only == ["older (no aug)"]
    assert "measured before TFLM was" in view.micro_note


def test_the_view_names_the_configurations_it_chooses_without_for_want_of_an_int8_export(
    tmp_path,
):
    exported = _record("small", int8=fake_export(0.98, kb=40, ram_kb=8))
    board = _board(tmp_path, [exported, _record("older")])
    view = deployment_view(board)
    assert view.unexported == ["older (no aug)"]
    assert {fit.model for fit in view.fits} <= {"small (no aug)", None}


def test_each_profile_gets_its_own_choice_for_a_budget_not_the_others_accuracy(tmp_path):
    quick = _record("small", profile="quick", int8=fake_export(0.97, kb=40, ram_kb=8))
    standard = _record("mid", profile="standard", int8=fake_export(0.99, kb=40, ram_kb=8))
    board = _board(tmp_path, [quick, standard])
    fits = most_accurate_fits(int8_points(board), [Budget(64 * KB, 16 * KB, "small")])
    assert [(fit.group, fit.model) for fit in fits] == [
        ("mnist quick", "small (no aug)"),
        ("mnist standard", "mid (no aug)"),
    ]


def test_runs_of_a_check_profile_are_drawn_but_not_ranked_for_a_budget(tmp_path):
    board = _board(tmp_path, [_record("a", profile="smoke", int8=fake_export(0.9))])
    view = deployment_view(board)
    assert view.chart is not None
    assert view.fits == [] and "check profile" in view.fits_note


@pytest.fixture(scope="module")
def pages(small_suite, tmp_path_factory) -> dict[str, str]:
    """The HTML page of the smoke suite with made-up exports (custom_cnn's int8 failed) and
    without any."""
    built = {}
    for name in ("with", "without"):
        folder = tmp_path_factory.mktemp(name) / "results"
        shutil.copytree(small_suite, folder)
        if name == "with":
            add_fake_exports(folder, failed=("custom_cnn", "int8"))
        else:
            for path in folder.glob(f"**/{results.RECORD}"):
                record = results.read_record(path.parent)
                record.pop("exports", None)
                files.write_json(path, record)
        built[name] = build_report(folder, folder / "report.html").read_text()
    return built


def test_a_page_over_runs_without_exports_builds_and_says_none_were_recorded(pages):
    html = pages["without"]
    assert 'id="chart-deployment"' not in html and 'id="no-exports"' in html
    assert ">int8 acc<" not in html and "exported to LiteRT" not in html


def test_the_method_names_only_the_precisions_the_runs_were_exported_at():
    spec = {"dataset": "mnist", "arch": "a", "augment": False, "seed": 0, "profile": "smoke"}
    record = RunRecord.from_json(
        {"run_id": "r", "status": "ok", "spec": spec, "exports": {"int8": {"bytes": 1}}}
    )
    text = export_method([record])
    assert "as full-integer int8 (int8 inputs and outputs, calibrated on 256 training" in text
    assert "float16" not in text and export_method([]) == ""


def test_a_page_over_runs_with_exports_has_the_int8_columns_chart_and_method(pages):
    html = pages["with"]
    assert 'id="chart-deployment"' in html and 'data-target="chart-deployment"' in html
    assert ">int8 acc<" in html and "exported to LiteRT as float32, float16" in html
    assert 'failed" data-value="" title="RuntimeError: op not supported by LiteRT">failed<' in html
    assert 'id="budget-note"' in html  # a smoke suite's runs are not ranked
    failed = html.split('id="int8-failed"', 1)[1].split("</div>", 1)[0]
    assert "custom_cnn (aug): RuntimeError: op not supported by LiteRT" in failed
