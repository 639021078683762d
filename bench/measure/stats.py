"""Small statistics for comparing runs: means with Student's t intervals, paired McNemar
tests between architectures on the same test images, and Holm's adjustment across pairs."""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

MCNEMAR_METHODS = ("exact", "midp")


@dataclasses.dataclass(frozen=True)
class Interval:
    """A sample mean with its two-sided confidence interval (NaN bounds for one value)."""

    mean: float
    low: float
    high: float
    std: float
    n: int


def mean_interval(values: Sequence[float], confidence: float = 0.95) -> Interval:
    """Mean and Student's t interval of ``values``; one value gives NaN bounds and std."""
    from scipy import stats

    data = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    n = len(data)
    if n == 0:
        raise ValueError("mean_interval needs at least one finite value")
    mean = sum(data) / n
    if n == 1:
        return Interval(mean, math.nan, math.nan, math.nan, 1)
    std = math.sqrt(sum((v - mean) ** 2 for v in data) / (n - 1))
    half = stats.t.ppf((1 + confidence) / 2, n - 1) * std / math.sqrt(n)
    return Interval(mean, mean - half, mean + half, std, n)


def paired_difference(a: Sequence[float], b: Sequence[float], confidence: float = 0.95) -> Interval:
    """Mean of the paired differences ``a[i] - b[i]`` with its Student's t interval.

    Pairing (by seed, say) removes the variation the two conditions share, so the interval
    is narrower than one built from two separate means. A pair with a missing or non-finite
    value is left out, as :func:`mean_interval` leaves out such values.
    """
    if len(a) != len(b):
        raise ValueError(f"paired_difference needs equal lengths, got {len(a)} and {len(b)}")
    differences = [_as_float(x) - _as_float(y) for x, y in zip(a, b, strict=True)]
    return mean_interval(differences, confidence=confidence)


def _as_float(value: float | None) -> float:
    return math.nan if value is None else float(value)


@dataclasses.dataclass(frozen=True)
class McNemar:
    """McNemar's test of two classifiers on the same test images.

    ``only_a`` counts the images model A gets right and model B gets wrong, ``only_b`` the
    reverse; the images both get right (or both wrong) say nothing about which is better.
    """

    only_a: int
    only_b: int
    p_value: float
    method: str

    @property
    def discordant(self) -> int:
        return self.only_a + self.only_b


def mcnemar(correct_a: Any, correct_b: Any, method: str = "midp") -> McNemar:
    """Two-sided McNemar test from per-image correctness of two models on the same images.

    ``correct_a`` and ``correct_b`` are equal-length boolean array-likes. ``method="exact"``
    is the exact binomial test on the discordant images; ``method="midp"`` (the default) is
    its mid-p version, which Fagerland, Lydersen & Laake (2013, BMC Med. Res. Methodol.
    13:91) recommend: it keeps close to the nominal level while being less conservative.
    """
    if method not in MCNEMAR_METHODS:
        raise ValueError(f"unknown McNemar method {method!r}; choose one of {MCNEMAR_METHODS}")
    a = _correctness(correct_a, "correct_a")
    b = _correctness(correct_b, "correct_b")
    if a.shape != b.shape:
        raise ValueError(
            f"mcnemar needs equal-length arrays, got {a.shape[0]} and {b.shape[0]} images"
        )
    only_a = int((a & ~b).sum())
    only_b = int((~a & b).sum())
    return McNemar(only_a, only_b, _mcnemar_p(only_a, only_b, method), method)


def _correctness(values: Any, name: str) -> Any:
    """``values`` as a 1-D boolean array; rejects anything but booleans or 0/1 so that,
    say, predicted labels passed by mistake fail loudly instead of counting as correct."""
    import numpy as np

    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if array.dtype != bool:
        if array.size and not np.isin(array, (0, 1)).all():
            raise ValueError(f"{name} must hold booleans (or 0/1), got dtype {array.dtype}")
        array = array.astype(bool)
    return array


def _mcnemar_p(only_a: int, only_b: int, method: str) -> float:
    from scipy import stats

    n = only_a + only_b
    if n == 0:
        return 1.0
    k = min(only_a, only_b)
    tail = stats.binom.cdf(k, n, 0.5)
    if method == "exact":
        return float(min(1.0, 2 * tail))
    # 2*P(X <= k) - P(X = k) is exactly 1 when only_a == only_b; the cap absorbs rounding.
    return float(min(1.0, 2 * tail - stats.binom.pmf(k, n, 0.5)))


def combine_seeds(tests: Sequence[McNemar]) -> float:
    """One p-value for a pair of architectures from their McNemar tests over several seeds.

    The seeds are tested on the same images, so their tests are dependent and Fisher's or
    Stouffer's combination (which assume independence) would overstate the evidence. This
    is instead an intersection-union test, valid under any dependence: it claims a
    difference only when every seed favours the same architecture, with the largest
    per-seed p-value; any disagreement or tie gives 1.
    """
    if not tests:
        raise ValueError("combine_seeds needs at least one test")
    directions = {_sign(test.only_a - test.only_b) for test in tests}
    if len(directions) != 1 or 0 in directions:
        return 1.0
    return max(test.p_value for test in tests)


def _sign(value: int) -> int:
    return (value > 0) - (value < 0)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the order given.

    Controls the family-wise error rate across all the comparisons without assuming they
    are independent, and never rejects less than Bonferroni's correction does.
    """
    p = [float(value) for value in p_values]
    if any(not 0 <= value <= 1 for value in p):
        raise ValueError(f"p-values must lie in [0, 1], got {p}")
    m = len(p)
    order = sorted(range(m), key=p.__getitem__)
    adjusted = [0.0] * m
    running = 0.0
    for rank, index in enumerate(order):
        # The running maximum keeps a smaller raw p from getting a larger adjusted one.
        running = max(running, min(1.0, (m - rank) * p[index]))
        adjusted[index] = running
    return adjusted


@dataclasses.dataclass(frozen=True)
class PairComparison:
    """Two architectures compared image by image over the seeds both were trained with."""

    a: str
    b: str
    seeds: tuple[int, ...]
    accuracy_difference: float  # mean over seeds of accuracy(a) - accuracy(b)
    tests: tuple[McNemar, ...]  # one per seed, in the order of ``seeds``
    p_value: float  # combined over seeds
    p_adjusted: float  # Holm over all pairs compared
    significant: bool

    def conclusion(self) -> str:
        """One sentence for a report, naming the more accurate architecture first."""
        p = f"{_format_p(self.p_adjusted)}, Holm-adjusted"
        if not self.significant:
            return f"{self.a} and {self.b} are not distinguishable on this data ({p})"
        better, worse = (self.a, self.b) if self.accuracy_difference >= 0 else (self.b, self.a)
        return f"{better} is more accurate than {worse} ({p})"


def _format_p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.2g}"


def compare_pairs(
    correct: Mapping[str, Mapping[int, Any]], alpha: float = 0.05, method: str = "midp"
) -> list[PairComparison]:
    """McNemar comparisons of every pair of architectures, Holm-adjusted across the pairs.

    ``correct[name][seed]`` is the boolean correctness array of that architecture's run with
    that seed, all on the same test images. Pairs come in the mapping's order (as
    :func:`itertools.combinations` gives them); each uses the seeds both architectures have,
    and a pair with no seed in common is left out.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    pairs = []
    for a, b in itertools.combinations(correct, 2):
        seeds = tuple(sorted(set(correct[a]) & set(correct[b])))
        if seeds:
            pairs.append((a, b, seeds, *_test_pair(correct, a, b, seeds, method)))
    p_values = [combine_seeds(tests) for *_, tests in pairs]
    return [
        PairComparison(a, b, seeds, difference, tests, p, adjusted, adjusted < alpha)
        for (a, b, seeds, difference, tests), p, adjusted in zip(
            pairs, p_values, holm(p_values), strict=True
        )
    ]


def _test_pair(
    correct: Mapping[str, Mapping[int, Any]], a: str, b: str, seeds: Sequence[int], method: str
) -> tuple[float, tuple[McNemar, ...]]:
    """Mean accuracy difference of ``a`` over ``b`` and one McNemar test per seed."""
    import numpy as np

    differences, tests = [], []
    for seed in seeds:
        correct_a, correct_b = np.asarray(correct[a][seed]), np.asarray(correct[b][seed])
        if correct_a.shape != correct_b.shape:
            raise ValueError(
                f"{a} and {b} were scored on different test sets with seed {seed}: "
                f"{correct_a.shape} and {correct_b.shape} images"
            )
        tests.append(mcnemar(correct_a, correct_b, method=method))
        differences.append(float(correct_a.mean()) - float(correct_b.mean()))
    return sum(differences) / len(differences), tuple(tests)
