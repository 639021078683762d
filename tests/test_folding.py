"""BatchNorm folding: the same outputs with the foldable norms gone, the rest left alone."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import layers

import architectures
from bench.measure.folding import FoldedBatchNorm, fold_batchnorm, foldable_pairs


def trained_statistics(model: keras.Model, seed: int = 0) -> keras.Model:
    """Give every BatchNorm non-trivial statistics, as training would."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            layer.set_weights(
                [
                    w + rng.normal(0, 0.3, w.shape)
                    if i % 4 != 3
                    else w * rng.uniform(0.3, 3, w.shape)
                    for i, w in enumerate(layer.get_weights())
                ]
            )
    return model


def images(n: int = 16, shape=(28, 28, 1)) -> np.ndarray:
    return np.random.default_rng(1).random((n, *shape), dtype=np.float32)


def batchnorms(model: keras.Model) -> list[str]:
    return [layer.name for layer in model.layers if isinstance(layer, layers.BatchNormalization)]


def conv_bn(**norm_options) -> keras.Model:
    inputs = keras.Input((28, 28, 1))
    x = layers.Conv2D(8, 3, use_bias=False, name="conv")(inputs)
    x = layers.BatchNormalization(name="bn", **norm_options)(x)
    x = layers.ReLU()(x)
    x = layers.Flatten()(x)
    x = layers.Dense(16, name="hidden")(x)
    x = layers.BatchNormalization(name="hidden_bn")(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    return trained_statistics(keras.Model(inputs, outputs))


def test_folded_model_gives_the_same_outputs():
    model = conv_bn()
    folded = fold_batchnorm(model)
    np.testing.assert_allclose(folded(images()), model(images()), atol=1e-6)
    assert batchnorms(folded) == []


@pytest.mark.parametrize("options", [{"center": False}, {"scale": False}, {"epsilon": 0.1}])
def test_norms_without_offset_or_scale_fold_too(options):
    model = conv_bn(**options)
    np.testing.assert_allclose(fold_batchnorm(model)(images()), model(images()), atol=1e-6)


def test_the_original_is_left_untouched():
    model = conv_bn()
    before = [w.copy() for w in model.get_weights()]
    fold_batchnorm(model)
    assert batchnorms(model) == ["bn", "hidden_bn"]
    for old, new in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)


def test_a_norm_after_an_activation_stays():
    inputs = keras.Input((28, 28, 1))
    x = layers.Conv2D(4, 3, activation="relu", name="conv")(inputs)
    x = layers.BatchNormalization(name="bn")(x)
    model = trained_statistics(keras.Model(inputs, layers.GlobalAveragePooling2D()(x)))
    assert foldable_pairs(model) == []
    assert fold_batchnorm(model) is model


def test_a_norm_whose_input_is_also_read_elsewhere_stays():
    inputs = keras.Input((28, 28, 1))
    conv = layers.Conv2D(4, 3, padding="same", name="conv")(inputs)
    x = layers.Add()([layers.BatchNormalization(name="bn")(conv), conv])  # a skip past the norm
    model = trained_statistics(keras.Model(inputs, x))
    assert foldable_pairs(model) == []


def test_sequential_models_fold():
    model = keras.Sequential(
        [keras.Input((28, 28, 1)), layers.Conv2D(4, 3), layers.BatchNormalization(), layers.ReLU()]
    )
    model = trained_statistics(model)
    folded = fold_batchnorm(model)
    assert any(isinstance(layer, FoldedBatchNorm) for layer in folded.layers)
    np.testing.assert_allclose(folded(images()), model(images()), atol=1e-5)


def test_every_batchnorm_of_inception_lite_folds():
    model = trained_statistics(architectures.create("inception_lite"))
    folded = fold_batchnorm(model)
    assert len(foldable_pairs(model)) == len(batchnorms(model)) == 22
    assert batchnorms(folded) == []
    np.testing.assert_allclose(folded(images(4)), model(images(4)), atol=1e-5)
