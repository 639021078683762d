"""Runs made in a process of their own, one after another, as ``bench run`` makes them.

A Dask worker runs its task in a thread while its own event loop goes on beside it, and
that loop draws from Python's global ``random`` (``dask.sizeof`` samples the items of
large lists and dicts). Keras draws its default initializer seeds from the same global
``random``, so a run trained in the worker's thread would get other weights whenever the
loop drew first: the same seed, different predictions. A worker therefore hands each run
to a child process that does nothing else, kept for the suite so that TensorFlow is
imported once, and set up as ``bench run`` sets itself up (threads, op determinism,
architecture modules). The child ends itself when the worker that started it dies.

The child is a plain subprocess (``python -m bench.train.isolated``), not a
``multiprocessing`` one: Dask's worker processes are daemons, which may not have those.
Both ends speak pickle over the child's stdin and a copy of its stdout; the child's own
stdout goes to its stderr, so nothing it prints can break the exchange.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from bench.config import RunSpec
from bench.data.splits import Splits
from bench.store.records import DatasetInfo
from bench.train.after import AfterTraining

PARENT_CHECK_SECONDS = 1.0


@dataclasses.dataclass(frozen=True)
class ProcessSetup:
    """How a run's process sets itself up before TensorFlow's first op."""

    threads: int | None = None  # TensorFlow's intra- and inter-op threads; None: its own
    determinism: bool = True
    arch_modules: tuple[str, ...] = ()  # resolved paths of --arch-module files
    measurement_modules: tuple[str, ...] = ()  # and of --measurement-module files


class RunProcess:
    """A child process that makes runs of one suite on ``splits``, one at a time."""

    def __init__(self, setup: ProcessSetup, splits: Splits):
        self._child = subprocess.Popen(
            [sys.executable, "-m", __name__, str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self._send((setup, splits))

    def make(
        self,
        spec: RunSpec,
        dataset: DatasetInfo,
        run_dir: Path,
        after: AfterTraining | None,
        resume: bool,
    ) -> tuple[dict, float]:
        """``bench.train.suite.make_run`` in the child: the record's JSON and the seconds.

        Raises RuntimeError when the child died under the run (this object is then
        unusable), and the run's own error when it raised one."""
        self._send((spec, dataset, run_dir, after, resume))
        try:
            made, error = pickle.load(self._child.stdout)
        except (EOFError, OSError, pickle.UnpicklingError):
            self.close()
            raise RuntimeError(
                f"the process making {spec.run_id} ended (exit code {self._child.returncode})"
            ) from None
        if error is not None:
            raise error
        return made

    def _send(self, message) -> None:
        try:
            pickle.dump(message, self._child.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self._child.stdin.flush()
        except OSError:
            pass  # it died: the answer that does not come says so

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._child.stdin.close()
        try:
            self._child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._child.kill()
            self._child.wait()


_idle: list[tuple[object, RunProcess]] = []  # in a worker: (suite key, process) not in use
_idle_lock = threading.Lock()


@contextlib.contextmanager
def process_for(key: object, setup: ProcessSetup, splits: Splits) -> Iterator[RunProcess]:
    """A run process of the suite ``key`` for one run: an idle one, else a new one. Those
    of other suites are ended; one that died is not given back."""
    with _idle_lock:
        others = [process for other, process in _idle if other != key]
        mine = [process for other, process in _idle if other == key]
        _idle[:] = [(key, process) for process in mine[1:]]
    for process in others:
        process.close()
    process = mine[0] if mine else RunProcess(setup, splits)
    try:
        yield process
    except RuntimeError:
        raise  # it died
    else:
        with _idle_lock:
            _idle.append((key, process))


def _serve(parent: int) -> None:
    """The child: set up as ``bench run``, then make runs until its stdin closes."""
    # Ctrl-C is for the suite's process, which ends this one (stdin closed, or gone)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # what anything prints goes to stderr, not into the answers
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    requests = sys.stdin.buffer
    setup, splits = pickle.load(requests)
    _set_up(setup)
    from bench.progress import Progress
    from bench.train.suite import make_run

    while True:
        try:
            spec, dataset, run_dir, after, resume = pickle.load(requests)
        except EOFError:
            return
        try:
            record, seconds = make_run(
                spec, splits, dataset, run_dir, Progress(1, quiet=True), after, resume
            )
            answer = ((record.to_json(), seconds), None)
        except Exception as exc:  # the run's own errors are recorded by make_run
            answer = (None, RuntimeError(f"{type(exc).__name__}: {exc}"))
        pickle.dump(answer, answers, protocol=pickle.HIGHEST_PROTOCOL)
        answers.flush()


def _set_up(setup: ProcessSetup) -> None:
    """What ``bench run`` does before its first run."""
    from bench import tflog

    tflog.quiet()
    import tensorflow as tf

    import architectures
    from bench.environment import enable_determinism
    from bench.plugins import load_measurement_module

    if setup.threads is not None:
        tf.config.threading.set_intra_op_parallelism_threads(setup.threads)
        tf.config.threading.set_inter_op_parallelism_threads(setup.threads)
    if setup.determinism:
        enable_determinism()
    architectures.load_entry_points()
    for path in setup.arch_modules:
        architectures.load_module(path)
    for path in setup.measurement_modules:
        load_measurement_module(path)


def _exit_with(parent: int) -> None:
    """End this process once ``parent`` has gone (a killed worker): its run would be made
    again elsewhere, and this one would only take the cores from it."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)


if __name__ == "__main__":
    _serve(int(sys.argv[1]))
