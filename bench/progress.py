"""Progress lines for a suite: run k of n with elapsed time and an estimate of what is left."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from typing import TextIO

# A run's cost, computed only when an estimate needs it; None when it cannot be known.
Cost = Callable[[], float | None]


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

    The estimate of what is left is the remaining runs' cost (``plan``) times the seconds
    the finished runs took per unit of their cost, so a suite of cheap and costly networks
    is not estimated as if every run took the mean; without costs (or while a run's cost is
    unknown) a run counts as the mean finished run. Within a run it scales the mean epoch
    time by the epochs still allowed (an upper bound, since early stopping may end sooner).
    """

    def __init__(self, total: int, quiet: bool = False, stream: TextIO | None = None):
        self.total = total
        self.quiet = quiet
        self.stream = stream or sys.stdout
        self.started = time.perf_counter()
        self.run_seconds: list[float] = []
        self.index = 0
        self._resumed = False  # whether the run under way went on from a checkpoint
        self._costs: Sequence[Cost] = ()
        self._finished_costs: list[tuple[float, float]] = []  # (seconds, cost) of whole runs

    def _print(self, text: str) -> None:
        if not self.quiet:
            print(text, file=self.stream, flush=True)

    def warn(self, text: str) -> None:
        """A line for stderr, printed even when quiet: something went other than asked."""
        print(f"warning: {text}", file=sys.stderr, flush=True)

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def plan(self, costs: Sequence[Cost]) -> None:
        """The suite's runs' costs, in order: any unit proportional to their training time
        (``bench.train.runcost``); each is computed only when an estimate first needs it."""
        self._costs = costs

    def _cost(self, index: int) -> float | None:
        return self._costs[index]() if index < len(self._costs) else None

    def estimate_left(self, runs_left: int) -> str:
        seconds = self._seconds_for(range(self.total - runs_left, self.total))
        return "estimating" if seconds is None else f"~{format_duration(seconds)} left"

    def _seconds_for(self, positions: Sequence[int]) -> float | None:
        """How long the runs at ``positions`` should take one after another: their costs at
        the seconds per unit of cost of the whole runs made so far (the mean run without
        costs); None before the first."""
        if not self.run_seconds:
            return None
        mean = sum(self.run_seconds) / len(self.run_seconds)
        if not self._finished_costs:
            return mean * len(positions)
        rate = sum(s for s, _ in self._finished_costs) / sum(c for _, c in self._finished_costs)
        costs = [self._cost(i) for i in positions]
        return sum(mean if cost is None else cost * rate for cost in costs)

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
            self.run_seconds.append(seconds)
            cost = None if self.quiet else self._cost(self.index - 1)
            if cost:  # a builder that fails has no cost, and a run of it no rate
                self._finished_costs.append((seconds, cost))
        self._print(f"    {summary} {took(seconds, self._resumed)}")

    def run_made(
        self, position: int, label: str, where: str, summary: str, seconds: float | None,
        pending: Sequence[int], parallel: int,
    ) -> None:  # fmt: skip
        """A run made beside others (``bench.train.grid``): the one at ``position`` in the
        plan, by ``where`` in ``seconds`` (None: the cluster lost it); ``pending`` are the
        positions of the runs still under way or queued, shared among ``parallel`` workers."""
        self.index += 1
        if self.quiet:
            return  # nothing to print: costs stay uncomputed
        if seconds is not None:
            self.run_seconds.append(seconds)
            cost = self._cost(position)
            if cost:
                self._finished_costs.append((seconds, cost))
        left = self._seconds_for(pending)
        self._print(
            f"[run {self.index}/{self.total}] {label} on {where} | elapsed "
            f"{format_duration(self.elapsed())} | "
            + ("done" if not pending else "estimating" if left is None
               else f"~{format_duration(left / max(1, parallel))} left")
        )  # fmt: skip
        self._print(f"    {summary}" + ("" if seconds is None else f" {took(seconds, False)}"))

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
    """``    epoch 3/30  loss ...  val_accuracy ...  20.1s  (run: at most 9m01s left)``.

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
    return f"{line}  ({of}: at most {format_duration(left)} left)"
