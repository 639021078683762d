"""Training and evaluating one run, and running a suite of them.

A run is (dataset, architecture, augmentation on/off, seed, training settings).
Whatever watches the training (the plateau schedule's early stopping and rate cuts) watches
the validation split only; the test set is predicted exactly once, after training, and never
used to choose anything.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import os
import re
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np

import architectures
from bench import protocol, results
from bench.augment import AugmentConfig, build_augmenter
from bench.checkpoint import PARTIAL, EpochCheckpoint
from bench.data import Splits
from bench.environment import capture as capture_environment
from bench.environment import command_line
from bench.fingerprint import model_fingerprint, same_but_code, saved_fingerprint
from bench.modelinfo import model_info
from bench.names import check_name
from bench.pipeline import train_dataset
from bench.profiles import Profile
from bench.progress import Progress
from bench.protocol import resolve_precision
from bench.results import ACCURACY_TARGETS, target_key
from bench.runlock import RunLocked, run_lock

# Training costs about three forward passes per image: forward, and a backward pass
# that computes gradients for both activations and weights.
TRAIN_FLOPS_PER_FORWARD = 3


@dataclasses.dataclass(frozen=True)
class RunSpec:
    """Everything that decides a run's outcome; two runs with equal specs are the same run."""

    dataset: str
    arch: str
    augment: bool
    seed: int = 0
    profile: str = "standard"
    variant: str = "default"
    epochs: int = 30
    batch_size: int = 128
    learning_rate: float = 1e-3
    weight_decay: float = 0.0
    # A record's spec is read back through this class, so a setting added later takes, as
    # its default here, the value that the runs made before it had (bench.protocol).
    schedule: str = "plateau"
    warmup: float = 0.15
    precision: str = "float32"
    patience: int = 5
    lr_patience: int = 2
    lr_factor: float = 0.5
    min_learning_rate: float = 1e-5
    augment_strength: float = 1.0
    train_size: int | None = None
    val_size: int | None = None
    test_size: int | None = None
    split_seed: int = 0
    arch_digest: str = ""  # the builder's source file hash: edited code means a new run
    # Tuned runs: the searched values the builder reads (bench.tuning); None: its defaults.
    hyperparameters: dict | None = None

    @property
    def run_id(self) -> str:
        """A folder name: readable, and unique per (dataset, profile, arch, variant, aug, seed)."""
        variant = "" if self.variant == "default" else f"-{self.variant}"
        run_id = (
            f"{dataset_slug(self.dataset)}-{self.profile}-{self.arch}{variant}-"
            f"{augment_tag(self.augment)}-s{self.seed}"
        )
        # Its parts may come from a record file (`run --from`): they must make one folder.
        return check_name(run_id, "run id")

    @property
    def label(self) -> str:
        aug = "on" if self.augment else "off"
        return f"{self.dataset} {self.arch} augment={aug} seed={self.seed}"

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        if data["hyperparameters"] is None:
            del data["hyperparameters"]  # records written before tuning existed still match
        return data

    @classmethod
    def from_dict(cls, data: object) -> RunSpec | None:
        """The spec a record holds, settings added since taking their old values; None when
        ``data`` is no spec (a record of another version, or a broken one)."""
        try:
            return cls(**data)  # type: ignore[arg-type]
        except TypeError:
            return None


def same_spec(recorded: object, spec: RunSpec) -> bool:
    """Whether a record's spec (a dict) is ``spec``, read as ``RunSpec.from_dict`` reads it."""
    return RunSpec.from_dict(recorded) == spec


def augment_tag(augment: bool) -> str:
    """``aug`` or ``noaug``, as run and search folder names spell augmentation."""
    return "aug" if augment else "noaug"


def dataset_slug(dataset: str) -> str:
    """``idx:/data/fashion`` -> ``idx-fashion``: a dataset name safe as one folder name."""
    kind, _, path = dataset.partition(":")
    name = f"{kind}-{Path(path).stem}" if path else kind
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).lstrip(".-") or "_"


def make_specs(
    archs: list[str],
    dataset: str,
    profile: Profile,
    augment_modes: list[bool],
    seeds: Sequence[int] = (0,),
    **overrides,
) -> list[RunSpec]:
    """One spec per (seed, architecture, augmentation), from each architecture's defaults,
    capped by the profile, then ``overrides`` (e.g. ``epochs=3``; None values ignored).

    Seeds come outermost, so a suite cut short still holds complete tables for its
    first seeds.
    """
    specs = []
    for seed, arch in itertools.product(seeds, archs):
        arch_spec = architectures.get(arch)
        defaults = arch_spec.defaults
        settings = {
            "epochs": _capped(defaults.epochs, profile.max_epochs),
            "batch_size": _capped(defaults.batch_size, profile.max_batch_size),
            "learning_rate": defaults.learning_rate,
            "weight_decay": defaults.weight_decay,
            "schedule": defaults.schedule,
            "warmup": defaults.warmup,
            "precision": defaults.precision,
            "patience": defaults.patience,
            "lr_patience": defaults.lr_patience,
            "lr_factor": defaults.lr_factor,
            "min_learning_rate": defaults.min_learning_rate,
            "train_size": profile.train_size,
            "val_size": profile.val_size,
            "test_size": profile.test_size,
            "arch_digest": arch_spec.code_digest(),
        }
        settings.update({k: v for k, v in overrides.items() if v is not None})
        settings["precision"] = resolve_precision(settings["precision"])
        for augment in augment_modes:
            specs.append(
                RunSpec(
                    dataset=dataset,
                    arch=arch,
                    augment=augment,
                    seed=seed,
                    profile=profile.name,
                    **settings,
                )
            )
    return specs


def _capped(value: int, cap: int | None) -> int:
    return value if cap is None else min(value, cap)


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

# How a run trains; tuning trials (bench.tuning) train the same way.
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
    """Epoch log, stop on NaN, and the schedule's own (``bench.protocol``)."""
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


def build_for(spec: RunSpec, input_shape: tuple, num_classes: int):
    """The untrained model of ``spec``: the builder's defaults, or its tuned values."""
    if spec.hyperparameters is None:

        def build():
            keras.utils.set_random_seed(spec.seed)
            return architectures.create(spec.arch, input_shape, num_classes)

    else:
        from bench.tuning import build_model

        def build():
            return build_model(
                spec.arch, input_shape, num_classes, spec.hyperparameters, seed=spec.seed
            )

    return protocol.built_in(spec.precision, build)


def train_and_evaluate(
    spec: RunSpec,
    splits: Splits,
    run_dir: Path,
    progress: Progress | None = None,
    resume: bool = True,
) -> dict:
    """Train ``spec`` on ``splits``, evaluate once on the test set, write the run folder.

    With ``resume``, training goes on from the checkpoint an earlier attempt that was cut
    off left in ``run_dir`` (``bench.checkpoint``). Returns the record's metrics, model
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
    so are runs that another live process is making (``bench.runlock``): their record here
    has the status ``locked``. Returns the records, skipped ones included.
    """
    from bench.runcost import suite_costs  # it builds networks through this module

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
    ``splits`` the network the run trained (``trained_network``, ``bench.fingerprint``).
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
    record["environment"] = {**capture_environment(), "device": protocol.device_name()}
    return record
