"""Training and evaluating one run, and running a suite of them.

A run is (dataset, architecture, augmentation on/off, seed, training settings).
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
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np

import architectures
from bench.config import RunSpec, same_spec
from bench.data.augment import AugmentConfig, build_augmenter
from bench.data.pipeline import train_dataset
from bench.data.splits import Splits
from bench.identity import model_fingerprint, same_but_code, saved_fingerprint
from bench.measure.modelinfo import model_info
from bench.progress import Progress
from bench.store import results
from bench.store.environment import capture as capture_environment
from bench.store.environment import command_line, device_name
from bench.store.results import ACCURACY_TARGETS, target_key
from bench.train import protocol
from bench.train.build import build_for
from bench.train.checkpoint import PARTIAL, EpochCheckpoint
from bench.train.runlock import RunLocked, run_lock

# Training costs about three forward passes per image: forward, and a backward pass
# that computes gradients for both activations and weights.
TRAIN_FLOPS_PER_FORWARD = 3


class RunFailed(Exception):
    """A run that trained but produced nothing usable (a NaN loss, say)."""


class EpochLog(keras.callbacks.Callback):
    """Times each epoch (its training part and the whole), keeps the history, reports it."""

    def __init__(self, progress: Progress | None, max_epochs: int):
        super().__init__()
        self.progress = progress
        self.max_epochs = max_epochs
        self.rows: list[dict] = []
        self._start = 0.0
        self._train_end: float | None = None

    def resumed(self, epochs_done: int) -> None:
        if self.progress is not None:
            self.progress.run_resumed(epochs_done, self.max_epochs)

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()
        self._train_end = None

    def on_test_begin(self, logs=None):
        # validation runs inside fit, after the epoch's training steps
        if self._train_end is None:
            self._train_end = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        end = time.perf_counter()
        logs = {k: float(v) for k, v in (logs or {}).items()}
        row = {"epoch": epoch + 1, **logs}
        row["learning_rate"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        row["seconds"] = end - self._start
        row["train_seconds"] = (self._train_end or end) - self._start
        self.rows.append(row)
        if self.progress is not None:
            mean = sum(r["seconds"] for r in self.rows) / len(self.rows)
            self.progress.epoch_finished(epoch + 1, self.max_epochs, logs, row["seconds"], mean)


# Keras's fit opens the training dataset twice an epoch (before the first batch, and again
# after the last), and each opening draws the next shuffle order; tests/test_checkpoint.py
# checks that a resumed run skipping this many orders per epoch done trains as an unbroken one.
ORDERS_PER_FIT_EPOCH = 2

# How a run trains; tuning trials (bench.tune.search) train the same way.
FIT_OPTIONS = dict(
    validation_batch_size=1024,
    shuffle=False,  # the dataset reshuffles itself every epoch
    verbose=0,
)


def compile_for_training(
    model, spec: RunSpec, steps_per_epoch: int, learning_rate: float | None = None
) -> None:
    """Adam (with the spec's decoupled weight decay and learning-rate schedule, peaking at
    ``learning_rate``, default the spec's) on cross-entropy, scored by accuracy."""
    peak = spec.learning_rate if learning_rate is None else learning_rate
    rate = protocol.learning_rate(spec.schedule, peak, spec.epochs, steps_per_epoch, spec.warmup)
    model.compile(
        optimizer=keras.optimizers.Adam(rate, weight_decay=spec.weight_decay or None),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )


def training_augmenter(spec: RunSpec):
    """The spec's augmentation layers, or None when it trains without."""
    if not spec.augment:
        return None
    return build_augmenter(AugmentConfig(strength=spec.augment_strength), seed=spec.seed)


def training_dataset(
    spec: RunSpec, x: np.ndarray, y: np.ndarray, augmenter=None, epochs_done: int = 0
):
    """The shuffled, batched training pipeline, augmented by ``augmenter`` (default: the
    spec's own augmentation), for a ``fit`` that goes on after ``epochs_done`` epochs."""
    if augmenter is None:
        augmenter = training_augmenter(spec)
    skip = ORDERS_PER_FIT_EPOCH * epochs_done
    return train_dataset(x, y, spec.batch_size, spec.seed, augmenter, skip_orders=skip)


def steps_per_epoch(spec: RunSpec, train_images: int) -> int:
    return math.ceil(train_images / spec.batch_size)


def training_callbacks(spec: RunSpec, epoch_log: EpochLog) -> list:
    """Epoch log, stop on NaN, and the schedule's own (``bench.train.protocol``)."""
    return [
        epoch_log,
        keras.callbacks.TerminateOnNaN(),
        *protocol.schedule_callbacks(
            spec.schedule, spec.patience, spec.lr_patience, spec.lr_factor, spec.min_learning_rate
        ),
    ]


def _one(callbacks: list, kind: type):
    found = [c for c in callbacks if isinstance(c, kind)]
    return found[0] if found else None


def checkpointed_fit(
    model,
    spec: RunSpec,
    x: np.ndarray,
    y: np.ndarray,
    validation_data: tuple,
    folder: Path,
    epoch_log: EpochLog,
    resume: bool = True,
    identity: dict | None = None,
    epochs: int | None = None,
    initial_epoch: int = 0,
    first_callbacks: Sequence = (),
) -> int:
    """``model.fit`` as ``spec`` trains, with a checkpoint in ``folder`` after every epoch.

    With ``resume``, training goes on from a checkpoint of the same ``identity`` (default:
    the spec) that an earlier, cut-off attempt left there. Returns the epochs that checkpoint
    supplied (0: trained from the start); ``epoch_log.rows`` holds the whole history.
    ``first_callbacks`` come before the training callbacks (keras-tuner's, for a trial).
    """
    epochs = spec.epochs if epochs is None else epochs
    callbacks = training_callbacks(spec, epoch_log)
    augmenter = training_augmenter(spec)
    checkpoint = EpochCheckpoint(
        folder,
        spec.to_dict() if identity is None else identity,
        epoch_log.rows,
        early_stopping=_one(callbacks, keras.callbacks.EarlyStopping),
        lr_schedule=_one(callbacks, keras.callbacks.ReduceLROnPlateau),
        extra_variables=augmenter.variables if augmenter is not None else [],
        architecture=model_fingerprint(model),
    )
    if resume:
        done = checkpoint.load()
    else:
        checkpoint.discard()
        done = 0
    if done:
        epoch_log.resumed(done)
    try:
        model.fit(
            training_dataset(spec, x, y, augmenter, epochs_done=done),
            validation_data=validation_data,
            epochs=epochs,
            initial_epoch=epochs if checkpoint.stopped else max(done, initial_epoch),
            callbacks=[*first_callbacks, *callbacks, checkpoint],
            **FIT_OPTIONS,
        )
    except Exception:
        checkpoint.discard()
        raise
    checkpoint.discard()
    return done


def train_and_evaluate(
    spec: RunSpec,
    splits: Splits,
    run_dir: Path,
    progress: Progress | None = None,
    resume: bool = True,
) -> dict:
    """Train ``spec`` on ``splits``, evaluate once on the test set, write the run folder.

    With ``resume``, training goes on from the checkpoint an earlier attempt that was cut
    off left in ``run_dir`` (``bench.train.checkpoint``). Returns the record's metrics, model
    figures and per-class report (the history goes to ``history.csv``); raises on failure.
    """
    keras.utils.clear_session()
    model = build_for(spec, splits.input_shape, splits.num_classes)
    network = model_fingerprint(model)
    compile_for_training(model, spec, steps_per_epoch(spec, len(splits.x_train)))
    epoch_log = EpochLog(progress, spec.epochs)
    resumed = checkpointed_fit(
        model,
        spec,
        splits.x_train,
        splits.y_train,
        (splits.x_val, splits.y_val),
        run_dir / PARTIAL,
        epoch_log,
        resume,
    )
    history = epoch_log.rows
    bad = next((r["epoch"] for r in history if not math.isfinite(r.get("loss", math.nan))), None)
    if bad is not None or not history:
        raise RunFailed(f"training loss became NaN at epoch {bad}")

    # The one and only look at the test set.
    eval_start = time.perf_counter()
    probabilities = model.predict(splits.x_test, batch_size=1024, verbose=0)
    eval_seconds = time.perf_counter() - eval_start

    run_dir.mkdir(parents=True, exist_ok=True)
    with results.atomic_path(run_dir / results.MODEL) as tmp:
        model.save(tmp)
    info = model_info(model)
    _write_history(run_dir / results.HISTORY, history)
    predictions = probabilities.argmax(axis=1)
    with results.atomic_path(run_dir / results.PREDICTIONS) as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(
            fh,
            y_true=splits.y_test,
            y_pred=predictions,
            # Half precision is plenty for the report's confidences, at 40% of the size.
            probabilities=probabilities.astype(np.float16),
        )
    return {
        "resumed_after_epoch": resumed or None,
        # The record, not the model file (which a results folder may leave out), says
        # which network this was, so the run outlives edits that keep it (is_done).
        "model": {**dataclasses.asdict(info), "network": network},
        "metrics": _metrics(spec, splits, history, probabilities, info.flops, eval_seconds),
        **_class_report(splits.y_test, predictions, splits.num_classes),
    }


def _metrics(spec, splits, history, probabilities, flops, eval_seconds) -> dict:
    y = splits.y_test
    picked = probabilities[np.arange(len(y)), y]
    train_seconds = sum(r["train_seconds"] for r in history)
    images = len(splits.x_train) * len(history)
    best = max(history, key=lambda r: r.get("val_accuracy", -1.0))
    return {
        **time_to_accuracy(history),
        "test_accuracy": float((probabilities.argmax(axis=1) == y).mean()),
        "test_loss": float(-np.log(np.clip(picked, 1e-12, 1.0)).mean()),
        "epochs": len(history),
        "best_epoch": best["epoch"],
        "best_val_accuracy": best.get("val_accuracy"),
        "train_seconds": train_seconds,
        "seconds_per_epoch": float(np.median([r["seconds"] for r in history])),
        "images_per_second": images / train_seconds,
        "gflops_per_second": TRAIN_FLOPS_PER_FORWARD * flops * images / train_seconds / 1e9,
        "eval_seconds": eval_seconds,
        "train_images": len(splits.x_train),
        "val_images": len(splits.x_val),
        "test_images": len(y),
    }


def time_to_accuracy(history: list[dict], thresholds: Sequence[float] = ACCURACY_TARGETS) -> dict:
    """The epoch and the wall seconds (training and validation so far) at which validation
    accuracy first reached each threshold: ``epochs_to_99``, ``seconds_to_99``, ...; None
    for a threshold never reached."""
    reached: dict[float, tuple[int, float]] = {}
    elapsed = 0.0
    for row in history:
        elapsed += row["seconds"]
        for threshold in thresholds:
            if threshold not in reached and row.get("val_accuracy", 0.0) >= threshold:
                reached[threshold] = (row["epoch"], elapsed)
    figures = {}
    for threshold in thresholds:
        epoch, seconds = reached.get(threshold, (None, None))
        figures[f"epochs_to_{target_key(threshold)}"] = epoch
        figures[f"seconds_to_{target_key(threshold)}"] = seconds
    return figures


def _class_report(y_true, y_pred, num_classes: int) -> dict:
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    labels = list(range(num_classes))
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    return {
        "per_class": {
            "precision": precision.tolist(),
            "recall": recall.tolist(),
            "f1": f1.tolist(),
            "support": support.tolist(),
        },
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }


def _write_history(path: Path, rows: list[dict]) -> None:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    lines = [",".join(columns)]
    lines += [",".join(_csv_cell(row.get(c)) for c in columns) for row in rows]
    results.write_text(path, "\n".join(lines) + "\n")


def _csv_cell(value) -> str:
    return "" if value is None else repr(value) if isinstance(value, float) else str(value)


def run_suite(
    specs: list[RunSpec],
    splits: Splits,
    dataset_info: dict,
    out_dir: Path,
    force: bool = False,
    progress: Progress | None = None,
) -> list[dict]:
    """Run every spec in turn; a failing run is recorded as failed and the suite goes on.

    Runs whose finished record already matches their spec are skipped unless ``force``, and
    so are runs that another live process is making (``bench.train.runlock``): their record here
    has the status ``locked``. Returns the records, skipped ones included.
    """
    from bench.train.runcost import suite_costs  # it builds networks through this module

    progress = progress or Progress(len(specs))
    progress.plan(suite_costs(specs, splits))
    records = []
    for spec in specs:
        run_dir = out_dir / spec.run_id
        try:
            with run_lock(run_dir):
                records.append(
                    _run_unless_done(spec, splits, dataset_info, run_dir, force, progress)
                )
        except RunLocked as locked:
            progress.run_skipped(spec.label, str(locked))
            records.append(
                {
                    "run_id": spec.run_id,
                    "spec": spec.to_dict(),
                    "status": "locked",
                    "error": str(locked),
                }
            )
    return records


def _run_unless_done(spec, splits, dataset_info, run_dir, force, progress) -> dict:
    """The run's finished record if it has one (and not ``force``), else a new one."""
    previous = _previous_record(run_dir, progress)
    if not force and is_done(previous, spec, run_dir, splits):
        edited = not same_spec(previous["spec"], spec)
        note = " (its code changed since, not its network)" if edited else ""
        progress.run_skipped(spec.label, f"already done, skipped{note}")
        return previous
    progress.run_started(spec.label)
    record = _run_one(spec, splits, dataset_info, run_dir, progress, resume=not force)
    results.write_json(run_dir / results.RECORD, record)
    summary = (
        f"ok: test accuracy {record['metrics']['test_accuracy']:.4f}"
        if record["status"] == "ok"
        else f"FAILED: {record['error']}"
    )
    progress.run_finished(record["wall_seconds"], summary)
    return record


def _previous_record(run_dir: Path, progress: Progress) -> dict | None:
    """The record an earlier attempt left in ``run_dir``; one that cannot be read is said
    and treated as none, so that the run is made again."""
    try:
        return results.read_record(run_dir)
    except results.RecordUnreadable as problem:
        progress.warn(f"{problem}, running again")
        return None


def is_done(
    record: dict | None,
    spec: RunSpec,
    run_dir: Path | None = None,
    splits: Splits | None = None,
) -> bool:
    """Whether ``record`` is a finished run of ``spec``.

    A run whose builder's code has changed since still counts when the code builds now for
    ``splits`` the network the run trained (``trained_network``, ``bench.identity``).
    """
    if record is None or record.get("status") != "ok":
        return False
    recorded = RunSpec.from_dict(record.get("spec"))
    if recorded == spec:
        return True
    if recorded is None or splits is None or not same_but_code(recorded.to_dict(), spec.to_dict()):
        return False
    network = trained_network(record, run_dir)
    return builds_network(spec, network, splits.input_shape, splits.num_classes)


def trained_network(record: dict, run_dir: Path | None = None) -> str | None:
    """The fingerprint of the network a finished run trained: from its record, or for a
    record written before records held it, from the model saved in ``run_dir``.
    None: unknown, or the network holds code from outside Keras."""
    network = (record.get("model") or {}).get("network")
    if network is None and run_dir is not None:
        network = saved_fingerprint(run_dir / results.MODEL)
    return network


def builds_network(
    spec: RunSpec, network: str | None, input_shape: tuple, num_classes: int
) -> bool:
    """Whether the code now builds for ``spec`` the network of fingerprint ``network``."""
    if network is None:
        return False
    keras.utils.clear_session()
    return network == model_fingerprint(build_for(spec, input_shape, num_classes))


def _run_one(spec, splits, dataset_info, run_dir, progress, resume=True) -> dict:
    started = time.perf_counter()
    arch = architectures.get(spec.arch)
    record = {
        "run_id": spec.run_id,
        "spec": spec.to_dict(),
        "dataset": dataset_info,
        "architecture": {
            "description": arch.description,
            "reference": arch.reference,
            "source": arch.source,
        },
        "command": sys.argv,
        "command_line": command_line(),
        "cwd": os.getcwd(),
    }
    try:
        outcome = train_and_evaluate(spec, splits, run_dir, progress, resume)
        record.update(status="ok", error=None, **outcome)
    except KeyboardInterrupt:
        raise
    except Exception as exc:
        message = " ".join(str(exc).split())
        record.update(
            status="failed",
            error=f"{type(exc).__name__}: {message}"[:500],
            traceback=traceback.format_exc(limit=20),
        )
    record["wall_seconds"] = time.perf_counter() - started
    record["environment"] = {**capture_environment(), "device": device_name()}
    return record
