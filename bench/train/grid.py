"""A suite's runs side by side on a Dask cluster (``bench run --workers N``, ``--scheduler``).

Each run to make is one Dask task. The worker trains it in a scratch folder with the same
``make_run`` as a run made here, and hands back the run's files; this process writes them
into the results folder with the same atomic writes, record last, so workers need no shared
filesystem and a suite killed at any moment keeps every run handed back before it.

The scratch folder is ``<out>/.grid/<run id>`` where the worker sees the results folder
(this machine, or a shared filesystem), so a run whose worker dies goes on from its last
epoch checkpoint on whichever worker Dask gives it next; elsewhere it is a folder in the
worker's own scratch space, and the run starts again. Dask reschedules the tasks of a
worker that dies (its ``allowed-failures``); a task that still fails is recorded as a
failed run and the suite goes on.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import secrets
import shutil
import signal
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

from bench.config import RunSpec
from bench.data.splits import Splits
from bench.environment import command_line
from bench.errors import BenchError, one_line
from bench.progress import Progress
from bench.store import files, results
from bench.store.records import DatasetInfo, RunRecord
from bench.train import isolated
from bench.train.after import AfterTraining
from bench.train.isolated import ProcessSetup
from bench.train.runlock import RunLocked, run_lock

# TensorFlow is never imported here: the runs are made in a process of their own
# (bench.train.isolated), which quiets TensorFlow's log before it imports it.

INSTALL = 'pip install -e ".[distributed]"'
TOKEN = "token"  # the file in <out>/.grid by which a worker knows it sees the results folder
CONNECT_SECONDS = 10


@dataclasses.dataclass(frozen=True)
class ClusterSettings:
    """Where the runs go: a local cluster of ``workers`` processes with
    ``threads_per_worker`` TensorFlow threads each (default: the cores split evenly), or the
    running cluster whose scheduler is at ``scheduler``."""

    workers: int | None = None
    threads_per_worker: int | None = None
    scheduler: str | None = None

    def __post_init__(self):
        if self.workers is not None and self.scheduler is not None:
            raise BenchError("give --workers (a cluster on this machine) or --scheduler, not both")
        for name in ("workers", "threads_per_worker"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise BenchError(f"{name} must be a positive count, got {value}")

    def check(self) -> None:
        """Fail early, before any data or TensorFlow loads: Dask must be installed, and a
        ``tcp://`` scheduler's port must take a connection (a refused one is instant)."""
        _require_dask()
        if self.scheduler is None or not self.scheduler.startswith("tcp://"):
            return
        host, _, port = self.scheduler.removeprefix("tcp://").rpartition(":")
        try:
            socket.create_connection((host.strip("[]"), int(port)), CONNECT_SECONDS).close()
        except (OSError, ValueError) as exc:
            raise _unreachable(self.scheduler, exc) from None

    def threads(self) -> int | None:
        """TensorFlow's threads in each worker; None leaves a running cluster's as they are."""
        if self.threads_per_worker is not None or self.scheduler is not None:
            return self.threads_per_worker
        return max(1, len(os.sched_getaffinity(0)) // self.workers)


@dataclasses.dataclass
class RemoteRun:
    """What a worker hands back: the run's record, its files by name, the seconds it took
    with what came after it, and the worker. The record travels as its JSON, as it does
    between processes: a measurement's section type need not import where it lands."""

    record_json: dict
    made: dict[str, bytes]
    seconds: float
    worker: str


def run_grid(
    specs: list[RunSpec],
    splits: Splits,
    dataset: DatasetInfo,
    out_dir: Path,
    cluster: ClusterSettings,
    force: bool = False,
    progress: Progress | None = None,
    after: AfterTraining | None = None,
    determinism: bool = True,
    arch_modules: tuple[str, ...] = (),
    measurement_modules: tuple[str, ...] = (),
) -> list[RunRecord]:
    """``bench.train.suite.run_suite`` on a Dask cluster: the same runs skipped, the same
    records, in the order of ``specs``."""
    from bench.train.runcost import suite_work
    from bench.train.suite import finished_record

    progress = progress or Progress(len(specs))
    progress.plan(suite_work(specs, splits))
    records: dict[int, RunRecord] = {}
    pending = []
    for position, spec in enumerate(specs):
        done = None if force else finished_record(spec, splits, out_dir / spec.run_id, progress)
        if done is None:
            pending.append(position)
        else:
            records[position] = done
    if pending:
        setup = ProcessSetup(cluster.threads(), determinism, arch_modules, measurement_modules)
        # Connected before the runs are locked: a lock makes its run's folder, and a cluster
        # that cannot be reached must leave no empty folders behind.
        with (
            _shared_scratch(out_dir) as shared,
            _connected(cluster, out_dir) as client,
            contextlib.ExitStack() as locks,
        ):
            todo = []
            for position in pending:
                locked = _lock(locks, specs[position], out_dir, progress)
                if locked is None:
                    todo.append(position)
                else:
                    records[position] = locked
            if todo:
                made = _run_on(client, specs, todo, splits, dataset, setup, shared,
                               after, force, out_dir, progress)  # fmt: skip
                records.update(made)
    return [records[position] for position in range(len(specs))]


def _lock(locks: contextlib.ExitStack, spec, out_dir: Path, progress) -> RunRecord | None:
    """Hold the run's lock for the suite; the ``locked`` record when another process has it."""
    try:
        locks.enter_context(run_lock(out_dir / spec.run_id))
    except RunLocked as locked:
        progress.run_skipped(spec.label, str(locked))
        return RunRecord(run_id=spec.run_id, spec=spec, status="locked", error=str(locked))
    return None


def _run_on(
    client, specs, positions, splits, dataset, setup, shared, after, force, out_dir, progress
):
    """Make ``specs[position]`` for each of ``positions`` on ``client``'s cluster; their
    records by position, written into ``out_dir`` as each comes back."""
    from distributed import as_completed

    from bench.train.after import outcome

    if not client.scheduler_info()["workers"]:
        progress.warn("the Dask cluster has no workers yet: waiting for one to join")
        client.wait_for_workers(1)
    _check_installed(client)
    data = client.scatter(splits, broadcast=True, hash=False)
    futures = {
        client.submit(
            make_remote, specs[position], data, dataset, setup, after, shared, force,
            key=f"run-{specs[position].run_id}-{secrets.token_hex(4)}", retries=1, pure=False,
            priority=-position,  # in the plan's order, seeds outermost, as a suite run here
        ): (position, specs[position])
        for position in positions
    }  # fmt: skip
    pending = set(positions)
    slots = sum(client.nthreads().values())  # runs under way at once
    made = {}
    for future in as_completed(futures):
        position, spec = futures[future]
        record, where, seconds = _handed_back(future, spec, out_dir / spec.run_id)
        pending.discard(position)
        progress.run_made(
            position, spec.label, where, outcome(record), seconds, sorted(pending), slots
        )
        made[position] = record
    return made


def _check_installed(client) -> None:
    """Fail in one line unless the scheduler and every worker can import mnist-bench: the
    scheduler unpickles the tasks, and the workers run them."""
    for where, call in (("scheduler", client.run_on_scheduler), ("workers", client.run)):
        try:
            call(_importable)  # pickled by name: it fails where bench cannot be imported
        except Exception as exc:
            raise BenchError(
                f"the Dask {where} cannot import mnist-bench ({one_line(exc)}); install it "
                f"on every machine of the cluster: {INSTALL}"
            ) from None


def _importable() -> bool:
    return True


def _handed_back(future, spec: RunSpec, run_dir: Path) -> tuple[RunRecord, str, float | None]:
    """The record of the run ``future`` made, its files written into ``run_dir``, where
    and in how many seconds it was made; a task that failed for good is a failed run."""
    try:
        remote: RemoteRun = future.result()
    except Exception as exc:  # a worker that kept dying, or an error outside the run
        record = RunRecord(
            run_id=spec.run_id, spec=spec, status="failed",
            error=f"on the cluster: {type(exc).__name__}: {one_line(exc)}",
        )  # fmt: skip
        files.write_json(run_dir / results.RECORD, record.to_json())
        return record, "the cluster", None
    record = dataclasses.replace(
        RunRecord.from_json(remote.record_json),
        command=sys.argv, command_line=command_line(), cwd=os.getcwd(),
    )  # fmt: skip
    run_dir.mkdir(parents=True, exist_ok=True)
    for name, content in remote.made.items():
        if name != results.RECORD:
            files.write_bytes(run_dir / name, content)
    files.write_json(run_dir / results.RECORD, record.to_json())  # last: the run is done
    return record, remote.worker, remote.seconds


def make_remote(
    spec: RunSpec,
    splits: Splits,
    dataset: DatasetInfo,
    setup: ProcessSetup,
    after: AfterTraining | None,
    shared: str | None,
    force: bool,
) -> RemoteRun:
    """The Dask task: make the run in a scratch folder, in the worker's run process
    (``bench.train.isolated``), and hand back what it left there."""
    from distributed import get_worker

    worker = get_worker()
    scratch = _scratch(spec.run_id, shared, Path(worker.local_directory))
    with isolated.process_for((shared, setup), setup, splits) as process:
        # a RuntimeError (the process died) fails the task, and Dask makes it again
        record, seconds = process.make(spec, dataset, scratch, after, resume=not force)
    made = {path.name: path.read_bytes() for path in scratch.iterdir() if path.is_file()}
    shutil.rmtree(scratch, ignore_errors=True)
    named = worker.name if worker.name == worker.address else f"worker {worker.name}"
    where = f"{named} ({socket.gethostname()})"
    return RemoteRun(record, made, seconds, where)


def _scratch(run_id: str, shared: str | None, own: Path) -> Path:
    """``<out>/.grid/<run id>`` when this worker sees that folder, else its own scratch."""
    if shared is not None:
        token_file = Path(shared).parent / TOKEN
        with contextlib.suppress(OSError):
            if token_file.read_text() == Path(shared).name:
                return Path(shared).parent / run_id
    return own / "mnist-bench" / run_id


@contextlib.contextmanager
def _shared_scratch(out_dir: Path) -> Iterator[str]:
    """``<out>/.grid`` with a fresh token in it; yields ``<out>/.grid/<token>``, by which a
    worker tells whether it sees this folder. The folder goes when the suite ends, unless
    a run's checkpoint is still in it (a killed suite resumes from it)."""
    grid = out_dir / results.GRID_DIR
    token = secrets.token_hex(8)
    grid.mkdir(parents=True, exist_ok=True)
    files.write_text(grid / TOKEN, token)
    try:
        yield str(grid / token)
    finally:
        (grid / TOKEN).unlink(missing_ok=True)
        shutil.rmtree(grid / "workers", ignore_errors=True)
        with contextlib.suppress(OSError):
            grid.rmdir()


@contextlib.contextmanager
def _connected(cluster: ClusterSettings, out_dir: Path):
    """A Dask client of the cluster ``cluster`` names; a local one closes with it."""
    _require_dask()
    from distributed import Client, LocalCluster

    if cluster.scheduler is not None:
        try:
            client = Client(cluster.scheduler, timeout=CONNECT_SECONDS)
        except (OSError, TimeoutError, ValueError) as exc:
            raise _unreachable(cluster.scheduler, exc) from None
        with client:
            yield client
        return
    local = LocalCluster(
        n_workers=cluster.workers,
        threads_per_worker=1,  # one run at a time per worker; TensorFlow has the threads
        processes=True,
        dashboard_address=None,
        local_directory=str(out_dir / results.GRID_DIR / "workers"),
        preload=[__name__],  # dask_setup below, in each worker process
    )
    with local, Client(local) as client:
        # every worker up before the data is scattered to them all: one that joined later
        # would hold no copy, and the data would go with the last worker that held it
        client.wait_for_workers(cluster.workers)
        try:
            yield client
        except KeyboardInterrupt:
            # the cluster stops with the suite; Dask's notes on the cancelled tasks and the
            # lost data say nothing the one line "interrupted" does not
            client.run(_quiet_dask)
            _quiet_dask()
            raise


def _require_dask() -> None:
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise BenchError(f"--workers and --scheduler need Dask: {INSTALL}") from None


def _unreachable(scheduler: str, exc: Exception) -> BenchError:
    return BenchError(
        f"--scheduler {scheduler}: no Dask scheduler answers there ({one_line(exc)}); "
        "start one with `dask scheduler`"
    )


def dask_setup(worker) -> None:
    """Run by each worker process of a local cluster as it starts (Dask's ``preload``).
    Ctrl-C reaches every process of the terminal's group; a worker that took it would print
    its traceback, while the suite's own process stops the cluster anyway."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _quiet_dask() -> None:
    logging.getLogger("distributed").setLevel(logging.CRITICAL)
