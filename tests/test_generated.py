"""Markdown sections that a bench command prints (bench/cli/generated.py): the README's
tables are the committed records' as `bench report` prints them, never typed by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.cli import generated
from bench.errors import BenchError

ROOT = Path(__file__).resolve().parents[1]


def test_the_readmes_generated_tables_are_what_the_committed_records_give(monkeypatch):
    monkeypatch.chdir(ROOT)  # the sections name their folders from the project root
    text = (ROOT / "README.md").read_text()
    assert "<!-- bench: report " in text
    assert generated.stale(text) == []


def test_a_section_is_rewritten_with_what_its_command_prints_and_the_rest_is_kept(tmp_path):
    plateau = ROOT / "results" / "reference" / "plateau" / "runs"
    command = f"report --results {plateau} --format md --columns arch test_accuracy"
    page = tmp_path / "page.md"
    page.write_text(f"# Title\n\n<!-- bench: {command} -->\ntyped\n<!-- /bench -->\nafter\n")
    assert generated.stale(page.read_text()) == [command]

    assert generated.main([str(page)]) == 0
    text = page.read_text()
    assert text.startswith(f"# Title\n\n<!-- bench: {command} -->\n| architecture ")
    assert "typed" not in text and "| vgg_lite " in text
    assert text.endswith("|\n<!-- /bench -->\nafter\n")
    assert generated.main([str(page), "--check"]) == 0


def test_a_command_that_fails_is_an_error_naming_it():
    with pytest.raises(BenchError, match="`bench report --results /nonexistent"):
        generated.printed("report --results /nonexistent --format md")
