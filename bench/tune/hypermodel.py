"""The model a search tunes: the architecture plus the tuning hyperparameters, trained as a
run trains (``bench.train.suite``) and checkpointed after every epoch."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import keras
import keras_tuner

import architectures
from bench.config import TrainConfig
from bench.train import protocol
from bench.train.build import build_model, declares_search_space
from bench.train.fit import (
    EpochLog,
    FitPlan,
    checkpointed_fit,
    compile_for_training,
    steps_per_epoch,
)
from bench.train.fused import with_fused_batchnorm

if TYPE_CHECKING:
    from bench.config import RunSpec
    from bench.tune.progress import TrialProgress

# The learning rate is searched for every architecture, around its own default.
LEARNING_RATE_RANGE = (1e-4, 3e-3)
# The fit argument by which a trial's hypermodel learns where to keep its epoch checkpoints.
CHECKPOINT_FOLDER = "checkpoint_folder"
# Rows of the epoch log that are timings, not metrics keras-tuner could score.
_TIMINGS = ("epoch", "seconds", "train_seconds")


class BenchHyperModel(keras_tuner.HyperModel):
    """Trains a trial exactly as `bench run` trains a run (on ``train_images`` images, which
    the learning-rate schedule spans), checkpointed after every epoch so that a cut-off trial
    goes on where it stopped."""

    def __init__(
        self,
        spec: RunSpec,
        input_shape: tuple[int, ...],
        num_classes: int,
        progress: TrialProgress | None = None,
        train_images: int = 1,
    ):
        super().__init__(name=spec.arch)
        self.spec = spec
        self.input_shape = input_shape
        self.num_classes = num_classes
        self.progress = progress
        self.train_images = train_images
        self.own_space = declares_search_space(spec.arch, input_shape, num_classes)
        self.default_learning_rate = TrainConfig.of(architectures.get(spec.arch)).learning_rate

    def build(self, hp: Any) -> Any:
        spec = self.spec
        model = protocol.built_in(
            spec.precision,
            lambda: build_model(
                spec.arch, self.input_shape, self.num_classes, hp, self.own_space, spec.seed
            ),
        )
        model = with_fused_batchnorm(model)  # trains as a run does
        steps = steps_per_epoch(spec, self.train_images)
        compile_for_training(model, spec, steps, _learning_rate(hp, self.default_learning_rate))
        return model

    def fit(self, hp, model, x, y, validation_data=None, callbacks=None, **kwargs) -> Any:
        epochs = kwargs.get("epochs", self.spec.epochs)  # hyperband sets its own
        epoch_log = EpochLog(self.progress, epochs)
        plan = FitPlan(
            self.spec,
            kwargs[CHECKPOINT_FOLDER],
            epoch_log,
            identity={**self.spec.to_dict(), "trial": hp.values},
            epochs=epochs,
            initial_epoch=kwargs.get("initial_epoch", 0),
            # keras-tuner's own callbacks (its best-epoch checkpoint) come first
            first_callbacks=callbacks or [],
        )
        checkpointed_fit(model, plan, x, y, validation_data)
        # keras-tuner scores the trial on the history returned, which must hold the
        # epochs trained before a cut as well as those after it
        history = keras.callbacks.History()
        history.history = {
            name: [row[name] for row in epoch_log.rows]
            for name in (epoch_log.rows[-1] if epoch_log.rows else {})
            if name not in _TIMINGS
        }
        history.epoch = [row["epoch"] - 1 for row in epoch_log.rows]
        return history


def _learning_rate(hp: Any, default: float) -> float:
    low, high = LEARNING_RATE_RANGE
    return hp.Float(
        "learning_rate",
        min(low, default),
        max(high, default),
        sampling="log",
        default=default,
    )


def search_space(spec: RunSpec, input_shape: tuple[int, ...], num_classes: int) -> Any:
    """The hyperparameters a search of ``spec.arch`` explores, each with its default."""
    hp = keras_tuner.HyperParameters()
    BenchHyperModel(spec, input_shape, num_classes).build(hp)
    return hp
