"""What a finished run is measured on once its record is written: its accuracy on corrupted
test digits (``bench.train.robustness``), then its LiteRT exports (``bench.train.exports``).

Both read the saved model and add to the record, so a step that fails, or a converter that
takes the process down, costs no finished run; ``bench robustness`` and ``bench quantize``
redo either for runs that lack it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from bench.data.splits import Splits
from bench.errors import one_line
from bench.measure.deploy import ExportSettings
from bench.measure.robustness import CorruptionSettings
from bench.store.records import RunRecord


@dataclasses.dataclass(frozen=True)
class AfterTraining:
    """The measurements each run made gets after training; None (or an empty set) skips one."""

    exports: ExportSettings | None = None
    corruptions: CorruptionSettings | None = None


def measure_after(
    record: RunRecord,
    run_dir: Path,
    splits: Splits,
    after: AfterTraining | None,
    warn: Callable[[str], None],
) -> RunRecord:
    """``record`` with what ``after`` asks for added; a step that fails is said through
    ``warn`` and left out, and the run stays done."""
    if after is None or not record.ok:
        return record
    if after.corruptions is not None and after.corruptions.names:
        from bench.train.robustness import add_robustness

        try:
            record = add_robustness(record, run_dir, splits, after.corruptions)
        except Exception as exc:  # the run is done and recorded; bench robustness can retry
            warn(f"{record.run_id}: not evaluated on corrupted digits ({_said(exc)})")
    if after.exports is not None and after.exports.precisions:
        from bench.train.exports import add_exports

        try:
            record = add_exports(record, run_dir, splits, after.exports)
        except Exception as exc:  # bench quantize can retry
            warn(f"{record.run_id}: no exports made ({_said(exc)})")
    return record


def _said(exc: Exception) -> str:
    return f"{type(exc).__name__}: {one_line(exc)}"
