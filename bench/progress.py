"""Progress lines for a suite: run k of n with elapsed time and an estimate of what is left."""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Sequence
from typing import TextIO

from bench.words import counted


@dataclasses.dataclass(frozen=True)
class Work:
    """What an estimate knows of a run before it runs: its network (runs of one network at one
    batch size and precision take about the same time per training image and epoch) and its
    training images times epochs."""

    network: str
    epoch_images: float


def format_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


class Progress:
    """Prints suite- and epoch-level progress; silent when ``quiet``.

    What is left is estimated per network (``plan``): a run of a network that has finished
    a run here takes that network's seconds per training image and epoch, times its own
    images and epochs; a run of a network not timed yet takes those of all the finished runs
    together, and the line says how many networks are still untimed. Until a run has
    finished (a resumed one does not count) the line says "estimating". Within a run, the
    epochs left times the mean epoch so far.
    """

    def __init__(self, total: int, quiet: bool = False, stream: TextIO | None = None):
        self.total = total
        self.quiet = quiet
        self.stream = stream or sys.stdout
        self.started = time.perf_counter()
        self.run_seconds: list[float] = []
        self.index = 0
        self._resumed = False  # whether the run under way went on from a checkpoint
        self._work: Sequence[Work] = ()
        self._timed: list[tuple[Work, float]] = []  # (work, seconds) of whole runs made here

    def _print(self, text: str) -> None:
        if not self.quiet:
            print(text, file=self.stream, flush=True)

    def warn(self, text: str) -> None:
        """A line for stderr, printed even when quiet: something went other than asked."""
        print(f"warning: {text}", file=sys.stderr, flush=True)

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def plan(self, work: Sequence[Work]) -> None:
        """The suite's runs, in order, as the estimate knows them."""
        self._work = work

    def estimate_left(self, runs_left: int) -> str:
        return self._left(range(self.total - runs_left, self.total))

    def _left(self, positions: Sequence[int], parallel: int = 1) -> str:
        """``~12m30s left`` for the runs at ``positions``, made ``parallel`` at a time."""
        if not positions:
            return "done"
        estimate = self._seconds_for(positions)
        if estimate is None:
            return "estimating"
        runs, untimed = estimate
        seconds = max(sum(runs) / max(1, min(parallel, len(runs))), max(runs))
        rough = f" ({counted(untimed, 'network')} not timed yet)" if untimed else ""
        return f"~{format_duration(seconds)} left{rough}"

    def _seconds_for(self, positions: Sequence[int]) -> tuple[list[float], int] | None:
        """Each run's expected seconds, and how many of their networks are untimed; None
        before the first run has finished."""
        if not self.run_seconds:
            return None
        planned = [self._work[i] if i < len(self._work) else None for i in positions]
        if not self._timed or None in planned:
            mean = sum(self.run_seconds) / len(self.run_seconds)
            return [mean] * len(positions), 0
        totals: dict[str, list[float]] = {}  # network: [seconds, epoch images]
        for work, seconds in self._timed:
            total = totals.setdefault(work.network, [0.0, 0.0])
            total[0] += seconds
            total[1] += work.epoch_images
        rates = {
            network: seconds / max(images, 1.0) for network, (seconds, images) in totals.items()
        }
        overall = sum(s for s, _ in totals.values()) / max(sum(w for _, w in totals.values()), 1.0)
        runs = [work.epoch_images * rates.get(work.network, overall) for work in planned]
        untimed = {work.network for work in planned if work.network not in rates}
        return runs, len(untimed)

    def run_started(self, label: str) -> None:
        self.index += 1
        self._resumed = False
        if self.quiet:
            return  # nothing to print: costs stay uncomputed
        left = self.estimate_left(self.total - self.index + 1)
        self._print(
            f"[run {self.index}/{self.total}] {label} | elapsed "
            f"{format_duration(self.elapsed())} | {left}"
        )

    def run_skipped(self, label: str, outcome: str) -> None:
        """A run not made here: ``already done, skipped``, ``locked by process 123, skipped``."""
        self.index += 1
        self._print(f"[run {self.index}/{self.total}] {label} | {outcome}")

    def run_resumed(self, epochs_done: int, max_epochs: int) -> None:
        self._resumed = True
        self._print(resumed_line(epochs_done, max_epochs))

    def run_finished(self, seconds: float, summary: str) -> None:
        if not self._resumed:  # part of a run would make the estimate of those left too short
            self._finished(self.index - 1, seconds)
        self._print(f"    {summary} {took(seconds, self._resumed)}")

    def run_made(
        self, position: int, label: str, where: str, summary: str, seconds: float | None,
        pending: Sequence[int], parallel: int,
    ) -> None:  # fmt: skip
        """A run made beside others (``bench.train.grid``): the one at ``position`` in the
        plan, by ``where`` in ``seconds`` (None: the cluster lost it); ``pending`` are the
        positions of the runs still under way or queued, shared among ``parallel`` workers."""
        self.index += 1
        if seconds is not None:
            self._finished(position, seconds)
        self._print(
            f"[run {self.index}/{self.total}] {label} on {where} | elapsed "
            f"{format_duration(self.elapsed())} | {self._left(pending, parallel)}"
        )
        self._print(f"    {summary}" + ("" if seconds is None else f" {took(seconds, False)}"))

    def _finished(self, position: int, seconds: float) -> None:
        self.run_seconds.append(seconds)
        if position < len(self._work):
            self._timed.append((self._work[position], seconds))

    def epoch_finished(
        self, epoch: int, max_epochs: int, logs: dict, seconds: float, mean_seconds: float
    ) -> None:
        self._print(epoch_line(epoch, max_epochs, logs, seconds, mean_seconds, "run"))


def took(seconds: float, resumed: bool) -> str:
    """``in 35m56s``; ``in 35m56s since resuming`` for work that went on from a checkpoint."""
    return f"in {format_duration(seconds)}" + (" since resuming" if resumed else "")


def resumed_line(epochs_done: int, max_epochs: int) -> str:
    return f"    resuming after epoch {epochs_done}/{max_epochs} from its checkpoint"


def epoch_line(
    epoch: int, max_epochs: int, logs: dict, seconds: float, mean_seconds: float, of: str
) -> str:
    """``    epoch 3/30  loss ...  val_accuracy ...  20.1s  (run: ~9m01s left)``.

    What is left is the epochs still allowed times the mean epoch so far; after the last
    epoch, or without a mean epoch time, the line says nothing about it.
    """
    shown = "  ".join(
        f"{key} {logs[key]:.4f}"
        for key in ("loss", "accuracy", "val_loss", "val_accuracy")
        if key in logs
    )
    line = f"    epoch {epoch}/{max_epochs}  {shown}  {seconds:.1f}s"
    left = mean_seconds * (max_epochs - epoch)
    if not left >= 0.5:  # what would print as 0s; NaN too (no mean yet)
        return line
    return f"{line}  ({of}: ~{format_duration(left)} left)"
