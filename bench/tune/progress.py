"""A search's progress lines: ``[trial k/n]`` with the values tried, then the score and the
best so far, and the epochs of the trial this process trains."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from bench.progress import epoch_line, format_duration, resumed_line, took
from bench.tune.settings import OBJECTIVE
from bench.tune.trials import searched_values


class TrialProgress:
    """Prints ``[trial k/n]`` with the values tried, then the score and the best so far."""

    def __init__(self, total: int | None, quiet: bool = False, stream: TextIO | None = None):
        self.total = total
        self.quiet = quiet
        self.stream = stream or sys.stdout
        self.started = time.perf_counter()
        self._trial_started: dict[str, float] = {}
        self._resumed: set[str] = set()  # trials that went on from a checkpoint in this process
        self.ran: list[str] = []
        self.trial_seconds: list[float] = []

    def note(self, text: str) -> None:
        if not self.quiet:
            print(text, file=self.stream, flush=True)

    def epoch_finished(
        self, epoch: int, max_epochs: int, logs: dict, seconds: float, mean_seconds: float
    ) -> None:
        self.note(epoch_line(epoch, max_epochs, logs, seconds, mean_seconds, "trial"))

    def run_resumed(self, epochs_done: int, max_epochs: int) -> None:
        if self._trial_started:  # the trial begun last is the one this process trains
            self._resumed.add(list(self._trial_started)[-1])
        self.note(resumed_line(epochs_done, max_epochs))

    def began(self, trial: Any) -> None:
        self._trial_started[trial.trial_id] = time.perf_counter()
        of = f"/{self.total}" if self.total else ""
        values = format_values(searched_values(trial.hyperparameters.values))
        number = trial_number(trial.trial_id)
        left = ""
        if self.total and self.trial_seconds and number.isdigit():
            # as long again as the trials this process has seen finish, on average
            mean = sum(self.trial_seconds) / len(self.trial_seconds)
            left = f" | ~{format_duration(mean * (self.total - int(number) + 1))} left"
        self.note(
            f"[trial {number}{of}] {values or 'defaults'} | "
            f"elapsed {format_duration(time.perf_counter() - self.started)}{left}"
        )

    def ended(self, trial: Any, best: Any) -> None:
        self.ran.append(trial.trial_id)
        seconds = time.perf_counter() - self._trial_started.pop(trial.trial_id, self.started)
        resumed = trial.trial_id in self._resumed
        if not resumed:  # part of a trial would make the estimate of those left too short
            self.trial_seconds.append(seconds)
        if trial.score is None or trial.status != "COMPLETED":
            reason = (trial.message or "").strip().splitlines()[-1:] or ["no score"]
            outcome = f"{trial.status.lower()}: {reason[0][:200]}"
        else:
            outcome = f"{OBJECTIVE} {trial.score:.4f}"
        so_far = (
            f"best so far {best.score:.4f} (trial {trial_number(best.trial_id)})"
            if best is not None and best.score is not None
            else "no best yet"
        )
        number = trial_number(trial.trial_id)
        self.note(f"    trial {number}: {outcome} {took(seconds, resumed)} | {so_far}")


def trial_number(trial_id: str) -> str:
    """keras-tuner numbers trials from 0 in the order they start; people count from 1."""
    return str(int(trial_id) + 1) if str(trial_id).isdigit() else str(trial_id)


def format_values(values: dict[str, Any]) -> str:
    return " ".join(f"{k}={_short(v)}" for k, v in sorted(values.items()))


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
