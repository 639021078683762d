"""The whole suite end to end, as a person runs it: ``bench run --all --profile smoke``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import architectures
from bench.store import results


def _has_mnist() -> bool:
    data_dir = os.environ.get("BENCH_DATA_DIR")
    return bool(data_dir) and Path(data_dir, "mnist").is_dir()


def _run_all(
    out: Path, profile: str, dataset: str, augment: str = "both"
) -> tuple[pd.DataFrame, str]:
    """``bench run --all`` in a fresh process; its results and what it printed."""
    command = [sys.executable, "-m", "bench", "run", "--all", "--profile", profile]
    command += ["--dataset", dataset, "--augment", augment, "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    frame = results.load(out)
    settings = {"off": (False,), "on": (True,), "both": (False, True)}[augment]
    expected = {(name, aug) for name in architectures.names() for aug in settings}
    assert set(zip(frame["arch"], frame["augment"], strict=True)) == expected
    assert (frame["status"] == "ok").all()
    return frame, done.stdout


def test_the_smoke_suite_trains_and_evaluates_every_architecture(tmp_path):
    # MNIST when BENCH_DATA_DIR points at it (as in CI), else the bundled digits. Augmentation
    # is the same input pipeline whatever the architecture: the `small_suite` fixture and the
    # checkpoint tests train with it, and the slow quick-profile suite runs every pairing.
    frame, printed = _run_all(tmp_path, "smoke", "mnist" if _has_mnist() else "digits", "off")
    assert frame["test_accuracy"].between(0, 1).all()
    n = len(architectures.names())
    assert f"[run {n}/{n}]" in printed


@pytest.mark.slow
@pytest.mark.skipif(not _has_mnist(), reason="needs MNIST: set BENCH_DATA_DIR")
def test_the_quick_suite_learns_mnist_with_every_architecture(tmp_path):
    # 10,000 training images and 5 epochs: measured 93.4% (lenet5) to 98.8% (vgg_lite).
    frame, _ = _run_all(tmp_path, "quick", "mnist")
    assert (frame["test_accuracy"] >= 0.9).all(), frame[["arch", "augment", "test_accuracy"]]
