"""``bench.evaluate_robustness``: kept for a release; ``bench.measure_runs("robustness", ...)``
replaces it."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

from bench.api import PathLike
from bench.revisit import measure_runs


def evaluate_robustness(
    results: PathLike = "results",
    data_dir: PathLike | None = None,
    corruptions: Any = None,
    force: bool = False,
    arch_modules: Sequence[PathLike] = (),
    announce: Callable[[str], None] | None = None,
) -> list:
    """Deprecated: ``bench.measure_runs("robustness", results, data_dir, corruptions, ...)``."""
    warnings.warn(
        'bench.evaluate_robustness is deprecated; use bench.measure_runs("robustness", ...)',
        DeprecationWarning,
        stacklevel=2,
    )
    return measure_runs(
        "robustness", results, data_dir, corruptions, force, arch_modules, (), announce
    )
