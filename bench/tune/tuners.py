"""keras-tuner's tuners, taught to train trials as runs train, report progress, keep the
best configuration after every trial and stop at a time budget.

Trials are trained by ``run_trial`` here rather than keras-tuner's own: that one imports
tensorboard on every trial, to point TensorBoard callbacks at the trial's folder, and trials
get no TensorBoard callback (tensorboard need not be installed). Everything else it does is
kept: the clean session before each build, the weights of the trial's best epoch and its
build config in the trial's folder, and hyperband's rounds that go on from an earlier
trial's best epoch.
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import keras_tuner

from bench.train.checkpoint import PARTIAL, STATE
from bench.tune.hypermodel import CHECKPOINT_FOLDER, BenchHyperModel
from bench.tune.progress import TrialProgress
from bench.tune.settings import OBJECTIVE, BudgetSpent
from bench.tune.trials import best_trial

# In each trial's folder, where keras-tuner itself keeps them (``Tuner.load_model``)
BEST_EPOCH_WEIGHTS = "checkpoint.weights.h5"
BUILD_CONFIG = "build_config.json"


class _BenchTuning:
    """What every kind of tuner here adds to keras-tuner's, through its public hooks."""

    def __init__(
        self,
        *args: Any,
        progress: TrialProgress,
        deadline: float | None,
        save_best: Callable[[Any], Any] | None = None,
        **kwargs: Any,
    ):
        self._progress = progress
        self._deadline = deadline
        self._save_best = save_best
        super().__init__(*args, **kwargs)

    def run_trial(self, trial: Any, *args: Any, **kwargs: Any) -> list:
        hp = trial.hyperparameters
        folder = Path(self.get_trial_dir(trial.trial_id))
        if "tuner/epochs" in hp.values:  # a hyperband round: its epochs, and where it starts
            kwargs["epochs"] = hp.values["tuner/epochs"]
            kwargs["initial_epoch"] = hp.values["tuner/initial_epoch"]
        keras.backend.clear_session()  # as keras-tuner starts every trial
        gc.collect()
        model = self.hypermodel.build(hp)
        if "tuner/trial_id" in hp.values:  # goes on from that trial's best epoch
            earlier = Path(self.get_trial_dir(hp.values["tuner/trial_id"]))
            model.load_weights(earlier / BEST_EPOCH_WEIGHTS)
        best_epoch = keras.callbacks.ModelCheckpoint(
            str(folder / BEST_EPOCH_WEIGHTS),
            monitor=self.oracle.objective.name,
            mode=self.oracle.objective.direction,
            save_best_only=True,
            save_weights_only=True,
        )
        callbacks = [*kwargs.pop("callbacks", []), best_epoch]
        kwargs[CHECKPOINT_FOLDER] = folder / PARTIAL
        history = self.hypermodel.fit(hp, model, *args, callbacks=callbacks, **kwargs)
        (folder / BUILD_CONFIG).write_text(json.dumps(model.get_build_config()))
        return [history]  # one execution, as keras-tuner returns it

    def pre_create_trial(self) -> None:
        if self._deadline is not None and time.monotonic() >= self._deadline:
            raise BudgetSpent
        super().pre_create_trial()

    def on_trial_begin(self, trial: Any) -> None:
        super().on_trial_begin(trial)
        self._progress.began(trial)

    def on_trial_end(self, trial: Any) -> None:
        super().on_trial_end(trial)
        if self._save_best is not None:  # so that a search cut off later keeps it
            self._save_best(self.oracle)
        self._progress.ended(self.oracle.get_trial(trial.trial_id), best_trial(self.oracle))


class RandomSearchTuner(_BenchTuning, keras_tuner.RandomSearch):
    """Random search over the architecture's space."""


class HyperbandTuner(_BenchTuning, keras_tuner.Hyperband):
    """Hyperband: many short trials, the best of them trained on for longer."""


class BayesianTuner(_BenchTuning, keras_tuner.BayesianOptimization):
    """Bayesian optimisation with a Gaussian process over the trials so far."""


TUNER_CLASSES = {
    "random": RandomSearchTuner,
    "hyperband": HyperbandTuner,
    "bayesian": BayesianTuner,
}


def make_tuner(
    kind: str,
    hypermodel: BenchHyperModel,
    state: Path,
    *,
    seed: int,
    max_trials: int | None,
    **hooks: Any,
) -> keras_tuner.Tuner:
    """A tuner of ``kind`` whose search lives in ``state``, continuing the one found there;
    ``hooks`` are ``_BenchTuning``'s progress, deadline and save_best."""
    common = dict(
        hypermodel=hypermodel,
        objective=keras_tuner.Objective(OBJECTIVE, direction="max"),
        seed=seed,
        directory=str(state.parent),
        project_name=state.name,
        overwrite=False,  # continue the search found there
        **hooks,
    )
    if kind != "hyperband":
        return TUNER_CLASSES[kind](max_trials=max_trials, **common)
    tuner = HyperbandTuner(max_epochs=hypermodel.spec.epochs, factor=3, **common)
    if max_trials is not None:
        # Brackets repeat until max_trials; set after construction, as a reloaded
        # search would otherwise keep the iteration count it was started with.
        tuner.oracle.hyperband_iterations = float("inf")
        tuner.oracle.max_trials = max_trials
    return tuner


def cut_off_trials(state: Path) -> int:
    """Trials of the search in ``state`` cut off part-way, which go on from their checkpoint."""
    return sum(1 for _ in state.glob(f"trial_*/{PARTIAL}/{STATE}"))
