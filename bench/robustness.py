"""Accuracy on corrupted digits for finished runs made without it (``bench robustness``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from bench.api import PathLike

if TYPE_CHECKING:
    from bench.measure.robustness import CorruptionSettings
    from bench.store.records import RunRecord


def evaluate_robustness(
    results: PathLike = "results",
    data_dir: PathLike | None = None,
    corruptions: str | CorruptionSettings | None = None,
    force: bool = False,
    arch_modules: Sequence[PathLike] = (),
    announce: Callable[[str], None] | None = None,
) -> list[RunRecord]:
    """Evaluate the saved model of each finished run under ``results`` on the corrupted test
    sets of ``corruptions`` (as ``bench.api.run`` takes it; default ``default``), for the
    runs whose record has no such figures, or all of them with ``force``. Returns the records
    rewritten. Each run's data is loaded as its spec says (from ``data_dir``); its test
    images are checked against the labels its predictions were saved with.
    """
    from bench.measure.robustness import CorruptionSettings, parse_corruptions
    from bench.revisit import MODEL_LOAD_ERRORS, load_failed, saved_runs
    from bench.train.robustness import add_robustness

    if not isinstance(corruptions, CorruptionSettings):
        corruptions = parse_corruptions(corruptions)
    announce = announce or (lambda line: None)
    updated = []

    def wanted(record: RunRecord) -> bool:
        return force or record.robustness is None

    for folder, record, splits in saved_runs(results, wanted, data_dir, arch_modules, announce):
        try:
            record = add_robustness(record, folder, splits, corruptions)
        except MODEL_LOAD_ERRORS as exc:
            announce(load_failed(record, folder, exc))
            continue
        updated.append(record)
        found = record.robustness
        announce(
            f"{record.run_id}: clean {found.clean_accuracy:.4f}, corrupted "
            f"{found.mean_accuracy:.4f} (error ratio {found.error_ratio or float('nan'):.2f}) "
            f"in {found.seconds:.0f}s"
        )
    return updated
