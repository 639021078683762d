"""The deployment view: the leaderboard's export columns and the labels of budget lines.
Records are made up (``fake_record``, ``fake_export``): the figures are what is checked."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from conftest import fake_export, fake_record

from bench.store import files, results
from report import leaderboard, markdown, table_csv
from report.labels import Mark, Point, place
from report.leaderboard import FAILED, KB, cell, shown_columns

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
            _record("a", 0, int8=fake_export(0.8996, kb=48, ram_kb=12, p50_ms=0.2)),
            _record("a", 1, int8=fake_export(0.8992, kb=48, ram_kb=12, p50_ms=0.4)),
        ],
    )
    texts = {header: c.text for header, c in _cells(board, "a").items()}
    # change: the mean of -0.0004 and -0.0008 against the Keras model's 0.9, in points
    assert texts["int8 acc"] == "0.8994" and texts["int8 change"] == "-0.06"
    assert texts["int8 KB"] == "48.0" and texts["int8 p50 ms"] == "0.300"
    assert texts["int8 RAM KB"] == "12.0"


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


def test_the_markdown_and_csv_tables_gain_the_export_columns(tmp_path):
    board = _board(tmp_path, [_record("a", int8=fake_export(0.8996, kb=48))])
    header = markdown(board).splitlines()[0]
    for name in ("int8 acc", "int8 change", "int8 KB", "int8 p50 ms"):
        assert f" {name} " in header
    csv = pd.read_csv(io.StringIO(table_csv(board)))
    assert csv.loc[0, "int8_accuracy"] == pytest.approx(0.8996)
    assert csv.loc[0, "int8_bytes"] == 48 * KB and csv.loc[0, "int8_status"] == "ok"
    assert "float16_accuracy" not in csv  # no run exported to float16


def test_a_label_keeps_clear_of_a_budget_lines_text():
    # a point just under the plot's top, a budget line just right of it: the label's first
    # choice, to the right, would run into the line's text at the top
    point = [Point(5.0, 0.999, 0.999, 0.999)]
    ranges = (4.5, 5.5), (0.98, 1.0)
    assert place(point, ["vgg_lite"], point, [], *ranges) == ["middle right"]
    budget = [Mark(10**5.05, "1 MB flash")]
    assert place(point, ["vgg_lite"], point, [], *ranges, budget) != ["middle right"]
