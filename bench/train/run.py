"""Training and evaluating one run, and the record and files it leaves in its folder.

Whatever watches the training (the plateau schedule's early stopping and rate cuts) watches
the validation split only; the test set is predicted exactly once, after training, and never
used to choose anything.
"""

from __future__ import annotations

import dataclasses
import math
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import keras
import numpy as np

import architectures
from bench.config import RunSpec
from bench.data.pipeline import inference_batches
from bench.data.splits import Splits
from bench.environment import capture as capture_environment
from bench.environment import command_line, device_name
from bench.identity import model_fingerprint
from bench.measure.calibration import process_limits
from bench.measure.modelinfo import model_info
from bench.progress import Progress
from bench.store import files, results
from bench.store.records import (
    ArchitectureInfo,
    DatasetInfo,
    Environment,
    Metrics,
    ModelSummary,
    PerClass,
    RunRecord,
    Timing,
)
from bench.train.build import build_for
from bench.train.checkpoint import PARTIAL
from bench.train.fit import (
    EpochLog,
    FitPlan,
    checkpointed_fit,
    compile_for_training,
    steps_per_epoch,
)
from bench.train.fused import with_keras_batchnorm
from bench.train.metrics import class_report, run_metrics


class RunFailed(Exception):
    """A run that trained but produced nothing usable (a NaN loss, say)."""


@dataclasses.dataclass(frozen=True)
class Evaluated:
    """What training and the one look at the test set give a finished run's record."""

    model: ModelSummary
    metrics: Metrics
    per_class: PerClass
    confusion_matrix: list[list[int]]  # rows: true class, columns: predicted
    timing: Timing
    resumed_after_epoch: int | None  # the epochs a cut-off attempt's checkpoint gave

    def record_fields(self) -> dict[str, Any]:
        """Its fields as ``RunRecord`` takes them (the sections stay typed)."""
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}


def run_record(
    spec: RunSpec,
    splits: Splits,
    dataset: DatasetInfo,
    run_dir: Path,
    progress: Progress,
    resume: bool,
) -> RunRecord:
    """Make the run of ``spec`` and return its record, ``status`` ``ok`` or ``failed`` (with
    the error); only an interrupt gets through."""
    started = time.perf_counter()
    arch = architectures.get(spec.arch)
    described = dict(
        run_id=spec.run_id,
        spec=spec,
        dataset=dataset,
        architecture=ArchitectureInfo(
            description=arch.description, reference=arch.reference, source=arch.source
        ),
        command=sys.argv,
        command_line=command_line(),
        cwd=os.getcwd(),
    )
    # Timed before training, so that it measures the machine and not what training left.
    limits = process_limits()
    try:
        evaluated = train_and_evaluate(spec, splits, run_dir, progress, resume)
        outcome = dict(status="ok", **evaluated.record_fields())
    except KeyboardInterrupt:
        raise
    except Exception as exc:
        message = " ".join(str(exc).split())
        outcome = dict(
            status="failed",
            error=f"{type(exc).__name__}: {message}"[:500],
            traceback=traceback.format_exc(limit=20),
        )
    wall_seconds = time.perf_counter() - started
    if "timing" in outcome:
        outcome["timing"] = dataclasses.replace(outcome["timing"], total=wall_seconds)
    return RunRecord(
        **described,
        **outcome,
        wall_seconds=wall_seconds,
        environment=Environment(
            **capture_environment(), device=device_name(), matmul_gflops=limits
        ),
    )


def train_and_evaluate(
    spec: RunSpec,
    splits: Splits,
    run_dir: Path,
    progress: Progress | None = None,
    resume: bool = True,
) -> Evaluated:
    """Train ``spec`` on ``splits``, evaluate once on the test set, write the run folder.

    With ``resume``, training goes on from the checkpoint an earlier attempt that was cut
    off left in ``run_dir`` (``bench.train.checkpoint``). Returns the record's metrics,
    model figures, per-class report and timing (the history goes to ``history.csv``); raises
    on failure.
    """
    keras.utils.clear_session()
    model = build_for(spec, splits.input_shape, splits.num_classes)
    network = model_fingerprint(model)
    compile_for_training(model, spec, steps_per_epoch(spec, len(splits.x_train)))
    epoch_log = EpochLog(progress, spec.epochs)
    plan = FitPlan(spec, run_dir / PARTIAL, epoch_log, resume)
    fit_start = time.perf_counter()
    resumed = checkpointed_fit(
        model, plan, splits.x_train, splits.y_train, (splits.x_val, splits.y_val)
    )
    fit_seconds = time.perf_counter() - fit_start
    history = epoch_log.rows
    bad = next((r["epoch"] for r in history if not math.isfinite(r.get("loss", math.nan))), None)
    if bad is not None or not history:
        raise RunFailed(f"training loss became NaN at epoch {bad}")

    model = with_keras_batchnorm(model)  # what is evaluated, measured and saved
    # The one and only look at the test set.
    eval_start = time.perf_counter()
    probabilities = model.predict(inference_batches(splits.x_test), verbose=0)
    eval_seconds = time.perf_counter() - eval_start

    save_start = time.perf_counter()
    predictions = _save_run(run_dir, model, history, splits.y_test, probabilities)
    info = model_info(model)
    timing = Timing(
        training=fit_seconds,
        test_evaluation=eval_seconds,
        saving=time.perf_counter() - save_start,
    )
    per_class, matrix = class_report(splits.y_test, predictions, splits.num_classes)
    return Evaluated(
        # The record, not the model file (which a results folder may leave out), says
        # which network this was, so the run outlives edits that keep it (is_done).
        model=ModelSummary(**dataclasses.asdict(info), network=network),
        metrics=run_metrics(splits, history, probabilities, info.flops, eval_seconds),
        per_class=per_class,
        confusion_matrix=matrix,
        timing=timing,
        resumed_after_epoch=resumed or None,
    )


def _save_run(
    run_dir: Path, model, history: list[dict], y_test: np.ndarray, probabilities: np.ndarray
) -> np.ndarray:
    """Write the model, the history and the test predictions; return the predicted classes."""
    run_dir.mkdir(parents=True, exist_ok=True)
    with files.atomic_path(run_dir / results.MODEL) as tmp:
        model.save(tmp)
    _write_history(run_dir / results.HISTORY, history)
    predictions = probabilities.argmax(axis=1)
    with files.atomic_path(run_dir / results.PREDICTIONS) as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(
            fh,
            y_true=y_test,
            y_pred=predictions,
            # Half precision is plenty for the report's confidences, at 40% of the size.
            probabilities=probabilities.astype(np.float16),
        )
    return predictions


def _write_history(path: Path, rows: list[dict]) -> None:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    lines = [",".join(columns)]
    lines += [",".join(_csv_cell(row.get(c)) for c in columns) for row in rows]
    files.write_text(path, "\n".join(lines) + "\n")


def _csv_cell(value) -> str:
    return "" if value is None else repr(value) if isinstance(value, float) else str(value)
