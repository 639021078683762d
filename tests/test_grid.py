"""A suite's runs on a Dask cluster (``bench run --workers N``, ``--scheduler``), on the
bundled digits with a local cluster of two worker processes."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
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


@pytest.mark.long
def test_a_suite_on_two_workers_gives_the_predictions_of_one_made_here(tmp_path):
    # mlp has dropout and its second run augments: the random parts of a run
    runs = ["--arch", "mlp", "--augment", "both", *SMOKE]
    here = _bench_run(*runs, "--out", str(tmp_path / "here"), env=ONE_THREAD)
    grid = _bench_run(*runs, "--workers", "2", "--threads-per-worker", "1",
                      "--out", str(tmp_path / "grid"))  # fmt: skip
    assert here.returncode == 0, here.stderr[-2000:]
    assert grid.returncode == 0, grid.stderr[-2000:]
    assert "2 ok, 0 failed" in grid.stdout
    assert "on worker" in grid.stdout
    expected, made = _predictions(tmp_path / "here"), _predictions(tmp_path / "grid")
    assert len(expected) == 2 and made.keys() == expected.keys()
    for run_id, y_pred in expected.items():
        np.testing.assert_array_equal(made[run_id], y_pred, err_msg=run_id)


@pytest.mark.slow  # two runs of three epochs on two workers, one killed: minutes
def test_a_worker_killed_in_the_middle_of_a_run_loses_no_run(tmp_path):
    # two seeds of one configuration: two runs alike, made at the same time on the workers
    out = tmp_path / "grid"
    command = [sys.executable, "-m", "bench", "run", "--arch", "custom_cnn", *SMOKE]
    command += ["--augment", "off", "--seeds", "2", "--epochs", "3"]
    command += ["--workers", "2", "--out", str(out)]
    suite = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        checkpointed = _kill_a_worker_mid_run(suite, out)
        printed, errors = suite.communicate(timeout=900)
    finally:
        suite.kill()
    assert suite.returncode == 0, errors[-2000:]
    assert checkpointed, "the two runs were never seen with an epoch checkpointed each"
    assert "2 ok, 0 failed" in printed
    frame = results.load(out)
    assert len(frame) == 2 and (frame["status"] == "ok").all()
    resumed = {
        run_id: results.read_run_record(out / run_id).resumed_after_epoch
        for run_id in frame["run_id"]
    }
    # the run that was cut off went on from the checkpoint it had when its worker was
    # killed (the workers share this folder); the other was not cut off
    ((run_id, epoch),) = [(run_id, e) for run_id, e in resumed.items() if e is not None]
    assert epoch == checkpointed[run_id]
    assert not (out / results.GRID_DIR).exists()


@pytest.mark.long
def test_ctrl_c_on_a_local_cluster_ends_the_suite_with_one_line(tmp_path):
    out = tmp_path / "grid"
    command = [sys.executable, "-m", "bench", "run", "--arch", "mlp", *SMOKE, "--epochs", "50"]
    command += ["--augment", "off", "--workers", "1", "--out", str(out)]  # one is enough
    # as a person runs it (conftest.py sets TensorFlow's log level for the tests), and in a
    # session of its own: Ctrl-C signals the terminal's whole process group, workers included
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    suite = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        start_new_session=True,
    )  # fmt: skip
    try:
        while suite.poll() is None and not _checkpoints(out):
            time.sleep(0.05)  # until a worker's run has trained an epoch
        os.killpg(suite.pid, signal.SIGINT)
        _, errors = suite.communicate(timeout=120)
    finally:
        suite.kill()
    assert suite.returncode == 130, errors[-2000:]
    assert errors.strip().splitlines() == ["interrupted; finished runs are saved"]
    empty = [p.name for p in out.iterdir() if p.is_dir() and not any(p.iterdir())]
    assert empty == []  # the runs not handed back left no run folders behind


def _kill_a_worker_mid_run(suite: subprocess.Popen, out: Path) -> dict[str, int]:
    """Once each worker's run process is making a run with an epoch checkpointed, SIGKILL
    one of them and its worker; returns the epoch each run had checkpointed then, by run id
    ({} if the suite ended first). The run processes are stopped (SIGSTOP) while the
    checkpoints are looked at: a run's process removes its checkpoint once it has trained,
    so one found then belongs to a run that is not finished, and cannot finish before the
    kill. Both workers have made a run, so both hold the suite's data."""
    while suite.poll() is None:
        making = _run_processes(suite.pid)
        for process in making:
            _signal(process, signal.SIGSTOP)
        try:
            checkpointed = _checkpoints(out)
            if len(making) == len(checkpointed) == 2 and _run_processes(suite.pid) == making:
                with contextlib.suppress(psutil.Error):
                    psutil.Process(making[0].ppid()).kill()  # the worker
                _signal(making[0], signal.SIGKILL)
                return checkpointed
        finally:
            for process in making:
                _signal(process, signal.SIGCONT)
        time.sleep(0.05)  # how often to look, not how long to wait
    return {}


def _checkpoints(out: Path) -> dict[str, int]:
    """The epoch of each run's checkpoint in the workers' shared folder, by run id."""
    epochs = {}
    for path in (out / results.GRID_DIR).glob(f"*/{CHECKPOINT}"):
        with contextlib.suppress(OSError, ValueError):  # a file in the making
            state = json.loads(path.read_text())
            if (path.parent / state["arrays"]).exists():  # not half removed
                epochs[path.parent.parent.name] = state["epoch"]
    return epochs


def _run_processes(suite_pid: int) -> list:
    """The processes that make the suite's runs (``bench.train.isolated``), one per worker."""
    try:
        children = psutil.Process(suite_pid).children(recursive=True)
    except psutil.Error:  # the suite ended
        return []
    return [child for child in children if "bench.train.isolated" in " ".join(_cmdline(child))]


def _signal(process, signum: int) -> None:
    with contextlib.suppress(psutil.Error):  # it ended meanwhile
        process.send_signal(signum)


def _cmdline(process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:  # it ended meanwhile
        return []


def test_a_bad_scheduler_address_is_one_line_and_exit_2(tmp_path):
    with socket.socket() as nobody:  # a port this test holds, where nothing listens
        nobody.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{nobody.getsockname()[1]}"
        done = _bench_run("--arch", "lenet5", *SMOKE, "--scheduler", address,
                          "--out", str(tmp_path))  # fmt: skip
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and address in lines[0], done.stderr
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
