"""Searching across processes: keras-tuner's chief, which holds the search, and its workers,
which run the trials. keras-tuner reads the roles from environment variables."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.errors import BenchError
from bench.store import files
from bench.tune.trials import best_trial, finished

if TYPE_CHECKING:
    from bench.tune.progress import TrialProgress

ENV_ID = "KERASTUNER_TUNER_ID"
ENV_IP = "KERASTUNER_ORACLE_IP"
ENV_PORT = "KERASTUNER_ORACLE_PORT"


def distributed_role(environment: Mapping[str, str] | None = None) -> str:
    """``local``, ``chief`` or ``worker``, from keras-tuner's variables in ``environment``
    (default: the process's)."""
    environment = os.environ if environment is None else environment
    if ENV_IP not in environment:
        return "local"
    missing = [name for name in (ENV_PORT, ENV_ID) if not environment.get(name)]
    if missing:
        raise BenchError(
            f"{ENV_IP} is set but {' and '.join(missing)} not; set all three, or use "
            "--distributed chief|worker --oracle HOST:PORT"
        )
    return "chief" if "chief" in environment[ENV_ID] else "worker"


@contextlib.contextmanager
def tuner_environment(variables: Mapping[str, str]) -> Iterator[None]:
    """keras-tuner's variables set while the search runs (it reads them when a tuner is
    made), and the process's own given back after."""
    before = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def distributed_env(role: str, oracle: str, worker_id: int | None) -> dict[str, str]:
    """keras-tuner's variables for ``--distributed ROLE --oracle HOST:PORT [--worker-id N]``."""
    host, sep, port = oracle.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise BenchError(f"--oracle {oracle}: expected HOST:PORT, such as 127.0.0.1:8000")
    if role == "worker" and worker_id is None:
        raise BenchError("--distributed worker needs --worker-id N, different for each worker")
    if role == "chief" and worker_id is not None:
        raise BenchError("--worker-id goes with --distributed worker, not with the chief")
    return {
        ENV_IP: host.strip("[]"),
        ENV_PORT: port,
        ENV_ID: "chief" if role == "chief" else f"tuner{worker_id}",
    }


def adopt_existing_search(project_dir: Path, role: str) -> None:
    """Let a search started locally go on as the chief's and the other way round.

    keras-tuner reloads a search only when it finds the state file of its own tuner id; the
    local tuner and the chief both hold the oracle, so either one's state will do.
    """
    if role == "worker" or not (project_dir / "oracle.json").exists():
        return
    tuner_id = os.environ.get(ENV_ID, "tuner0")  # keras-tuner's own default
    own = project_dir / f"{tuner_id}.json"
    other = project_dir / ("chief.json" if tuner_id != "chief" else "tuner0.json")
    if not own.exists() and other.exists():
        files.write_text(own, other.read_text())


class TrialWatcher:
    """On the chief, which runs no trials itself: reports the workers' trials as they go."""

    def __init__(self, oracle: Any, progress: TrialProgress, every: float = 0.5):
        self.oracle = oracle
        self.progress = progress
        self.every = every
        self.seen = {trial_id: finished(t) for trial_id, t in list(oracle.trials.items())}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="trial-watch")
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.poll()

    def poll(self) -> None:
        try:
            trials = sorted(self.oracle.trials.items())
        except RuntimeError:  # the dict changed while being read; look again next time
            return
        for trial_id, trial in trials:
            if trial_id not in self.seen:
                self.progress.began(trial)
                self.seen[trial_id] = False
            if not self.seen[trial_id] and finished(trial):
                self.progress.ended(trial, best_trial(self.oracle))
                self.seen[trial_id] = True

    def finish(self) -> None:
        self._stop.set()
        self._thread.join()
        self.poll()


def stop_handing_out_trials_at(oracle: Any, deadline: float | None) -> None:
    """On the chief: once the budget is spent, the oracle ends the search for every worker."""
    if deadline is None:
        return

    def stop() -> None:
        # Trials already running finish; a max_trials of 0 would mean "no limit".
        oracle.max_trials = max(len(oracle.trials), 1)

    timer = threading.Timer(max(0.0, deadline - time.monotonic()), stop)
    timer.daemon = True
    timer.start()
