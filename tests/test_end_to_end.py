"""The whole suite end to end, as a person runs it: ``bench run --all --profile smoke``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import architectures
from bench import results


def _smoke_dataset() -> list[str]:
    """MNIST when BENCH_DATA_DIR points at it (as in CI), else the bundled digits."""
    data_dir = os.environ.get("BENCH_DATA_DIR")
    if data_dir and Path(data_dir, "mnist").is_dir():
        return ["--dataset", "mnist"]
    return ["--dataset", "digits"]


def test_the_smoke_suite_trains_every_architecture_with_and_without_augmentation(tmp_path):
    command = [
        sys.executable,
        "-m",
        "bench",
        "run",
        "--all",
        "--profile",
        "smoke",
        "--out",
        str(tmp_path),
        *_smoke_dataset(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    frame = results.load(tmp_path)
    expected = {(name, aug) for name in architectures.names() for aug in (False, True)}
    assert set(zip(frame["arch"], frame["augment"], strict=True)) == expected
    assert (frame["status"] == "ok").all()
    assert frame["test_accuracy"].between(0, 1).all()
    assert "[run 10/10]" in done.stdout
