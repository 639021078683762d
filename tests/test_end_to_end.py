"""The whole suite end to end, as a person runs it: ``bench run --all --profile smoke``."""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import architectures
from bench import api
from bench.store import results


def _has_mnist() -> bool:
    data_dir = os.environ.get("BENCH_DATA_DIR")
    return bool(data_dir) and Path(data_dir, "mnist").is_dir()


def _run_all(
    out: Path, profile: str, dataset: str, augment: str = "both"
) -> tuple[pd.DataFrame, str]:
    """``bench run --all`` through the command line; its results and what it printed."""
    from bench.cli.main import main

    command = ["run", "--all", "--profile", profile, "--dataset", dataset]
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        assert main([*command, "--augment", augment, "--out", str(out)]) == 0
    frame = results.load(out)
    settings = {"off": (False,), "on": (True,), "both": (False, True)}[augment]
    expected = {(name, aug) for name in architectures.names() for aug in settings}
    assert set(zip(frame["arch"], frame["augment"], strict=True)) == expected
    assert (frame["status"] == "ok").all()
    return frame, printed.getvalue()


@pytest.mark.long
def test_the_smoke_suite_trains_and_evaluates_every_architecture(tmp_path):
    # MNIST when BENCH_DATA_DIR points at it (as in CI), else the bundled digits. Augmentation
    # is the same input pipeline whatever the architecture: the `small_suite` fixture and the
    # checkpoint tests train with it, and the slow quick-profile suite runs every pairing.
    dataset = "mnist" if _has_mnist() else "digits"
    frame, printed = _run_all(tmp_path, "smoke", dataset, "off")
    n = len(architectures.names())
    assert f"[run {n}/{n}]" in printed
    # each run was evaluated on the test split, and its record says what its predictions say
    y_test = api.load_data(dataset, profile="smoke").splits.y_test
    for run_id in frame["run_id"]:
        record = json.loads((tmp_path / run_id / results.RECORD).read_text())
        with np.load(tmp_path / run_id / results.PREDICTIONS) as saved:
            y_true, y_pred = saved["y_true"], saved["y_pred"]
        np.testing.assert_array_equal(y_true, y_test, err_msg=run_id)
        assert record["metrics"]["test_accuracy"] == pytest.approx(np.mean(y_pred == y_true))
        confusion = np.zeros((10, 10), int)
        np.add.at(confusion, (y_true, y_pred), 1)
        assert record["confusion_matrix"] == confusion.tolist(), run_id
    # one epoch on 1,000 images: the fastest learners are far above chance (10%); the
    # slow quick-profile suite checks that every architecture learns
    assert frame["test_accuracy"].max() >= 0.5, frame[["arch", "test_accuracy"]]


def test_a_run_with_the_default_measurements_records_its_exports_and_robustness(
    tmp_path, monkeypatch
):
    # The other tests turn both measurements off (conftest.py); here neither --exports,
    # --corruptions nor their environment variables say, so the profile's defaults apply:
    # the standard profile makes every LiteRT export and evaluates the default corruptions.
    monkeypatch.delenv("BENCH_EXPORTS", raising=False)
    monkeypatch.delenv("BENCH_CORRUPTIONS", raising=False)
    sizes = {"train_size": 300, "val_size": 100, "test_size": 200}
    specs = api.plan("mlp", "digits", "standard", augment="off", epochs=1, **sizes)
    (record,) = api.run(specs, out=tmp_path, quiet=True)
    assert record.status == "ok", record.error

    saved = json.loads((tmp_path / record.run_id / results.RECORD).read_text())
    exports = saved["exports"]
    assert set(exports) == {"float32", "float16", "dynamic_int8", "int8"}
    for precision, export in exports.items():
        assert export["status"] == "ok", (precision, export["error"])
        assert export["bytes"] > 0 and export["test_accuracy"] is not None
    robustness = saved["robustness"]
    assert robustness["accuracy"], "no corrupted test set was evaluated"
    assert robustness["clean_accuracy"] is not None


@pytest.mark.slow
@pytest.mark.skipif(not _has_mnist(), reason="needs MNIST: set BENCH_DATA_DIR")
def test_the_quick_suite_learns_mnist_with_every_architecture(tmp_path):
    # 10,000 training images and 5 epochs: measured 93.4% (lenet5) to 98.8% (vgg_lite).
    frame, _ = _run_all(tmp_path, "quick", "mnist")
    assert (frame["test_accuracy"] >= 0.9).all(), frame[["arch", "augment", "test_accuracy"]]
