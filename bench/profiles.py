"""Named run profiles: how much data and how many epochs a run gets."""

from __future__ import annotations

import dataclasses

from bench.errors import BenchError


@dataclasses.dataclass(frozen=True)
class Profile:
    name: str
    description: str
    train_size: int | None = None  # None: all training images left after the validation split
    val_size: int | None = None  # None: min(5000, a tenth of the training set)
    test_size: int | None = None  # None: the whole test set
    max_epochs: int | None = None  # None: the architecture's own budget (its schedule spans it)
    max_batch_size: int | None = None  # None: the architecture's own default
    seeds: int = 1  # runs per configuration, seeds 0, 1, ... (--seed moves the first)
    check: bool = False  # it only checks that everything runs: its accuracies mean nothing


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(
            "smoke",
            "1,000 training images, one epoch: checks that everything runs",
            train_size=1000,
            val_size=500,
            test_size=1000,
            max_epochs=1,
            # 32 steps rather than 8: enough for BatchNorm's moving statistics to settle
            max_batch_size=32,
            check=True,
        ),
        Profile(
            "quick",
            "10,000 training images, at most 5 epochs: a first look",
            train_size=10000,
            max_epochs=5,
        ),
        Profile(
            "standard",
            "all training images, each architecture's own epoch budget and schedule",
        ),
        Profile(
            "full",
            "the standard profile with 3 seeds: intervals and significance tests",
            seeds=3,
        ),
    )
}
DEFAULT_PROFILE = "standard"


def is_check(name: str | None) -> bool:
    """Whether ``name`` is a profile that checks that everything runs (``Profile.check``),
    whose runs the report does not rank."""
    return name in PROFILES and PROFILES[name].check


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise BenchError(f"unknown profile '{name}'; choose from: {', '.join(PROFILES)}") from None
