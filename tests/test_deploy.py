"""LiteRT exports: what each run records of its float16 and int8 models, how peak activation
memory is counted, and ``bench measure exports`` for runs made without exports."""

from __future__ import annotations

import json
import sys

import keras
import numpy as np
import pytest
from keras import layers

import architectures
from bench import api, deployment, revisit
from bench.cli.main import main
from bench.errors import BenchError
from bench.measure import litert, tflm
from bench.measurements.exports import evaluate as deploy
from bench.measurements.exports.evaluate import ExportSettings, on_micro
from bench.store import results
from report import leaderboard

INT8 = 1  # bytes per activation of a full-integer model
FLOAT32 = 4


def model_bytes(name: str, precision: str) -> bytes:
    model = architectures.create(name, input_shape=(28, 28, 1), num_classes=10)
    calibration = np.random.default_rng(0).random((8, 28, 28, 1), dtype=np.float32)
    return litert.convert(model, precision, calibration)


@pytest.mark.parametrize("precision, itemsize", [("int8", INT8), ("float32", FLOAT32)])
def test_custom_cnn_peaks_at_its_second_convolution_reading_and_writing_28x28x32(
    precision, itemsize
):
    # block1_conv1 reads the 28x28x1 image and writes 28x28x32; block1_conv2 then reads that
    # and writes another 28x28x32 while the image is no longer needed. Later layers hold
    # less: pooling reads 28x28x32 and writes 14x14x32; block2's convolutions 14x14x64 each.
    conv2 = 28 * 28 * 32 + 28 * 28 * 32
    assert conv2 > max(28 * 28 * 32 + 14 * 14 * 32, 14 * 14 * 64 * 2)
    peak = litert.peak_activation_bytes(model_bytes("custom_cnn", precision))
    assert peak == conv2 * itemsize


@pytest.mark.parametrize("precision, itemsize", [("int8", INT8), ("float32", FLOAT32)])
def test_lenet5_peaks_at_c1s_scaled_tanh_holding_two_28x28x6_maps(precision, itemsize):
    # The image is padded to 32x32 and rescaled (1,024 values in, 1,024 out); C1 reads the
    # 32x32x1 map and writes 28x28x6 (1,024 + 4,704). The scaled tanh is its own LiteRT
    # ops, each reading one 28x28x6 map and writing another: 2 x 4,704, the most at once.
    # S2 then reads 4,704 and writes 14x14x6 = 1,176; C3 writes 10x10x16 = 1,600.
    c1_tanh = 2 * 28 * 28 * 6
    others = (32 * 32 + 28 * 28 * 6, 28 * 28 * 6 + 14 * 14 * 6, 14 * 14 * 6 + 10 * 10 * 16)
    assert c1_tanh > max(others)
    peak = litert.peak_activation_bytes(model_bytes("lenet5", precision))
    assert peak == c1_tanh * itemsize


def test_a_full_integer_model_takes_and_gives_int8_yet_is_called_with_float_images(tiny_arch):
    model = architectures.create(tiny_arch, input_shape=(8, 8, 1), num_classes=3)
    images = np.random.default_rng(1).random((20, 8, 8, 1), dtype=np.float32)
    runner = litert.Runner(litert.convert(model, "int8", images))
    probabilities = runner.predict(images, batch_size=7)
    assert probabilities.shape == (20, 3) and probabilities.dtype == np.float32
    assert np.abs(probabilities - model.predict(images, verbose=0)).max() < 0.05


def test_calibration_images_are_a_fixed_sample_of_the_training_images():
    x_train = np.arange(1000, dtype=np.float32).reshape(1000, 1, 1, 1)
    first = deploy.calibration_sample(x_train, 256, seed=0)
    assert np.array_equal(first, deploy.calibration_sample(x_train, 256, seed=0))
    assert len(np.unique(first)) == 256 and np.isin(first, x_train).all()
    assert len(deploy.calibration_sample(x_train[:10], 256, seed=0)) == 10


def test_exports_are_all_none_or_named_precisions_and_a_wrong_name_says_the_choices():
    assert deploy.parse_exports("all").precisions == deploy.EXPORTS
    assert deploy.parse_exports("none").precisions == ()
    assert deploy.parse_exports("int8, float16").precisions == ("int8", "float16")
    with pytest.raises(BenchError, match="unknown export precision 'int9'; choose all, none or"):
        deploy.parse_exports("float16,int9")


def test_a_bad_exports_flag_is_one_line_and_exit_2(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["run", "--arch", "lenet5", "--exports", "int4"])
    assert exited.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1


def small_net(input_shape, num_classes, hp=None):
    inputs = keras.Input(input_shape, name="image")
    x = layers.Conv2D(8, 3, strides=2, activation="relu", name="conv")(inputs)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    return keras.Model(inputs, layers.Dense(num_classes, activation="softmax")(x))


@pytest.fixture(scope="module")
def exported_run(tmp_path_factory, digits):
    """A small net trained on digits whose run made every export and kept the files."""
    architectures.register(small_net, name="small_net")
    out = tmp_path_factory.mktemp("exported")
    specs = api.plan("small_net", dataset="digits", profile="smoke", augment="off")
    data = api.load_data("digits", val_size=200)
    try:
        (record,) = api.run(
            specs, data, out, quiet=True, measure={"exports": "all", "keep_exports": True}
        )
    finally:
        architectures._registry._REGISTRY.pop("small_net")
    return out, record


def test_a_run_records_each_export_with_its_size_memory_accuracy_and_latency(exported_run):
    _, record = exported_run
    assert record.ok and list(record.section("exports")) == list(deploy.EXPORTS)
    for export in record.section("exports").values():
        assert export.ok and export.bytes > 0 and export.peak_activation_bytes > 0
        assert 0 <= export.test_accuracy <= 1 and export.p50_ms <= export.p99_ms
    int8, float32 = record.section("exports")["int8"], record.section("exports")["float32"]
    assert float32.accuracy_change == 0 and float32.changed_predictions == 0
    assert int8.peak_activation_bytes * 4 == float32.peak_activation_bytes
    changed = int8.accuracy_change * record.metrics.test_images
    assert abs(changed) <= int8.changed_predictions


def test_kept_exports_lie_beside_the_model_and_load_in_the_interpreter(exported_run):
    out, record = exported_run
    for precision in deploy.EXPORTS:
        content = (out / record.run_id / deploy.export_name(precision)).read_bytes()
        assert len(content) == record.section("exports")[precision].bytes
        litert.Runner(content)  # a LiteRT model, as written


def test_the_results_table_has_the_int8_and_float16_columns(exported_run):
    out, record = exported_run
    row = results.load(out).iloc[0]
    assert row["int8_accuracy"] == record.section("exports")["int8"].test_accuracy
    assert row["int8_bytes"] == record.section("exports")["int8"].bytes
    assert row["int8_p50_ms"] == record.section("exports")["int8"].p50_ms
    assert row["float16_accuracy"] == record.section("exports")["float16"].test_accuracy


@keras.saving.register_keras_serializable(package="tests")
class Elementwise(layers.Layer):
    """One ``keras.ops`` function on every value: a way to put in an op a runtime lacks."""

    def __init__(self, op: str, **kwargs):
        super().__init__(**kwargs)
        self.op = op

    def call(self, x):
        return getattr(keras.ops, self.op)(x)

    def get_config(self):
        return {**super().get_config(), "op": self.op}


def one_op_net(op: str):
    """A builder of a small net with ``op`` between its convolution and its pooling."""

    def build(input_shape, num_classes, hp=None):
        inputs = keras.Input(input_shape, name="image")
        x = layers.Conv2D(4, 3, strides=2, name="conv")(inputs)
        x = layers.GlobalAveragePooling2D(name="gap")(Elementwise(op, name=op)(x))
        return keras.Model(inputs, layers.Dense(num_classes, activation="softmax")(x))

    return build


# LiteRT has no builtin op for the error function, let alone an int8 one
erf_net = one_op_net("erf")
# LiteRT converts sign to int8; TFLM has no kernel for it
sign_net = one_op_net("sign")


def int8_smoke_run(register_temporary, builder, name: str, out):
    """The record of a smoke run of ``builder`` on digits that exports int8 only."""
    register_temporary(builder, name=name)
    specs = api.plan(name, dataset="digits", profile="smoke", augment="off")
    data = api.load_data("digits", val_size=200)
    (record,) = api.run(specs, data, out, quiet=True, measure={"exports": "int8"})
    return record


def test_an_export_the_converter_refuses_is_recorded_as_failed_and_the_run_stays_ok(
    register_temporary, digits, tmp_path
):
    record = int8_smoke_run(register_temporary, erf_net, "erf_net", tmp_path)
    assert record.ok and record.metrics.test_accuracy is not None
    assert record.section("exports")["int8"].status == "failed"
    assert "ConverterError" in record.section("exports")["int8"].error
    assert results.load(tmp_path).iloc[0]["int8_status"] == "failed"


def test_measuring_exports_gives_exports_to_runs_made_without_them_once(
    tiny_arch, digits, tmp_path
):
    specs = api.plan(tiny_arch, dataset="digits", profile="smoke", augment="off")
    api.run(
        specs,
        api.load_data("digits", val_size=200),
        tmp_path,
        quiet=True,
        measure={"exports": "none"},
    )
    assert results.read_run_record(tmp_path / specs[0].run_id).section("exports") is None

    (updated,) = revisit.measure_runs("exports", tmp_path, settings="int8")
    on_disk = results.read_run_record(tmp_path / specs[0].run_id)
    assert (
        on_disk.section("exports") == updated.section("exports")
        and on_disk.section("exports")["int8"].ok
    )
    assert revisit.measure_runs("exports", tmp_path, settings="int8") == []  # done: nothing to do


def test_measuring_exports_adds_only_the_precisions_a_run_lacks(tiny_arch, digits, tmp_path):
    specs = api.plan(tiny_arch, dataset="digits", profile="smoke", augment="off")
    data = api.load_data("digits", val_size=200)
    (made,) = api.run(specs, data, tmp_path, quiet=True, measure={"exports": "int8"})
    (updated,) = revisit.measure_runs("exports", tmp_path, settings="int8,float16")
    assert list(updated.section("exports")) == ["int8", "float16"]
    assert (
        updated.section("exports")["int8"] == made.section("exports")["int8"]
    )  # kept, not made again


def test_measuring_exports_by_default_adds_only_what_the_runs_profile_exports(
    tiny_arch, digits, tmp_path, monkeypatch, capsys
):
    specs = api.plan(tiny_arch, dataset="digits", profile="smoke", augment="off")
    data = api.load_data("digits", val_size=200)
    api.run(
        specs, data, tmp_path, quiet=True, measure={"exports": "int8"}
    )  # the smoke profile's own
    monkeypatch.delenv("BENCH_EXPORTS")
    assert main(["measure", "exports", "--results", str(tmp_path)]) == 0
    assert "exports: 0 runs measured" in capsys.readouterr().out
    assert list(results.read_run_record(tmp_path / specs[0].run_id).section("exports")) == ["int8"]


def test_an_export_made_again_without_keep_takes_away_the_file_kept_before(
    tiny_arch, digits, tmp_path
):
    specs = api.plan(tiny_arch, dataset="digits", profile="smoke", augment="off")
    data = api.load_data("digits", val_size=200)
    api.run(specs, data, tmp_path, quiet=True, measure={"exports": "int8", "keep_exports": True})
    kept = tmp_path / specs[0].run_id / deploy.export_name("int8")
    assert kept.exists()
    revisit.measure_runs("exports", tmp_path, settings="int8", force=True)
    assert not kept.exists()  # it would no longer be the model the record describes


def test_measuring_exports_refuses_data_other_than_the_runs_in_one_line(
    tiny_arch, tmp_path, capsys
):
    specs = api.plan(tiny_arch, dataset="digits", profile="smoke", augment="off")
    api.run(specs, api.load_data("digits", val_size=200), tmp_path, quiet=True)
    predictions = tmp_path / specs[0].run_id / results.PREDICTIONS
    with np.load(predictions) as saved:
        kept = dict(saved)
    np.savez(predictions, **{**kept, "y_true": (kept["y_true"] + 1) % 10})
    assert main(["measure", "exports", "--results", str(tmp_path), "--exports", "int8"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "its test labels are not those of the data" in error


def test_export_sizes_give_flash_and_peak_memory_in_float32_and_int8(tiny_arch):
    model = architectures.create(tiny_arch, input_shape=(8, 8, 1), num_classes=3)
    sizes = deployment.export_sizes(model)
    assert sizes["int8_bytes"] > 0 and sizes["float32_bytes"] > 0
    # conv: 8x8x1 in, 3x3x4 out; the int8 model's largest pair is the image and the conv map
    assert sizes["peak_activation_bytes"] == sizes["int8_peak_activation_bytes"] == 64 + 36
    assert sizes["float32_peak_activation_bytes"] == 4 * (64 + 36)
    # TFLM's arena: at least that plan, and the interpreter's persistent data on top
    assert sizes["int8_arena_bytes"] > sizes["int8_peak_activation_bytes"]
    assert json.dumps(sizes)  # plain numbers, for --format json


def bn_net(input_shape, num_classes, hp=None):
    inputs = keras.Input(input_shape, name="image")
    x = layers.Conv2D(8, 3, name="conv")(inputs)
    x = layers.BatchNormalization(name="bn")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(layers.ReLU(name="relu")(x))
    return keras.Model(inputs, layers.Dense(num_classes, name="dense")(x))


def test_listed_flash_is_what_a_trained_models_export_weighs_not_an_untrained_ones():
    # an untrained model's equal constants (zero biases, unit scales) are stored once each
    model = bn_net((8, 8, 1), 3)
    listed = deployment.export_sizes(model, ("int8",))["int8_bytes"]
    rng = np.random.default_rng(1)
    model.set_weights(
        [w + rng.normal(0, 0.1, w.shape).astype(w.dtype) for w in model.get_weights()]
    )
    model.get_layer("bn").moving_variance.assign(np.full(8, 0.5, np.float32))
    images = np.random.default_rng(0).random((16, 8, 8, 1), dtype=np.float32)
    with litert.saved_for_conversion(model) as source:
        assert listed == len(litert.convert(source, "int8", images))


def test_the_old_quantize_function_still_works_and_says_it_is_deprecated(
    tiny_arch, digits, tmp_path
):
    specs = api.plan(tiny_arch, dataset="digits", profile="smoke", augment="off")
    api.run(specs, api.load_data("digits", val_size=200), tmp_path, quiet=True)
    with pytest.warns(DeprecationWarning, match="bench.measure"):
        (updated,) = deployment.quantize(tmp_path, exports="int8")
    assert updated.section("exports")["int8"].ok


def test_the_int8_export_records_the_arena_tflm_allocates_for_it(exported_run):
    _, record = exported_run
    exports = record.section("exports")
    int8 = exports["int8"]
    assert int8.micro_status == "ok" and int8.micro_error is None
    assert int8.arena_bytes == int8.arena_activation_bytes + int8.arena_persistent_bytes
    # TFLM plans the activations no tighter than the best plan, and adds its persistent data
    assert int8.arena_activation_bytes >= int8.peak_activation_bytes
    assert int8.arena_bytes > int8.peak_activation_bytes
    assert int8.micro_images == min(ExportSettings().micro_images, record.metrics.test_images)
    assert int8.micro_changed <= int8.micro_images // 50 and int8.micro_host_ms > 0
    assert exports["float16"].micro_status is None  # TFLM runs the full-integer model only


def test_a_model_tflm_cannot_run_is_a_failed_status_with_the_reason_not_a_failed_run(
    register_temporary, digits, tmp_path
):
    record = int8_smoke_run(register_temporary, sign_net, "sign_net", tmp_path)
    int8 = record.section("exports")["int8"]
    assert record.ok and int8.ok and int8.arena_bytes is None
    assert int8.micro_status == "failed" and "SIGN" in int8.micro_error
    row = leaderboard(results.load(tmp_path)).iloc[0]
    assert row["int8_micro_status"] == "failed" and "SIGN" in row["int8_micro_error"]


def test_without_tflm_the_int8_export_says_it_was_not_installed(monkeypatch):
    for name in ("tflite_micro", "tflite_micro.python.tflite_micro"):
        monkeypatch.setitem(sys.modules, name, None)  # its import now fails
    images = np.zeros((4, 8, 8, 1), np.float32)
    found = on_micro(b"any model", images, np.zeros(4), ExportSettings())
    assert found == {"micro_status": "not installed"}


def tiny_int8_model() -> bytes:
    model = small_net((8, 8, 1), 3)
    images = np.random.default_rng(0).random((8, 8, 8, 1), dtype=np.float32)
    with litert.saved_for_conversion(model) as source:
        return litert.convert(source, "int8", images)


def test_tflm_classes_the_images_as_litert_does_and_reports_its_arena():
    content = tiny_int8_model()
    images = np.random.default_rng(1).random((16, 8, 8, 1), dtype=np.float32)
    found = tflm.run_model(content, images)
    expected = litert.Runner(content).predict(images).argmax(axis=1)
    assert np.mean(found.classes == expected) >= 0.9  # ties of an untrained net may differ
    assert found.arena.total == found.arena.activations + found.arena.persistent > 0


def test_the_recorded_arena_is_what_tflms_interpreter_reports_for_the_kept_model(exported_run):
    out, record = exported_run
    content = (out / record.run_id / deploy.export_name("int8")).read_bytes()
    arena = tflm.Micro(content).arena()  # in this process: the small net is one TFLM runs
    int8 = record.section("exports")["int8"]
    assert (int8.arena_bytes, int8.arena_activation_bytes, int8.arena_persistent_bytes) == (
        arena.total,
        arena.activations,
        arena.persistent,
    )
