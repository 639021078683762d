"""Accuracy on corrupted digits: each finished run's saved model on corrupted copies of its
test images, in the spirit of MNIST-C (rotated, shifted, noisy, blurred, occluded, faded;
``corruptions``), predicted after its one look at the clean ones.

The section of the record is ``Robustness``; the predicted classes go to the run's
``corruptions.npz``, for paired comparisons in the report; the sets are cached under the
results folder (``CACHE_DIR``).
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from bench.config import is_check
from bench.measurements.robustness import report
from bench.measurements.robustness import table as tables
from bench.measurements.robustness.evaluate import (
    CACHE_DIR,
    CHOICES,
    PREDICTED,
    CorruptionSettings,
    evaluate_corruptions,
    parse_corruptions,
)
from bench.measurements.robustness.section import NAME, Robustness
from bench.plugins import Measurement, register_measurement
from bench.store import files
from bench.train.after import FinishedRun

__all__ = ["CorruptionSettings", "Robustness", "RobustnessMeasurement", "parse_corruptions"]


@register_measurement
class RobustnessMeasurement(Measurement):
    """Accuracy on corrupted test digits (rotated, shifted, noisy, blurred, occluded, faded)."""

    name = NAME
    title = "corrupted-digit figures"
    section = Robustness
    table = tables
    timing_key = "corruptions"  # as records have always named its seconds
    option = "--corruptions"
    environment_variable = "BENCH_CORRUPTIONS"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            self.option,
            choices=CHOICES,
            help="corrupted copies of the test images (rotated, shifted, noisy, blurred, "
            "occluded, faded: bench.measurements.robustness.corruptions) to evaluate each "
            "trained model on: none, the default 10 corruptions or all 13, at 3 severities "
            "each (default: $BENCH_CORRUPTIONS, else none for a check profile such as smoke, "
            "default for the others)",
        )

    def profile_default(self, profile: str | None) -> str:
        # a check profile's 1-epoch model's robustness means nothing: it stays fast
        return "none" if is_check(profile) else "default"

    def settings(self, given: Any, profile: str | None, options: dict[str, Any]) -> Any:
        if isinstance(given, CorruptionSettings):
            return given
        return parse_corruptions(self.option_text(given, profile))

    def asks(self, settings: CorruptionSettings) -> bool:
        return bool(settings.names)

    def measure(self, run: FinishedRun, settings: CorruptionSettings) -> Robustness:
        splits = run.splits
        robustness, predicted = evaluate_corruptions(
            run.model, splits.x_test, splits.y_test, run.predictions, settings,
            run.results / CACHE_DIR,
        )  # fmt: skip
        with files.atomic_path(run.folder / PREDICTED) as tmp, open(tmp, "wb") as fh:
            np.savez_compressed(fh, **predicted)
        return robustness

    def said(self, section: Robustness) -> str:
        ratio = section.error_ratio
        return (
            f"corrupted {section.mean_accuracy:.4f} (clean {section.clean_accuracy:.4f}, "
            f"error ratio {'n/a' if ratio is None else format(ratio, '.2f')})"
        )

    def questions(self, board: Any) -> list[Any]:
        return report.corruption_questions(board)

    def panel(self, context: Any) -> Any:
        return report.panel(context)
