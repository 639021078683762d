"""Which differences are real: paired tests on the same test images, and paired seeds.

Architectures are compared within a group of runs that saw the same test images and
the same training setting: (dataset, profile, augmentation, variant). Each pair gets
McNemar's test (mid-p) per seed on the saved test predictions, combined over seeds
and Holm-corrected over the group's pairs (``bench.measure.stats.compare_pairs``). The effect
of augmentation is the paired difference over seeds, per architecture.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.config import RunSpec
from bench.measure.stats import Interval, PairComparison, compare_pairs, holm, paired_difference
from bench.store import results
from bench.store.records import RunRecord

ALPHA = 0.05


@dataclasses.dataclass(frozen=True)
class ComparisonGroup:
    """The pairwise comparisons of one group of runs."""

    dataset: str
    profile: str
    augment: bool
    variant: str
    comparisons: list[PairComparison]

    @property
    def key(self) -> tuple:
        return (self.dataset, self.profile, self.augment, self.variant)

    @property
    def title(self) -> str:
        aug = "on" if self.augment else "off"
        variant = "" if self.variant == "default" else f", {self.variant}"
        return f"{self.dataset}, profile {self.profile}, augmentation {aug}{variant}"

    def untold_from(self, arch: str) -> list[str]:
        """The architectures whose paired test against ``arch`` is not significant."""
        return [
            pair.b if pair.a == arch else pair.a
            for pair in self.comparisons
            if arch in (pair.a, pair.b) and not pair.significant
        ]

    def better_than(self, arch: str) -> list[str]:
        """The architectures ``arch`` is significantly more accurate than."""
        found = []
        for pair in self.comparisons:
            if pair.significant and arch in (pair.a, pair.b):
                winner, loser = (
                    (pair.a, pair.b) if pair.accuracy_difference > 0 else (pair.b, pair.a)
                )
                if winner == arch:
                    found.append(loser)
        return found


def group_of(fields: Mapping[str, Any] | pd.Series, groups: list[ComparisonGroup]):
    """The comparison group a run or leaderboard row belongs to; None when none was made."""
    return next((group for group in groups if group.key == group_key(fields)), None)


def group_key(fields: Mapping[str, Any] | pd.Series) -> tuple:
    """(dataset, profile, augment, variant) of a run's spec (as a dict) or a leaderboard row."""
    return (
        fields.get("dataset"),
        fields.get("profile"),
        bool(fields.get("augment")),
        fields.get("variant", "default"),
    )


Reader = Callable[[Path], tuple[np.ndarray, np.ndarray]]  # run folder -> (labels, predicted)
Grouping = Callable[[RunSpec], tuple[tuple, str]]  # a run's spec -> (group, name in it)


def clean_predictions(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """A run's test labels and predicted classes, from its saved predictions."""
    with np.load(folder / results.PREDICTIONS) as saved:
        return saved["y_true"], saved["y_pred"]


def by_setting(spec: RunSpec) -> tuple[tuple, str]:
    """Architectures compared within their training setting (``group_key``)."""
    return group_key(dataclasses.asdict(spec)), spec.arch


def correctness(
    runs: list[tuple[Path, RunRecord]],
    read: Reader = clean_predictions,
    grouping: Grouping = by_setting,
) -> dict[tuple, dict[str, dict[int, np.ndarray]]]:
    """For each group: name (the architecture, by default) -> seed -> which of the images
    ``read`` gives the run got right.

    Runs whose predictions cannot be read are left out; so are runs whose labels differ
    from the group's first (they did not see the same images, so no paired test).
    """
    found: dict[tuple, dict[str, dict[int, np.ndarray]]] = defaultdict(dict)
    labels: dict[tuple, np.ndarray] = {}
    for folder, record in runs:
        if not record.ok:
            continue
        try:
            y_true, y_pred = read(folder)
        except (OSError, KeyError, ValueError):
            continue
        key, name = grouping(record.spec)
        if not np.array_equal(labels.setdefault(key, y_true), y_true):
            continue
        found[key].setdefault(name, {})[record.spec.seed] = y_true == y_pred
    return dict(found)


def compare_groups(
    runs: list[tuple[Path, RunRecord]], alpha: float = ALPHA
) -> list[ComparisonGroup]:
    """Every group with at least two architectures, its pairs compared."""
    groups = []
    for key, by_arch in correctness(runs).items():
        if len(by_arch) < 2:
            continue
        ordered = {arch: by_arch[arch] for arch in sorted(by_arch)}
        groups.append(ComparisonGroup(*key, comparisons=compare_pairs(ordered, alpha=alpha)))
    return groups


def better_than_column(board: pd.DataFrame, groups: list[ComparisonGroup]) -> list[str | None]:
    """Per leaderboard row: whom it beats significantly ("none" if no one); None where
    its group had nothing to compare against."""
    by_key = {group.key: group for group in groups}
    column = []
    for _, row in board.iterrows():
        group = by_key.get(group_key(row))
        if group is None:
            column.append(None)
        else:
            column.append(", ".join(group.better_than(row["arch"])) or "none")
    return column


@dataclasses.dataclass(frozen=True)
class AugmentationEffect:
    """Test accuracy with augmentation minus without, paired by seed."""

    arch: str
    dataset: str
    profile: str
    variant: str
    difference: Interval


def augmentation_effects(
    runs: pd.DataFrame, value: str = "test_accuracy"
) -> list[AugmentationEffect]:
    """One effect on ``value`` (a column of ``runs``) per (dataset, profile, architecture,
    variant) with seeds run both ways and measured both times."""
    ok = runs[runs["status"] == "ok"].copy()
    ok["variant"] = ok["variant"].fillna("default")
    # missing figures are None in an object column, which a pivot cannot average
    ok[value] = pd.to_numeric(ok[value], errors="coerce")
    effects = []
    keys = ["dataset", "profile", "arch", "variant"]
    for (dataset, profile, arch, variant), group in ok.groupby(keys, sort=True):
        mode = group["augment"].map({True: "on", False: "off"})
        table = group.assign(mode=mode).pivot_table(index="seed", columns="mode", values=value)
        if not {"on", "off"} <= set(table.columns):
            continue
        both = table[["on", "off"]].dropna()
        if len(both) == 0:
            continue
        difference = paired_difference(both["on"].tolist(), both["off"].tolist())
        effects.append(AugmentationEffect(arch, dataset, profile, variant, difference))
    return effects


@dataclasses.dataclass(frozen=True)
class AugmentationTest:
    """One architecture with augmentation against without, image by image, over seeds:
    ``comparison.a`` is with, ``b`` without; Holm-adjusted over the architectures of its
    (dataset, profile, variant)."""

    arch: str
    dataset: str
    profile: str
    variant: str
    comparison: PairComparison


def augmented_name(arch: str, augment: bool) -> str:
    """``lenet5 with augmentation``: how the augmentation tests name each side."""
    return f"{arch} {'with' if augment else 'without'} augmentation"


def by_architecture(spec: RunSpec) -> tuple[tuple, str]:
    """A network's runs with and without augmentation in one group, named by it."""
    return (spec.dataset, spec.profile, spec.variant, spec.arch), augmented_name(
        spec.arch, spec.augment
    )


def augmentation_tests(
    runs: list[tuple[Path, RunRecord]], read: Reader = clean_predictions, alpha: float = ALPHA
) -> list[AugmentationTest]:
    """McNemar's test of augmentation on against off for each architecture with seeds run
    both ways, on the images ``read`` gives, combined over seeds as ``compare_pairs`` does."""
    tests = []
    for (dataset, profile, variant, arch), named in sorted(
        correctness(runs, read, by_architecture).items()
    ):
        on, off = augmented_name(arch, True), augmented_name(arch, False)
        if on in named and off in named:
            for pair in compare_pairs({on: named[on], off: named[off]}, alpha=alpha):
                tests.append(AugmentationTest(arch, dataset, profile, variant, pair))
    return _holm_by_setting(tests, alpha)


def _holm_by_setting(tests: list[AugmentationTest], alpha: float) -> list[AugmentationTest]:
    """The tests with p-values Holm-adjusted over the architectures of each setting, as the
    architecture pairs are over the pairs of theirs."""
    settings: dict[tuple, list[int]] = defaultdict(list)
    for index, test in enumerate(tests):
        settings[(test.dataset, test.profile, test.variant)].append(index)
    adjusted = list(tests)
    for indices in settings.values():
        p_values = holm([tests[i].comparison.p_value for i in indices])
        for i, p in zip(indices, p_values, strict=True):
            pair = dataclasses.replace(tests[i].comparison, p_adjusted=p, significant=p < alpha)
            adjusted[i] = dataclasses.replace(tests[i], comparison=pair)
    return adjusted


def p_text(p: float) -> str:
    """A p-value as the page prints it: three significant digits, and ``< 1e-300`` where an
    exact test's p is below what a double holds (it would print as 0)."""
    return "< 1e-300" if p < 1e-300 else f"{p:.3g}"
