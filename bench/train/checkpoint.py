"""Epoch checkpoints: a run cut off mid-training goes on from its last finished epoch.

After every epoch a run saves what its training needs to go on: every variable of the
model, of the optimizer (moment estimates, step count, learning rate) and of the
augmentation layers (random-generator states); the history so far; and the state of early
stopping (with the best weights it keeps) and of the learning-rate schedule, where the run's
schedule has them (``plateau``; ``onecycle``'s rate follows the optimizer's step count).
The files go to ``<run folder>/.partial/``. ``state.json`` is written last and names the
arrays file it belongs to, so a kill at any moment leaves the previous epoch's checkpoint
whole. A run that ends, well or not, deletes the folder; ``--force`` ignores it.

After the break the shuffle goes on with the orders an unbroken run would have drawn
(``training_dataset``), so with op determinism on a resumed run is
bit-identical to an unbroken one, augmented or not. (Without it, augmentation's parallel
draws race for the generator state and no two runs are identical anyway.) The record says
after which epoch a run resumed (``resumed_after_epoch``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import keras
import numpy as np

from bench.config import RunSpec
from bench.data.augment import AugmentConfig, build_augmenter
from bench.data.pipeline import train_dataset
from bench.identity import same_network
from bench.store import files

PARTIAL = ".partial"
STATE = "state.json"

# Keras's fit opens the training dataset twice an epoch (before the first batch, and again
# after the last), and each opening draws the next shuffle order; tests/test_checkpoint.py
# checks that a resumed run skipping this many orders per epoch done trains as an unbroken one.
ORDERS_PER_FIT_EPOCH = 2


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


class EpochCheckpoint(keras.callbacks.Callback):
    """Saves a checkpoint after every epoch and restores one when training begins.

    Must come after ``early_stopping`` and ``lr_schedule`` in the callback list, so that it
    saves their state after they have seen the epoch, and restores it after they reset.
    """

    def __init__(
        self,
        folder: Path,
        spec: dict,
        history: list[dict],
        early_stopping: keras.callbacks.EarlyStopping | None = None,
        lr_schedule: keras.callbacks.ReduceLROnPlateau | None = None,
        extra_variables: list | None = None,
        architecture: str | None = None,
    ):
        super().__init__()
        self.folder = Path(folder)
        self.spec = spec
        self.architecture = architecture  # the model's fingerprint (bench.identity)
        self.history = history  # the epoch log's rows, extended in place on restore
        self.early_stopping = early_stopping
        self.lr_schedule = lr_schedule
        self.extra_variables = list(extra_variables or [])
        self._loaded: tuple[dict, dict[str, np.ndarray]] | None = None

    # --- restoring ---------------------------------------------------------------------

    def load(self) -> int:
        """Read the checkpoint, if one exists for this spec: the epochs it holds (0: none).

        A checkpoint of another spec, or one that cannot be read, is deleted. One made
        before the builder's code was edited counts when it was made of the same network.
        """
        state = files.read_json(self.folder / STATE)
        if state is None or not self._fits(state):
            self.discard()
            return 0
        try:
            with np.load(self.folder / state["arrays"]) as arrays:
                self._loaded = state, dict(arrays)
        except (OSError, ValueError, KeyError):
            self.discard()
            return 0
        return int(state["epoch"])

    def _fits(self, state: dict) -> bool:
        return same_network(
            state.get("spec"), self.spec, state.get("architecture"), lambda: self.architecture
        )

    @property
    def stopped(self) -> bool:
        """Whether the loaded checkpoint's training had already stopped early."""
        return self._loaded is not None and self._loaded[0]["stopped"]

    def on_train_begin(self, logs=None):
        if self._loaded is None:
            return
        state, arrays = self._loaded
        if not self.model.optimizer.built:
            self.model.optimizer.build(self.model.trainable_variables)
        saved = [arrays[f"v{i}"] for i in range(state["variables"])]
        variables = self._variables()
        if [a.shape for a in saved] != [tuple(v.shape) for v in variables]:
            raise RuntimeError(f"checkpoint in {self.folder} does not fit this model")
        for variable, value in zip(variables, saved, strict=True):
            variable.assign(value)
        self.history[:] = state["history"]
        stopping = state.get("early_stopping")
        if self.early_stopping is not None and stopping:
            for key in ("wait", "stopped_epoch", "best", "best_epoch"):
                setattr(self.early_stopping, key, stopping[key])
            if stopping["best_weights"]:
                self.early_stopping.best_weights = [
                    arrays[f"best{i}"] for i in range(stopping["best_weights"])
                ]
        for key, value in (state.get("lr_schedule") or {}).items():
            setattr(self.lr_schedule, key, value)
        self._loaded = None

    # --- saving ------------------------------------------------------------------------

    def on_epoch_end(self, epoch, logs=None):
        name = f"epoch-{epoch + 1}.npz"
        variables = self._variables()
        arrays = {f"v{i}": np.asarray(v) for i, v in enumerate(variables)}
        stopping = self.early_stopping
        best = (stopping.best_weights if stopping is not None else None) or []
        arrays.update({f"best{i}": np.asarray(w) for i, w in enumerate(best)})
        with files.atomic_path(self.folder / name) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
        state = {
            "spec": self.spec,
            "architecture": self.architecture,
            "epoch": epoch + 1,
            "stopped": bool(self.model.stop_training),
            "arrays": name,
            "variables": len(variables),
            "history": self.history,
            "early_stopping": stopping
            and {
                "wait": stopping.wait,
                "stopped_epoch": stopping.stopped_epoch,
                "best": _plain(stopping.best),
                "best_epoch": stopping.best_epoch,
                "best_weights": len(best),
            },
            "lr_schedule": self.lr_schedule
            and {
                "wait": self.lr_schedule.wait,
                "best": _plain(self.lr_schedule.best),
                "cooldown_counter": self.lr_schedule.cooldown_counter,
            },
        }
        files.write_json(self.folder / STATE, state)
        for old in self.folder.glob("epoch-*.npz"):
            if old.name != name:
                old.unlink(missing_ok=True)

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def _variables(self) -> list:
        return [*self.model.variables, *self.model.optimizer.variables, *self.extra_variables]


def _plain(value):
    """A callback's ``best`` (a NumPy or Python float, or None) as JSON can hold it."""
    return None if value is None else float(value)
