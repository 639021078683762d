"""What a search is: its settings and objective, and where its state lives.

Every architecture gets the same budget (trials, profile, time) so that the comparison stays
fair. A search sees the training and validation arrays only: the objective is validation
accuracy, and the test set is left for the one evaluation of the tuned run.

State lives under ``DIR/tuning/<dataset>/<arch>/<profile>-<tuner>-<aug>-s<seed>-<digest>/``
(keras-tuner's own files; the digest of the trial settings keeps stale searches apart), so
running the same search again continues it; the best configuration of the latest search is
kept beside it in ``best.json``, which ``bench run --tuned`` trains and evaluates.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bench.config import augment_tag, dataset_slug
from bench.errors import BenchError

if TYPE_CHECKING:
    from bench.config import RunSpec

OBJECTIVE = "val_accuracy"  # maximised; the test set never takes part in a search
TUNERS = ("random", "hyperband", "bayesian")
DEFAULT_MAX_TRIALS = 10
TUNING_DIR = "tuning"
BEST = "best.json"


class BudgetSpent(Exception):
    """Raised before a new trial would start after the time budget ran out."""


@dataclasses.dataclass(frozen=True)
class SearchSettings:
    """How one search runs: the same for every architecture of a comparison."""

    tuner: str = "random"
    max_trials: int | None = None  # None: DEFAULT_MAX_TRIALS (hyperband: its own schedule)
    time_budget_minutes: float | None = None  # no trial starts after this; None: no limit
    quiet: bool = False

    @property
    def trials(self) -> int | None:
        """The trials to run in all; None: as many as hyperband's schedule holds."""
        if self.max_trials is None and self.tuner != "hyperband":
            return DEFAULT_MAX_TRIALS
        return self.max_trials

    def deadline(self) -> float | None:
        """The ``time.monotonic()`` after which no trial starts; None: no time budget."""
        if self.tuner not in TUNERS:
            raise BenchError(f"unknown tuner '{self.tuner}'; choose from: {', '.join(TUNERS)}")
        if self.time_budget_minutes is None:
            return None
        return time.monotonic() + 60 * self.time_budget_minutes


def arch_dir(out_dir: str | os.PathLike, dataset: str, arch: str) -> Path:
    """``DIR/tuning/<dataset>/<arch>``: every search of ``arch`` on ``dataset``."""
    return Path(out_dir) / TUNING_DIR / dataset_slug(dataset) / arch


def project_name(spec: RunSpec, tuner: str) -> str:
    """Searches that differ in profile, tuner, augmentation or seed are kept apart, and so are
    searches whose trials train differently (edited builder, other epochs or batch size): the
    short digest of the spec at the end means such a search starts afresh instead of mixing
    its trials with stale ones."""
    digest = hashlib.sha256(json.dumps(spec.to_dict(), sort_keys=True).encode()).hexdigest()
    return f"{spec.profile}-{tuner}-{augment_tag(spec.augment)}-s{spec.seed}-{digest[:8]}"
