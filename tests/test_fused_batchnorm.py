"""The fused BatchNormalization: Keras' layer in every observable way but its training speed."""

from __future__ import annotations

import json
import zipfile

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers

from bench.config import get_profile, plan
from bench.data.pipeline import inference_batches, train_dataset
from bench.identity import model_fingerprint
from bench.train.build import build_for
from bench.train.fused import (
    FusedBatchNormalization,
    with_fused_batchnorm,
    with_keras_batchnorm,
)


def activations(shape=(16, 7, 7, 8)) -> np.ndarray:
    return (np.random.default_rng(0).normal(size=shape) * 3 + 1).astype("float32")


def pair(**options) -> tuple[layers.BatchNormalization, FusedBatchNormalization]:
    keras_norm = layers.BatchNormalization(momentum=0.9, **options)
    fused_norm = FusedBatchNormalization(momentum=0.9, **options)
    x = activations()
    keras_norm.build(x.shape)
    fused_norm.build(x.shape)
    rng = np.random.default_rng(1)
    weights = [w + rng.uniform(0.5, 1.5, w.shape) for w in keras_norm.get_weights()]
    keras_norm.set_weights(weights)
    fused_norm.set_weights(weights)
    return keras_norm, fused_norm


@pytest.mark.parametrize("options", [{}, {"center": False}, {"scale": False}, {"epsilon": 0.1}])
def test_a_training_step_gives_kerass_outputs_and_moving_statistics(options):
    keras_norm, fused_norm = pair(**options)
    x = activations()
    np.testing.assert_allclose(
        fused_norm(x, training=True), keras_norm(x, training=True), atol=2e-5
    )
    for ours, theirs in zip(fused_norm.weights, keras_norm.weights, strict=True):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, err_msg=ours.name)


def test_gradients_equal_kerass():
    keras_norm, fused_norm = pair()
    x = tf.constant(activations())
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        keras_loss = tf.reduce_sum(tf.sin(keras_norm(x, training=True)))
        fused_loss = tf.reduce_sum(tf.sin(fused_norm(x, training=True)))
    keras_grads = tape.gradient(keras_loss, [x, *keras_norm.trainable_weights])
    fused_grads = tape.gradient(fused_loss, [x, *fused_norm.trainable_weights])
    for ours, theirs in zip(fused_grads, keras_grads, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4)


def test_inference_is_kerass_own_path():
    keras_norm, fused_norm = pair()
    x = activations()
    np.testing.assert_array_equal(fused_norm(x, training=False), keras_norm(x, training=False))


def test_inputs_the_kernel_cannot_take_go_through_keras():
    keras_norm = layers.BatchNormalization()
    fused_norm = FusedBatchNormalization()
    x = activations((32, 12))  # a BatchNorm after a Dense layer
    np.testing.assert_allclose(
        fused_norm(x, training=True), keras_norm(x, training=True), atol=1e-6
    )


def test_bfloat16_training_matches_keras():
    keras_norm, fused_norm = pair(dtype="mixed_bfloat16")
    x = tf.cast(activations(), "bfloat16")
    ours, theirs = fused_norm(x, training=True), keras_norm(x, training=True)
    assert ours.dtype == theirs.dtype == tf.bfloat16
    np.testing.assert_allclose(
        tf.cast(ours, "float32"), tf.cast(theirs, "float32"), atol=0.05, rtol=0.02
    )


def standard_model(arch: str) -> keras.Model:
    (spec,) = plan([arch], "mnist", get_profile("standard"), [False])
    return build_for(spec, (28, 28, 1), 10, fused_batchnorm=False)


@pytest.mark.parametrize("arch", ["mobilenet_lite", "resnet_lite"])
def test_a_fused_model_is_the_same_network(arch):
    model = standard_model(arch)
    fused = with_fused_batchnorm(model)
    assert any(isinstance(layer, FusedBatchNormalization) for layer in fused.layers)
    assert fused.count_params() == model.count_params()
    assert model_fingerprint(fused) == model_fingerprint(model) is not None
    x = activations((4, 28, 28, 1))
    np.testing.assert_allclose(fused(x), model(x), atol=1e-6)


def test_a_model_saves_with_kerass_layer_and_loads_without_the_project(tmp_path):
    fused = with_fused_batchnorm(standard_model("resnet_lite"))
    saved = with_keras_batchnorm(fused)
    saved.save(tmp_path / "model.keras")
    with zipfile.ZipFile(tmp_path / "model.keras") as archive:
        config = archive.read("config.json").decode()
    assert "Fused" not in config and "BatchNormalization" in config
    assert json.loads(config)["class_name"] == "Functional"
    loaded = keras.saving.load_model(tmp_path / "model.keras", custom_objects={})
    x = activations((4, 28, 28, 1))
    np.testing.assert_allclose(loaded(x), fused(x), atol=1e-6)


def test_the_training_pipeline_does_not_autotune():
    # Autotuning made every epoch wait seconds for its thread when fit made a new iterator.
    x = np.zeros((8, 28, 28, 1), "float32")
    ds = train_dataset(x, np.zeros(8, "int64"), batch_size=4, seed=0)
    assert ds.options().autotune.enabled is False


def test_predictions_and_validation_batches_do_not_autotune_and_keep_the_order():
    # Given arrays, predict made a tuned pipeline and returned on the autotuner's period.
    x = np.arange(10, dtype="float32").reshape(10, 1)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False)])
    batches = inference_batches(x, batch_size=3)
    assert batches.options().autotune.enabled is False
    np.testing.assert_allclose(model.predict(batches, verbose=0), model(x), rtol=1e-6)
    pairs = inference_batches(x, np.arange(10), batch_size=4)
    assert [len(labels) for _, labels in pairs] == [4, 4, 2]
