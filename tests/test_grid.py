"""A suite's runs on a Dask cluster (``bench run --workers N``, ``--scheduler``), on the
bundled digits with a local cluster of two worker processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from bench.errors import BenchError
from bench.store import results
from bench.train.grid import INSTALL, ClusterSettings

pytest.importorskip("distributed")
psutil = pytest.importorskip("psutil")

SMOKE = ["--dataset", "digits", "--profile", "smoke", "--exports", "none"]
# TensorFlow's threads change the order of its sums: a run is the same on a worker and here
# with the same number of threads. A worker here gets one (two workers on two cores).
ONE_THREAD = {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"}
CHECKPOINT = ".partial/state.json"  # written at the end of each epoch (bench.train.checkpoint)


def _bench_run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "bench", "run", *args]
    environment = {**os.environ, **(env or {})}
    return subprocess.run(command, capture_output=True, text=True, env=environment, timeout=900)


def _predictions(folder: Path) -> dict[str, np.ndarray]:
    return {
        path.parent.name: np.load(path)["y_pred"]
        for path in sorted(folder.glob(f"*/{results.PREDICTIONS}"))
    }


def test_a_suite_on_two_workers_gives_the_predictions_of_one_made_here(tmp_path):
    runs = ["--arch", "lenet5", "custom_cnn", *SMOKE]
    here = _bench_run(*runs, "--out", str(tmp_path / "here"), env=ONE_THREAD)
    grid = _bench_run(*runs, "--workers", "2", "--threads-per-worker", "1",
                      "--out", str(tmp_path / "grid"))  # fmt: skip
    assert here.returncode == 0, here.stderr[-2000:]
    assert grid.returncode == 0, grid.stderr[-2000:]
    assert "4 ok, 0 failed" in grid.stdout
    assert "on worker" in grid.stdout
    expected, made = _predictions(tmp_path / "here"), _predictions(tmp_path / "grid")
    assert len(expected) == 4 and made.keys() == expected.keys()
    for run_id, y_pred in expected.items():
        np.testing.assert_array_equal(made[run_id], y_pred, err_msg=run_id)


def test_a_worker_killed_in_the_middle_of_a_run_loses_no_run(tmp_path):
    out = tmp_path / "grid"
    command = [sys.executable, "-m", "bench", "run", "--arch", "custom_cnn", "lenet5", *SMOKE,
               "--epochs", "8", "--workers", "2", "--out", str(out)]  # fmt: skip
    suite = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        killed = _kill_a_worker_mid_run(suite.pid, out)
        printed, errors = suite.communicate(timeout=900)
    finally:
        suite.kill()
    assert suite.returncode == 0, errors[-2000:]
    assert killed
    assert "4 ok, 0 failed" in printed
    frame = results.load(out)
    assert len(frame) == 4 and (frame["status"] == "ok").all()
    # the run that was cut off went on from its checkpoint (the workers share this folder)
    records = [results.read_run_record(out / run_id) for run_id in frame["run_id"]]
    assert max(record.resumed_after_epoch or 0 for record in records) >= 1
    assert not (out / results.GRID_DIR).exists()


def _kill_a_worker_mid_run(suite_pid: int, out: Path, timeout: float = 300) -> bool:
    """SIGKILL a worker once every run process has a run with an epoch checkpointed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        making = [
            child
            for child in psutil.Process(suite_pid).children(recursive=True)
            if "bench.train.isolated" in " ".join(_cmdline(child))
        ]
        checkpointed = list((out / results.GRID_DIR).glob(f"*/{CHECKPOINT}"))
        if making and len(checkpointed) >= len(making):
            os.kill(making[0].ppid(), signal.SIGKILL)  # the worker, not its run process
            return True
        time.sleep(0.1)
    return False


def _cmdline(process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:  # it ended meanwhile
        return []


def test_a_bad_scheduler_address_is_one_line_and_exit_2(tmp_path):
    done = _bench_run("--arch", "lenet5", *SMOKE, "--scheduler", "tcp://127.0.0.1:9",
                      "--out", str(tmp_path))  # fmt: skip
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "tcp://127.0.0.1:9" in lines[0], done.stderr
    assert list(tmp_path.iterdir()) == []  # no run folders, no .grid left behind


def test_without_dask_the_cluster_options_say_how_to_install_it(tmp_path):
    hide_dask = (
        "import sys\n"
        "class Hidden:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('dask', 'distributed'):\n"
        "            raise ImportError(name)\n"
        "sys.meta_path.insert(0, Hidden())\n"
        "from bench.cli.main import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    command = [sys.executable, "-c", hide_dask, "run", "--arch", "lenet5", *SMOKE,
               "--workers", "2", "--out", str(tmp_path)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: --workers and --scheduler need Dask: {INSTALL}"


def test_workers_and_a_scheduler_together_are_refused():
    with pytest.raises(BenchError, match="not both"):
        ClusterSettings(workers=2, scheduler="tcp://127.0.0.1:8786")


def test_the_cores_are_split_evenly_between_local_workers_by_default():
    cores = len(os.sched_getaffinity(0))
    assert ClusterSettings(workers=1).threads() == cores
    assert ClusterSettings(workers=cores * 2).threads() == 1
    assert ClusterSettings(workers=2, threads_per_worker=3).threads() == 3
    assert ClusterSettings(scheduler="tcp://127.0.0.1:8786").threads() is None
