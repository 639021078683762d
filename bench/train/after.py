"""What a finished run is measured on once its record is written: its accuracy on corrupted
test digits (``bench.train.robustness``), then its LiteRT exports (``bench.train.exports``).

Both read the saved model and add to the record, so a step that fails, or a converter that
takes the process down, costs no finished run; ``bench robustness`` and ``bench quantize``
redo either for runs that lack it.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path

from bench.data.splits import Splits
from bench.errors import one_line
from bench.measure.deploy import ExportSettings
from bench.measure.robustness import CorruptionSettings
from bench.store import files, results
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
    seconds: dict[str, float] = {}
    if after.corruptions is not None and after.corruptions.names:
        from bench.train.robustness import add_robustness

        start = time.perf_counter()
        try:
            record = add_robustness(record, run_dir, splits, after.corruptions)
        except Exception as exc:  # the run is done and recorded; bench robustness can retry
            warn(f"{record.run_id}: not evaluated on corrupted digits ({_said(exc)})")
        seconds["corruptions"] = time.perf_counter() - start
    if after.exports is not None and after.exports.precisions:
        from bench.train.exports import add_exports

        start = time.perf_counter()
        try:
            record = add_exports(record, run_dir, splits, after.exports)
        except Exception as exc:  # bench quantize can retry
            warn(f"{record.run_id}: no exports made ({_said(exc)})")
        seconds["exports"] = time.perf_counter() - start
    return _timed(record, run_dir, seconds)


def _timed(record: RunRecord, run_dir: Path, seconds: dict[str, float]) -> RunRecord:
    """``record`` with the after-training ``seconds`` in its timing and its total, written."""
    if record.timing is None or not seconds:
        return record
    total = (record.timing.total or 0.0) + sum(seconds.values())
    timing = dataclasses.replace(record.timing, **seconds, total=total)
    record = dataclasses.replace(record, timing=timing)
    files.write_json(run_dir / results.RECORD, record.to_json())
    return record


def _said(exc: Exception) -> str:
    return f"{type(exc).__name__}: {one_line(exc)}"
