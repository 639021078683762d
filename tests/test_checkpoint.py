"""Epoch checkpoints: a run cut off after an epoch goes on from there, as if never stopped."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from bench.config import Profile, plan
from bench.progress import Progress
from bench.store import results
from bench.store.records import DatasetInfo
from bench.train.checkpoint import PARTIAL, STATE, EpochCheckpoint
from bench.train.suite import run_suite

THREE_EPOCHS = Profile("three", "a test profile", max_epochs=3)


def dropout_net(input_shape, num_classes, hp=None):
    """A small convnet with dropout, so that random-generator state matters too."""
    import keras
    from keras import layers

    inputs = keras.Input(input_shape, name="image")
    x = layers.Conv2D(4, 3, strides=2, activation="relu", name="conv")(inputs)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dropout(0.3, name="dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="probs")(x)
    return keras.Model(inputs, outputs, name="dropout_net")


@pytest.fixture
def dropout_arch(register_temporary):
    return register_temporary(dropout_net, name="dropout_net")


def _suite(spec, splits, out, **kwargs):
    progress = Progress(1, quiet=True)
    (record,) = run_suite(
        [spec], splits, DatasetInfo(name="digits"), out, progress=progress, **kwargs
    )
    return record


@pytest.fixture
def cut_off(monkeypatch):
    """Runs a spec that stops dead (as on Ctrl-C or a kill) once epoch ``after`` is
    checkpointed; returns the run folder."""
    saved = EpochCheckpoint.on_epoch_end

    def run(spec, splits, out, after: int = 1):
        def save_then_stop(self, epoch, logs=None):
            saved(self, epoch, logs)
            if epoch + 1 == after:
                raise KeyboardInterrupt

        with monkeypatch.context() as patch:
            patch.setattr(EpochCheckpoint, "on_epoch_end", save_then_stop)
            with pytest.raises(KeyboardInterrupt):
                _suite(spec, splits, out)
        return out / spec.run_id

    return run


def test_a_cut_off_run_leaves_a_checkpoint_and_no_record(
    dropout_arch, digits_splits, tmp_path, cut_off
):
    (spec,) = plan([dropout_arch], "digits", THREE_EPOCHS, [False])
    run_dir = cut_off(spec, digits_splits, tmp_path)
    state = json.loads((run_dir / PARTIAL / STATE).read_text())
    assert state["epoch"] == 1 and len(state["history"]) == 1
    assert results.read_run_record(run_dir) is None


@pytest.mark.parametrize("augment", [False, True], ids=["noaug", "aug"])
def test_a_resumed_run_goes_on_from_its_checkpoint(
    dropout_arch, digits_splits, tmp_path, cut_off, augment
):
    (spec,) = plan([dropout_arch], "digits", THREE_EPOCHS, [augment])
    run_dir = cut_off(spec, digits_splits, tmp_path)
    first_epoch = json.loads((run_dir / PARTIAL / STATE).read_text())["history"][0]
    record = _suite(spec, digits_splits, tmp_path)

    assert record.status == "ok" and record.resumed_after_epoch == 1
    assert record.metrics.epochs == 3
    history = pd.read_csv(run_dir / results.HISTORY)
    assert history["epoch"].tolist() == [1, 2, 3]
    assert history["val_loss"][0] == first_epoch["val_loss"]
    assert not (run_dir / PARTIAL).exists()


def test_a_checkpoint_made_before_an_edit_that_left_the_network_as_it_was_is_resumed(
    dropout_arch, digits_splits, tmp_path, cut_off
):
    (spec,) = plan([dropout_arch], "digits", THREE_EPOCHS, [False])
    cut_off(spec, digits_splits, tmp_path)
    edited = dataclasses.replace(spec, arch_digest="edited")  # as after a comment was added
    assert _suite(edited, digits_splits, tmp_path).resumed_after_epoch == 1


def test_a_checkpoint_of_another_network_is_not_resumed_after_an_edit(
    dropout_arch, digits_splits, tmp_path, cut_off
):
    (spec,) = plan([dropout_arch], "digits", THREE_EPOCHS, [False])
    state_path = cut_off(spec, digits_splits, tmp_path) / PARTIAL / STATE
    state = json.loads(state_path.read_text())
    state_path.write_text(json.dumps({**state, "architecture": "another network"}))
    edited = dataclasses.replace(spec, arch_digest="edited")
    assert _suite(edited, digits_splits, tmp_path).resumed_after_epoch is None


@pytest.mark.parametrize(
    "augment, after", [(False, 1), (False, 2), (True, 1)], ids=["noaug-1", "noaug-2", "aug-1"]
)
def test_a_resumed_run_trains_and_predicts_as_the_unbroken_run_does(
    dropout_arch, digits_splits, tmp_path, cut_off, op_determinism, augment, after
):
    (spec,) = plan([dropout_arch], "digits", THREE_EPOCHS, [augment])
    cut_off(spec, digits_splits, tmp_path / "cut", after=after)
    _suite(spec, digits_splits, tmp_path / "cut")
    _suite(spec, digits_splits, tmp_path / "unbroken")

    def outcome(out):
        run_dir = out / spec.run_id
        history = pd.read_csv(run_dir / results.HISTORY)
        with np.load(run_dir / results.PREDICTIONS) as predictions:
            return history[["loss", "val_loss"]], dict(predictions)

    (cut_history, cut_predictions), (history, predictions) = map(
        outcome, [tmp_path / "cut", tmp_path / "unbroken"]
    )
    pd.testing.assert_frame_equal(cut_history, history, check_exact=True)
    assert cut_predictions.keys() == predictions.keys()
    for key, values in predictions.items():
        np.testing.assert_array_equal(cut_predictions[key], values)


def test_a_checkpoint_restores_every_variable_and_the_callbacks_state(
    dropout_arch, digits_splits, tmp_path
):
    import keras

    from bench.train.fit import EpochLog, compile_for_training, training_callbacks

    (spec,) = plan([dropout_arch], "digits", THREE_EPOCHS, [False], schedule="plateau")

    def attempt(seed):
        keras.utils.set_random_seed(seed)  # a different start each time
        model = dropout_net(digits_splits.input_shape, digits_splits.num_classes)
        compile_for_training(model, spec, steps_per_epoch=10)
        log = EpochLog(None, spec.epochs)
        stop, schedule = training_callbacks(spec, log)[2:]
        checkpoint = EpochCheckpoint(tmp_path, spec.to_dict(), log.rows, stop, schedule)
        done = checkpoint.load()
        model.fit(
            digits_splits.x_train,
            digits_splits.y_train,
            validation_data=(digits_splits.x_val, digits_splits.y_val),
            initial_epoch=done,
            epochs=2,
            callbacks=[log, stop, schedule, checkpoint],
            verbose=0,
        )
        return model, stop, schedule, log

    saved, saved_stop, saved_schedule, saved_log = attempt(seed=0)
    model, stop, schedule, log = attempt(seed=1)  # restores, then has nothing left to do
    for old, new in zip(
        saved.variables + saved.optimizer.variables,
        model.variables + model.optimizer.variables,
        strict=True,
    ):
        np.testing.assert_array_equal(np.asarray(old), np.asarray(new))
    assert (stop.best, stop.best_epoch, stop.wait) == (
        saved_stop.best,
        saved_stop.best_epoch,
        saved_stop.wait,
    )
    assert (schedule.best, schedule.wait) == (saved_schedule.best, saved_schedule.wait)
    assert log.rows == saved_log.rows


def test_force_starts_over(dropout_arch, digits_splits, tmp_path, cut_off):
    (spec,) = plan([dropout_arch], "digits", THREE_EPOCHS, [False])
    cut_off(spec, digits_splits, tmp_path)
    assert _suite(spec, digits_splits, tmp_path, force=True).resumed_after_epoch is None


def test_a_checkpoint_of_other_settings_is_not_used(dropout_arch, digits_splits, tmp_path, cut_off):
    (spec,) = plan([dropout_arch], "digits", THREE_EPOCHS, [False])
    cut_off(spec, digits_splits, tmp_path)
    (changed,) = plan([dropout_arch], "digits", THREE_EPOCHS, [False], learning_rate=5e-3)
    assert changed.run_id == spec.run_id
    assert _suite(changed, digits_splits, tmp_path).resumed_after_epoch is None


def test_a_run_cut_off_after_early_stopping_does_not_train_on(
    dropout_arch, digits_splits, tmp_path, cut_off
):
    # With patience 0, training stops at the first epoch that does not improve validation
    # accuracy: here the second (this net stays at chance for its first epochs).
    (spec,) = plan([dropout_arch], "digits", THREE_EPOCHS, [False], schedule="plateau", patience=0)
    run_dir = cut_off(spec, digits_splits, tmp_path, after=2)
    assert json.loads((run_dir / PARTIAL / STATE).read_text())["stopped"]
    record = _suite(spec, digits_splits, tmp_path)
    assert record.resumed_after_epoch == 2 and record.metrics.epochs == 2
