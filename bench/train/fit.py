"""How a run trains: the optimizer, the callbacks, the epoch log, and the checkpointed fit.

Tuning trials (``bench.tune``) train the same way, through ``checkpointed_fit``.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np

from bench.config import RunSpec
from bench.data.pipeline import inference_batches
from bench.identity import model_fingerprint
from bench.progress import Progress
from bench.train import protocol
from bench.train.checkpoint import EpochCheckpoint, training_augmenter, training_dataset
from bench.train.losses import training_loss

# How a run trains; tuning trials (bench.tune.search) train the same way.
FIT_OPTIONS = dict(
    shuffle=False,  # the dataset reshuffles itself every epoch
    verbose=0,
)


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


def compile_for_training(
    model, spec: RunSpec, steps_per_epoch: int, learning_rate: float | None = None
) -> None:
    """Adam (with the spec's decoupled weight decay, learning-rate schedule peaking at
    ``learning_rate``, default the spec's, and weight average) on cross-entropy (with the
    spec's label smoothing), scored by accuracy."""
    peak = spec.learning_rate if learning_rate is None else learning_rate
    rate = protocol.learning_rate(spec.schedule, peak, spec.epochs, steps_per_epoch, spec.warmup)
    optimizer = keras.optimizers.Adam(
        rate,
        weight_decay=spec.weight_decay or None,
        use_ema=spec.ema > 0,
        ema_momentum=spec.ema or 0.99,  # Keras' default where unused
    )
    model.compile(
        optimizer=optimizer,
        loss=training_loss(spec.label_smoothing),
        metrics=["accuracy"],
    )
    _build_training_state(model)


def _build_training_state(model) -> None:
    """Make the optimizer's and the compiled loss and metrics' variables now, from one blank
    image and a uniform prediction, and reset the metrics. Made inside ``fit``'s first trace
    instead, they make TensorFlow trace the training step twice, which was half of a smoke
    run's training time."""
    images = np.zeros((1, *model.input_shape[1:]), np.float32)
    labels = np.zeros((1,), np.int64)
    classes = model.output_shape[-1]
    predictions = np.full((1, classes), 1 / classes, np.float32)
    model.optimizer.build(model.trainable_variables)
    model.compute_loss(images, labels, predictions)
    model.compute_metrics(images, labels, predictions, sample_weight=None)
    model.reset_metrics()


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


@dataclasses.dataclass(frozen=True)
class FitPlan:
    """One checkpointed fit: how it trains (``spec``), where its checkpoint lives
    (``folder``), and the log its history goes to.

    With ``resume``, training goes on from a checkpoint of the same ``identity`` (default:
    the spec) that an earlier, cut-off attempt left in ``folder``. ``epochs`` defaults to the
    spec's; ``first_callbacks`` come before the training callbacks (keras-tuner's, for a trial).
    """

    spec: RunSpec
    folder: Path
    epoch_log: EpochLog
    resume: bool = True
    identity: dict | None = None
    epochs: int | None = None
    initial_epoch: int = 0
    first_callbacks: Sequence = ()


def checkpointed_fit(
    model, plan: FitPlan, x: np.ndarray, y: np.ndarray, validation_data: tuple
) -> int:
    """``model.fit`` as ``plan.spec`` trains, with a checkpoint after every epoch.

    Returns the epochs a checkpoint supplied (0: trained from the start);
    ``plan.epoch_log.rows`` holds the whole history.
    """
    spec = plan.spec
    epochs = spec.epochs if plan.epochs is None else plan.epochs
    callbacks = training_callbacks(spec, plan.epoch_log)
    augmenter = training_augmenter(spec)
    checkpoint = _checkpoint(plan, model, callbacks, augmenter)
    if plan.resume:
        done = checkpoint.load()
    else:
        checkpoint.discard()
        done = 0
    if done:
        plan.epoch_log.resumed(done)
    try:
        model.fit(
            training_dataset(spec, x, y, augmenter, epochs_done=done),
            validation_data=inference_batches(*validation_data),
            epochs=epochs,
            initial_epoch=epochs if checkpoint.stopped else max(done, plan.initial_epoch),
            callbacks=[*plan.first_callbacks, *callbacks, checkpoint],
            **FIT_OPTIONS,
        )
    except Exception:
        checkpoint.discard()
        raise
    checkpoint.discard()
    return done


def _checkpoint(plan: FitPlan, model, callbacks: list, augmenter) -> EpochCheckpoint:
    """The checkpoint of ``plan``'s fit, holding the state of the callbacks that have any."""
    return EpochCheckpoint(
        plan.folder,
        plan.spec.to_dict() if plan.identity is None else plan.identity,
        plan.epoch_log.rows,
        early_stopping=_one(callbacks, keras.callbacks.EarlyStopping),
        lr_schedule=_one(callbacks, keras.callbacks.ReduceLROnPlateau),
        extra_variables=augmenter.variables if augmenter is not None else [],
        architecture=model_fingerprint(model),
    )


def _one(callbacks: list, kind: type):
    found = [c for c in callbacks if isinstance(c, kind)]
    return found[0] if found else None
