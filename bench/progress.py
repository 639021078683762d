"""Progress lines for a suite: run k of n with elapsed time and an estimate of what is left."""

from __future__ import annotations

import sys
import time
from typing import TextIO


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

    The estimate of what is left assumes the remaining runs take as long as the
    finished ones did on average; within a run it scales the mean epoch time by the
    epochs still allowed (an upper bound, since early stopping may end sooner).
    """

    def __init__(self, total: int, quiet: bool = False, stream: TextIO | None = None):
        self.total = total
        self.quiet = quiet
        self.stream = stream or sys.stdout
        self.started = time.perf_counter()
        self.run_seconds: list[float] = []
        self.index = 0
        self._resumed = False  # whether the run under way went on from a checkpoint

    def _print(self, text: str) -> None:
        if not self.quiet:
            print(text, file=self.stream, flush=True)

    def warn(self, text: str) -> None:
        """A line for stderr, printed even when quiet: something went other than asked."""
        print(f"warning: {text}", file=sys.stderr, flush=True)

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def estimate_left(self, runs_left: int) -> str:
        if not self.run_seconds:
            return "estimating"
        mean = sum(self.run_seconds) / len(self.run_seconds)
        return f"~{format_duration(mean * runs_left)} left"

    def run_started(self, label: str) -> None:
        self.index += 1
        self._resumed = False
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
        self._print(f"    {summary} {took(seconds, self._resumed)}")

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
    """``    epoch 3/30  loss ...  val_accuracy ...  20.1s  (run: at most 9m01s left)``."""
    shown = "  ".join(
        f"{key} {logs[key]:.4f}"
        for key in ("loss", "accuracy", "val_loss", "val_accuracy")
        if key in logs
    )
    left = format_duration(mean_seconds * (max_epochs - epoch))
    return f"    epoch {epoch}/{max_epochs}  {shown}  {seconds:.1f}s  ({of}: at most {left} left)"
