"""After-training measurements as plugins: one registered from a file of its own is made by
``bench run``, kept in the record, tabled and shown in the report, with no other file told."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
from pathlib import Path

import pytest
from conftest import built_once, fake_record

from bench import plugins
from bench.cli.main import main
from bench.errors import BenchError
from bench.store import results
from bench.store.records import RunRecord
from bench.train.after import after_training

# A whole measurement in one file: what a person adding one writes.
CONFIDENCE_MODULE = '''
import dataclasses

from bench.plugins import Measurement, register_measurement
from bench.store.records import Section
from report.columns import Column, num
from report.panels import Panel


@dataclasses.dataclass(frozen=True)
class Confidence(Section):
    mean: float | None = None
    images: int | None = None


@register_measurement
class ConfidenceMeasurement(Measurement):
    """Mean confidence of the predicted class on the test images."""

    name = "confidence"
    title = "confidence figures"
    section = Confidence
    option = "--confidence"

    def profile_default(self, profile):
        return "on"

    def asks(self, settings):
        return settings == "on"

    def measure(self, run, settings):
        probabilities = run.model.predict(run.splits.x_test, verbose=0)
        return Confidence(float(probabilities.max(axis=1).mean()), len(probabilities))

    def said(self, section):
        return f"confidence {section.mean:.3f}"

    def columns(self, section):
        return {"confidence": None if section is None else section.mean}

    def board_figures(self, group):
        return {"confidence": group["confidence"].astype(float).mean()}

    def board_columns(self):
        return [Column("confidence", "confidence", num(".3f"), "mean top-class probability")]

    def panel(self, context):
        measured = [r for _, r in context.runs if r.section(self.name) is not None]
        html = f'<section id="confidence"><h2>Confidence</h2><p>{len(measured)} runs</p></section>'
        return Panel("confidence", "Confidence", html)
'''


def _forget_confidence() -> None:
    plugins._REGISTRY.pop("confidence", None)
    sys.modules.pop("_bench_measurement_confidence", None)


@pytest.fixture
def confidence_module(tmp_path):
    """The module's file; the measurement is unregistered again after the test."""
    path = tmp_path / "confidence.py"
    path.write_text(CONFIDENCE_MODULE)
    yield path
    _forget_confidence()


LENET5_SMOKE = ["run", "--arch", "lenet5", "--dataset", "digits", "--profile", "smoke"]


@pytest.fixture
def measured_suite(tmp_path_factory):
    """A smoke run on digits made with the confidence measurement loaded from its file
    (trained once per session), and the measurement loaded for the test as the run loaded
    it; unregistered again after the test."""

    def build(root: Path) -> None:
        (root / "confidence.py").write_text(CONFIDENCE_MODULE)
        argv = [*LENET5_SMOKE, "--augment", "off", "--out", str(root / "results")]
        assert main([*argv, "--measurement-module", str(root / "confidence.py")]) == 0

    root = built_once(tmp_path_factory, "measured_suite", build)
    plugins.load_measurement_module(root / "confidence.py")  # made by another worker maybe
    yield root / "results"
    _forget_confidence()


def test_a_measurement_from_a_file_is_made_by_bench_run_and_kept_in_the_record(measured_suite):
    (folder,) = [p for p in measured_suite.iterdir() if (p / results.RECORD).exists()]
    saved = json.loads((folder / results.RECORD).read_text())
    assert saved["confidence"]["images"] == sum(saved["per_class"]["support"])
    assert 0.1 <= saved["confidence"]["mean"] <= 1.0
    assert saved["timing"]["confidence"] > 0  # its seconds, beside the built-in ones'


def test_its_column_is_in_the_csv_and_its_panel_in_the_report(measured_suite, tmp_path, capsys):
    assert main(["report", "--results", str(measured_suite), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert 0.1 <= float(rows[0]["confidence"]) <= 1.0

    page = tmp_path / "report.html"
    assert main(["report", "--results", str(measured_suite), "--file", str(page)]) == 0
    html = page.read_text()
    assert '<section id="confidence"><h2>Confidence</h2><p>1 runs</p></section>' in html
    assert '<a href="#confidence">Confidence</a>' in html
    assert "mean top-class probability" in html  # the leaderboard's column


def test_its_option_can_turn_it_off_in_bench_run(confidence_module, tmp_path):
    argv = [*LENET5_SMOKE, "--augment", "off", "--out", str(tmp_path), "--confidence", "off"]
    assert main([*argv, "--measurement-module", str(confidence_module)]) == 0
    (record,) = [r for _, r in results.finished_runs(tmp_path)]
    assert record.section("confidence") is None


def test_bench_measure_adds_it_to_runs_made_before_it_was_loaded(
    small_suite, confidence_module, tmp_path
):
    (made_before,) = [f for f in small_suite.glob("*-lenet5-noaug-s0") if f.is_dir()]
    shutil.copytree(made_before, tmp_path / made_before.name)
    plugins.load_measurement_module(confidence_module)
    (record,) = [r for _, r in results.finished_runs(tmp_path)]
    assert record.section("confidence") is None

    argv = ["measure", "confidence", "--results", str(tmp_path)]
    assert main([*argv, "--measurement-module", str(confidence_module)]) == 0
    (record,) = [r for _, r in results.finished_runs(tmp_path)]
    assert 0.1 <= record.section("confidence").mean <= 1.0


def test_a_section_of_a_measurement_not_loaded_is_kept_when_the_record_is_rewritten():
    data = {**fake_record("lenet5", False), "someone_elses": {"figure": 1.5}}
    record = RunRecord.from_json(data)
    assert record.section("someone_elses") == {"figure": 1.5}
    assert record.to_json()["someone_elses"] == {"figure": 1.5}


def test_the_built_in_measurements_are_found_by_the_registry():
    assert {"exports", "robustness"} <= set(plugins.measurement_names())


def test_an_unknown_measurement_names_the_known_ones():
    with pytest.raises(BenchError, match="unknown measurement 'speed'; known: exports"):
        plugins.get_measurement("speed")
    with pytest.raises(BenchError, match="unknown measurement or option 'export'"):
        after_training({"export": "int8"}, "smoke")


def test_a_measurement_module_that_fails_to_import_is_one_line_and_exit_2(tmp_path, capsys):
    broken = tmp_path / "broken.py"
    broken.write_text("raise RuntimeError('no measurement today')\n")
    assert main(["list", "--measurement-module", str(broken)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "import failed with RuntimeError" in error
