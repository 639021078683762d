"""What a finished run is measured on once its record is written: each registered
after-training measurement (``bench.plugins``) that the run's settings ask for, in turn.

Each reads the saved model and adds its section to the record, written at once, so a
measurement that fails, or a converter that takes the process down, costs no finished run;
``bench measure NAME`` redoes one for runs that lack it.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from bench.data.splits import Splits
from bench.errors import BenchError, one_line
from bench.plugins import get_measurement, measurements
from bench.store import files, results
from bench.store.records import RunRecord

# The settings of each measurement a run is measured on after training, by name; a
# measurement left out, or whose settings ask for nothing, is skipped.
AfterTraining = Mapping[str, Any]


@dataclasses.dataclass(frozen=True)
class FinishedRun:
    """A finished run as a measurement sees it: its folder, its record and its data."""

    folder: Path
    record: RunRecord
    splits: Splits

    @functools.cached_property
    def model(self) -> Any:
        """The saved model, as a device would get it."""
        import keras

        return keras.saving.load_model(self.folder / results.MODEL, compile=False)

    @functools.cached_property
    def predictions(self) -> np.ndarray:
        """The test classes the run predicted at its one look; a ``BenchError`` when they
        cannot be read or were not predicted for these splits' test images."""
        path = self.folder / results.PREDICTIONS
        try:
            with np.load(path) as saved:
                y_true, y_pred = saved["y_true"], saved["y_pred"]
        except (OSError, ValueError, KeyError) as exc:
            raise BenchError(
                f"{path}: cannot read the run's test predictions ({one_line(exc)})"
            ) from None
        if len(y_true) != len(self.splits.y_test) or np.any(y_true != self.splits.y_test):
            raise BenchError(
                f"{path}: its test labels are not those of the data found now; point "
                "--data-dir at the data the run was made with"
            )
        return y_pred

    @property
    def results(self) -> Path:
        """The results folder the run is in: where caches shared by its runs go."""
        return self.folder.parent


def after_training(given: Mapping[str, Any], profile: str | None) -> dict[str, Any]:
    """The settings of every registered measurement for a run of ``profile``: ``given``'s
    (option text or settings, by name), else each measurement's default. ``given`` also
    holds the measurements' other options, by name (``keep_exports``)."""
    names = {m.name for m in measurements()}
    known = names | {option for m in measurements() for option in m.other_options}
    unknown = sorted(set(given) - known)
    if unknown:
        raise BenchError(
            f"unknown measurement or option '{unknown[0]}'; known: {', '.join(sorted(known))}"
        )
    options = {key: value for key, value in given.items() if key not in names}
    return {m.name: m.settings(given.get(m.name), profile, options) for m in measurements()}


def measure(
    record: RunRecord, run_dir: Path, splits: Splits, name: str, settings: Any
) -> RunRecord:
    """``record`` with the measurement ``name``'s section made under ``settings`` and merged
    into the one it had, written to its ``record.json``."""
    measurement = get_measurement(name)
    found = measurement.measure(FinishedRun(run_dir, record, splits), settings)
    section = measurement.merged(record.section(name), found)
    updated = record.with_section(name, section)
    files.write_json(run_dir / results.RECORD, updated.to_json())
    return updated


def measure_after(
    record: RunRecord,
    run_dir: Path,
    splits: Splits,
    after: AfterTraining | None,
    warn: Callable[[str], None],
) -> RunRecord:
    """``record`` with what ``after`` asks for added; a measurement that fails is said
    through ``warn`` and left out, and the run stays done."""
    if not after or not record.ok:
        return record
    seconds: dict[str, float] = {}
    for measurement in measurements():
        settings = after.get(measurement.name)
        if settings is None or not measurement.asks(settings):
            continue
        started = time.perf_counter()
        try:
            record = measure(record, run_dir, splits, measurement.name, settings)
        except Exception as exc:  # the run is done and recorded; bench measure can retry
            said = f"{type(exc).__name__}: {one_line(exc)}"
            warn(f"{record.run_id}: no {measurement.title} ({said})")
        seconds[measurement.timing_key or measurement.name] = time.perf_counter() - started
    return _timed(record, run_dir, seconds)


def _timed(record: RunRecord, run_dir: Path, seconds: dict[str, float]) -> RunRecord:
    """``record`` with the after-training ``seconds`` in its timing and its total, written."""
    if record.timing is None or not seconds:
        return record
    total = (record.timing.total or 0.0) + sum(seconds.values())
    measured = {**record.timing.measurements, **seconds}
    timing = dataclasses.replace(record.timing, measurements=measured, total=total)
    record = dataclasses.replace(record, timing=timing)
    files.write_json(run_dir / results.RECORD, record.to_json())
    return record


def outcome(record: RunRecord) -> str:
    """A finished run in a few words: ``ok: test accuracy 0.9912, int8 0.9910 in 72 KB``."""
    if not record.ok:
        return f"FAILED: {record.error}"
    said = [f"ok: test accuracy {record.metrics.test_accuracy:.4f}"]
    for measurement in measurements():
        section = record.section(measurement.name)
        words = measurement.said(section) if section is not None else ""
        if words:
            said.append(words)
    return ", ".join(said)
