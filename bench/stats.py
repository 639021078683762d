"""Small statistics for comparing runs: means with Student's t intervals."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence


@dataclasses.dataclass(frozen=True)
class Interval:
    """A sample mean with its two-sided confidence interval (NaN bounds for one value)."""

    mean: float
    low: float
    high: float
    std: float
    n: int

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2


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
