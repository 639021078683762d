"""LiteRT exports of a finished run, added to its record: by ``bench run`` once the record
is written (so that a converter that crashes the process costs no finished run), and by
``bench quantize`` for runs made without them. Both export the saved model, as a device
would get it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from bench.data.splits import Splits
from bench.errors import BenchError, one_line
from bench.measure.deploy import ExportSettings, evaluate_exports
from bench.store import files, results
from bench.store.records import Export, RunRecord


def add_exports(
    record: RunRecord, run_dir: Path, splits: Splits, settings: ExportSettings
) -> RunRecord:
    """``record`` with the exports of ``settings`` made from the model in ``run_dir`` (those
    it had of other precisions kept), written to its ``record.json``."""
    made = export_run(run_dir, splits, settings)
    updated = dataclasses.replace(record, exports={**(record.exports or {}), **made})
    files.write_json(run_dir / results.RECORD, updated.to_json())
    return updated


def export_run(run_dir: Path, splits: Splits, settings: ExportSettings) -> dict[str, Export]:
    """The exports of the model saved in ``run_dir``, measured on ``splits``' images; a
    ``BenchError`` when its saved predictions cannot be read or are not of these test images."""
    import keras

    y_pred = saved_predictions(run_dir, splits)
    model = keras.saving.load_model(run_dir / results.MODEL, compile=False)
    return evaluate_exports(
        model, splits.x_train, splits.x_test, splits.y_test, y_pred, settings, run_dir
    )


def saved_predictions(run_dir: Path, splits: Splits) -> np.ndarray:
    """The test classes the run in ``run_dir`` predicted at its one look; a ``BenchError``
    when they cannot be read or were not predicted for ``splits``' test images."""
    path = run_dir / results.PREDICTIONS
    try:
        with np.load(path) as saved:
            y_true, y_pred = saved["y_true"], saved["y_pred"]
    except (OSError, ValueError, KeyError) as exc:
        raise BenchError(
            f"{path}: cannot read the run's test predictions ({one_line(exc)})"
        ) from None
    if len(y_true) != len(splits.y_test) or np.any(y_true != splits.y_test):
        raise BenchError(
            f"{path}: its test labels are not those of the data found now; point --data-dir "
            "at the data the run was made with"
        )
    return y_pred


def missing(record: RunRecord, settings: ExportSettings, force: bool = False) -> ExportSettings:
    """``settings`` less the precisions ``record`` has exports of already, unless ``force``."""
    if force:
        return settings
    have = record.exports or {}
    return dataclasses.replace(
        settings, precisions=tuple(p for p in settings.precisions if p not in have)
    )
