"""Accuracy on corrupted test digits, added to a finished run's record: by ``bench run``
once the record is written, and by ``bench robustness`` for runs made without it. Both
evaluate the saved model, as the exports do (``bench.train.exports``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from bench.data.splits import Splits
from bench.measure.robustness import CACHE_DIR, CorruptionSettings, evaluate_corruptions
from bench.store import files, results
from bench.store.records import RunRecord
from bench.train.exports import saved_predictions


def add_robustness(
    record: RunRecord,
    run_dir: Path,
    splits: Splits,
    settings: CorruptionSettings,
    cache: Path | None = None,
) -> RunRecord:
    """``record`` with the accuracy of the model in ``run_dir`` on each corrupted set of
    ``settings``, written to its ``record.json``; the predicted classes go to
    ``corruptions.npz`` beside it. The sets are cached in ``cache`` (default: the
    ``.corruptions`` folder beside the run's)."""
    import keras

    clean = saved_predictions(run_dir, splits)
    model = keras.saving.load_model(run_dir / results.MODEL, compile=False)
    robustness, predicted = evaluate_corruptions(
        model, splits.x_test, splits.y_test, clean, settings, cache or run_dir.parent / CACHE_DIR
    )
    with files.atomic_path(run_dir / results.CORRUPTIONS) as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(fh, **predicted)
    updated = dataclasses.replace(record, robustness=robustness)
    files.write_json(run_dir / results.RECORD, updated.to_json())
    return updated
