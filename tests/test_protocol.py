"""The training protocol: the one-cycle schedule, the plateau one kept for old runs, precision."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import pandas as pd
import pytest

from bench import config
from bench.cli.main import main
from bench.config import RunSpec, plan
from bench.measure.twin import in_float32
from bench.progress import Progress
from bench.store import results
from bench.store.records import DatasetInfo, RunRecord
from bench.train import protocol
from bench.train.build import build_for
from bench.train.fit import compile_for_training
from bench.train.losses import training_loss
from bench.train.suite import is_done, run_suite


def _suite(specs, splits, out):
    progress = Progress(len(specs), quiet=True)
    return run_suite(specs, splits, DatasetInfo(name="digits"), out, progress=progress)


def _rate(schedule, step: int) -> float:
    return float(keras.ops.convert_to_numpy(schedule(step)))


def test_onecycle_warms_up_to_the_peak_then_decays_to_zero():
    schedule = protocol.learning_rate("onecycle", 4e-3, epochs=4, steps_per_epoch=25, warmup=0.2)
    assert _rate(schedule, 0) == 0.0
    assert _rate(schedule, 10) == pytest.approx(2e-3)  # halfway up the 20 warm-up steps
    assert _rate(schedule, 20) == pytest.approx(4e-3)
    assert _rate(schedule, 60) == pytest.approx(2e-3)  # halfway down the cosine
    assert _rate(schedule, 100) == pytest.approx(0.0, abs=1e-12)


def test_plateau_starts_at_its_rate_and_leaves_changes_to_its_callback():
    assert protocol.learning_rate("plateau", 1e-3, 4, 25, 0.15) == 1e-3
    kinds = {type(c).__name__ for c in protocol.schedule_callbacks("plateau", 5, 2, 0.5, 1e-5)}
    assert kinds == {"EarlyStopping", "ReduceLROnPlateau"}
    assert protocol.schedule_callbacks("onecycle", 5, 2, 0.5, 1e-5) == []


def test_the_built_in_architectures_train_under_onecycle_by_default(tiny_profile):
    specs = plan(["custom_cnn", "lenet5"], "digits", tiny_profile, [False])
    assert {spec.schedule for spec in specs} == {"onecycle"}


def test_an_onecycle_run_trains_its_whole_budget_and_ends_at_rate_zero(
    tiny_arch, tiny_profile, digits_splits, tmp_path
):
    (spec,) = plan([tiny_arch], "digits", tiny_profile, [False], patience=1)
    (record,) = _suite([spec], digits_splits, tmp_path)
    history = pd.read_csv(tmp_path / spec.run_id / results.HISTORY)
    assert record.metrics.epochs == spec.epochs == 2
    # the rate logged after the last step: the end of the cosine
    assert history["learning_rate"].iloc[-1] == pytest.approx(0.0, abs=1e-9)
    assert record.spec.schedule == "onecycle"


def test_a_record_made_before_schedules_existed_is_a_finished_plateau_run(
    tiny_arch, tiny_profile, digits_splits, tmp_path
):
    (spec,) = plan(
        [tiny_arch], "digits", tiny_profile, [False], schedule="plateau", precision="float32"
    )
    (record,) = _suite([spec], digits_splits, tmp_path)
    recorded = record.spec.to_dict()
    old = {k: v for k, v in recorded.items() if k not in ("schedule", "warmup", "precision")}
    assert RunSpec.from_dict(old) == spec
    older = RunRecord.from_json({**record.to_json(), "spec": old})
    assert is_done(older, spec)
    assert not is_done(older, dataclasses.replace(spec, schedule="onecycle"))


def test_auto_precision_is_bfloat16_exactly_where_the_cpu_has_it(monkeypatch):
    monkeypatch.setattr(config, "gpu_names", lambda: ())
    for has_bf16, expected in ((True, "bfloat16"), (False, "float32")):
        monkeypatch.setattr(config, "cpu_has_bf16", lambda has=has_bf16: has)
        assert config.resolve_precision("auto") == expected
    assert config.resolve_precision("float16") == "float16"


def test_a_mixed_precision_model_computes_in_bfloat16_with_a_float32_output(
    tiny_arch, tiny_profile
):
    (spec,) = plan([tiny_arch], "digits", tiny_profile, [False], precision="bfloat16")
    model = build_for(spec, (28, 28, 1), 10)
    assert model.get_layer("conv").compute_dtype == "bfloat16"
    output = model(np.zeros((2, 28, 28, 1), "float32"))
    assert model.layers[-1].compute_dtype == output.dtype == "float32"
    assert keras.config.dtype_policy().name == "float32"  # later builds are unaffected


def test_the_record_names_the_precision_and_the_device(
    tiny_arch, tiny_profile, digits_splits, tmp_path
):
    (spec,) = plan([tiny_arch], "digits", tiny_profile, [False], precision="bfloat16")
    (record,) = _suite([spec], digits_splits, tmp_path)
    assert record.status == "ok"
    assert record.spec.precision == "bfloat16"
    assert record.environment.device.startswith(("CPU: ", "GPU: "))


def test_a_mixed_precision_model_has_a_float32_twin_for_the_runtimes(tiny_arch, tiny_profile):
    (spec,) = plan([tiny_arch], "digits", tiny_profile, [False], precision="bfloat16")
    model = build_for(spec, (28, 28, 1), 10)
    twin = in_float32(model)
    images = np.random.default_rng(0).uniform(0, 1, (4, 28, 28, 1)).astype("float32")
    assert {layer.compute_dtype for layer in twin.layers} == {"float32"}
    assert twin.count_params() == model.count_params()
    np.testing.assert_allclose(twin(images), model(images), atol=0.02)  # bfloat16's rounding


def test_label_smoothing_is_crossentropy_against_smoothed_one_hot_targets():
    probabilities = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], "float32")
    labels = np.array([0, 2])
    loss = training_loss(0.1)(labels, probabilities)
    targets = np.eye(3)[labels] * 0.9 + 0.1 / 3
    expected = -(targets * np.log(probabilities)).sum(axis=1).mean()
    assert float(loss) == pytest.approx(expected, rel=1e-5)
    assert training_loss(0.0) == "sparse_categorical_crossentropy"


def test_settings_added_later_leave_old_specs_matching(tiny_arch, tiny_profile):
    (spec,) = plan([tiny_arch], "digits", tiny_profile, [False])
    assert "ema" not in spec.to_dict() and "label_smoothing" not in spec.to_dict()
    (averaged,) = plan([tiny_arch], "digits", tiny_profile, [False], ema=0.9)
    assert averaged.to_dict()["ema"] == 0.9
    assert RunSpec.from_dict(averaged.to_dict()) == averaged


def test_a_run_with_a_weight_average_ends_with_the_averaged_weights(
    tiny_arch, tiny_profile, digits_splits, tmp_path
):
    smoothed = dict(label_smoothing=0.1)
    specs = [
        *plan([tiny_arch], "digits", tiny_profile, [False], **smoothed),
        *plan([tiny_arch], "digits", tiny_profile, [False], **smoothed, ema=0.5, variant="ema"),
    ]
    plain, averaged = _suite(specs, digits_splits, tmp_path)
    assert plain.ok and averaged.ok and averaged.spec.ema == 0.5
    # Same seed, same batches, the same training: only the weights kept at the end differ.
    assert averaged.metrics.best_val_accuracy == plain.metrics.best_val_accuracy
    assert averaged.metrics.test_loss != plain.metrics.test_loss


def test_a_weight_average_of_1_or_more_is_a_one_line_error(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["run", "--arch", "lenet5", "--ema", "1"])
    assert stop.value.code == 2
    error = capsys.readouterr().err.strip()
    assert "\n" not in error and "--ema" in error


class _CountingTraces(keras.Model):
    """A functional model that counts the times its training step is traced."""

    traced = 0

    def train_step(self, data):
        type(self).traced += 1  # Python runs here only while TensorFlow traces the step
        return super().train_step(data)


def test_fit_traces_the_training_step_once(tiny_profile, tiny_arch, digits_splits):
    # the optimizer's and the metrics' variables, made on the first trace, would make two
    (spec,) = plan([tiny_arch], "digits", tiny_profile, [False])
    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Conv2D(4, 3, name="conv")(inputs)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = keras.layers.Dense(10, activation="softmax", name="probs")(x)
    model = _CountingTraces(inputs, outputs, name="counting")
    compile_for_training(model, spec, steps_per_epoch=4)
    x_train, y_train = digits_splits.x_train[:128], digits_splits.y_train[:128]
    fitted = model.fit(x_train, y_train, batch_size=32, epochs=2, verbose=0)
    assert _CountingTraces.traced == 1
    assert len(fitted.history["accuracy"]) == 2
