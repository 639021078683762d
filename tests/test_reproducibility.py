"""Repeating a run: the same seed on the same machine gives the same test predictions."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import built_once

from bench.cli.main import main

RUN = "digits-smoke-mlp-aug-s0"


def _bench(*args: str, cwd) -> subprocess.CompletedProcess:
    # a process of its own: op determinism is process-wide and cannot be switched off
    done = subprocess.run(
        [sys.executable, "-m", "bench", *args], capture_output=True, text=True, cwd=cwd, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done


@pytest.fixture(scope="module")
def repeated(tmp_path_factory):
    """A smoke run with dropout and augmentation (the random parts), then its repeat."""

    def build(out: Path) -> None:
        common = ["--dataset", "digits", "--profile", "smoke", "--quiet"]
        _bench("run", "--arch", "mlp", "--augment", "on", "--out", "runs", *common, cwd=out)
        repeat = _bench("run", "--from", f"runs/{RUN}/record.json", "--quiet", cwd=out)
        (out / "printed.txt").write_text(repeat.stdout)

    out = built_once(tmp_path_factory, "repeated", build)
    return out / "runs", out / "runs" / "repeats", (out / "printed.txt").read_text()


@pytest.mark.long
def test_a_repeat_with_the_same_seed_gives_identical_test_predictions(repeated):
    original, repeat, stdout = repeated
    first = np.load(original / RUN / "predictions.npz")
    second = np.load(repeat / RUN / "predictions.npz")
    np.testing.assert_array_equal(first["probabilities"], second["probabilities"])
    assert "test predictions: identical to the original" in stdout


def test_a_repeat_is_not_pooled_with_its_original_as_another_seed(repeated):
    from bench.store import results

    original, _, _ = repeated
    (row,) = results.load(original).itertuples()
    assert row.run_id == RUN
    ((folder, _),) = results.iter_runs(original)
    assert folder == original / RUN


def test_a_run_records_determinism_and_the_command_that_started_it(repeated):
    original, _, _ = repeated
    record = json.loads((original / RUN / "record.json").read_text())
    assert record["environment"]["op_determinism"] is True
    assert record["command_line"].startswith("python -m bench run --arch mlp")
    assert "keras" in record["environment"]["packages"]


def test_repeating_a_missing_record_is_one_line_and_exit_2(capsys, tmp_path):
    assert main(["run", "--from", str(tmp_path / "nope" / "record.json")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: cannot read run record") and "\n" not in err


def test_a_repeat_never_overwrites_the_run_it_repeats(capsys, repeated):
    original, _, _ = repeated
    assert main(["run", "--from", str(original / RUN), "--out", str(original)]) == 2
    assert "would overwrite the run being repeated" in capsys.readouterr().err


@pytest.mark.parametrize(
    "flag", [["--epochs", "3"], ["--seed", "1"], ["--profile", "quick"], ["--patience", "9"]]
)
def test_a_repeat_refuses_settings_that_its_record_fixes(capsys, repeated, flag):
    original, _, _ = repeated
    assert main(["run", "--from", str(original / RUN), *flag]) == 2
    err = capsys.readouterr().err.strip()
    assert f"drop {flag[0]}" in err and "\n" not in err


def test_repeating_a_resumed_run_warns_that_predictions_may_differ(repeated, tmp_path):
    from bench.train.repeat import Repeat

    original, _, _ = repeated
    record = json.loads((original / RUN / "record.json").read_text())
    record["resumed_after_epoch"] = 3
    (tmp_path / "record.json").write_text(json.dumps(record))
    (warning,) = Repeat.load(tmp_path / "record.json").warnings()
    assert "resumed after epoch 3" in warning


@pytest.fixture
def edited_since(repeated, tmp_path):
    """A copy of the original run whose record was made by older code of its builder."""
    original, _, _ = repeated
    copy = tmp_path / RUN
    shutil.copytree(original / RUN, copy)
    record = json.loads((copy / "record.json").read_text())
    record["spec"]["arch_digest"] = "older"
    (copy / "record.json").write_text(json.dumps(record))
    return copy


def test_repeating_a_run_whose_builder_changed_but_not_its_network_does_not_warn(edited_since):
    from bench.train.repeat import Repeat

    assert Repeat.load(edited_since).warnings() == []


def test_repeating_a_run_whose_model_file_is_gone_reads_its_network_from_the_record(
    edited_since,
):
    from bench.train.repeat import Repeat

    (edited_since / "model.keras").unlink()
    assert Repeat.load(edited_since).warnings() == []


def test_repeating_a_run_of_another_network_warns_that_its_code_changed(edited_since):
    import keras

    from bench.identity import model_fingerprint
    from bench.train.repeat import Repeat

    inputs = keras.Input((8, 8, 1))
    another = keras.Model(inputs, keras.layers.Dense(10)(keras.layers.Flatten()(inputs)))
    record = json.loads((edited_since / "record.json").read_text())
    record["model"]["network"] = model_fingerprint(another)
    (edited_since / "record.json").write_text(json.dumps(record))
    (warning,) = Repeat.load(edited_since).warnings()
    assert warning == "the code of mlp changed since the record was made"
