"""FLOPs counting: hand-counted models, the per-layer breakdown and the custom-layer hook."""

from __future__ import annotations

import keras
import pytest
from keras import layers

import architectures
from bench.measure.flops import LayerFlops, count_flops, layer_flops


def test_lenet5_flops_equal_the_hand_count():
    c1 = 2 * 28 * 28 * 6 * 5 * 5 * 1  # 32x32x1 padded input -> 28x28x6
    s2 = 2 * 2 * 14 * 14 * 6
    c3 = 2 * 10 * 10 * 60 * 5 * 5  # only the 60 connections of Table I
    s4 = 2 * 2 * 5 * 5 * 16
    c5 = 2 * 1 * 1 * 120 * 5 * 5 * 16
    f6 = 2 * 120 * 84
    out = 2 * 84 * 10
    model = architectures.create("lenet5")
    assert count_flops(model) == c1 + s2 + c3 + s4 + c5 + f6 + out


def test_custom_cnn_flops_equal_the_hand_count():
    conv1 = 2 * 28 * 28 * 32 * 5 * 5 * 1
    conv2 = 2 * 28 * 28 * 32 * 5 * 5 * 32
    pool1 = 2 * 2 * 14 * 14 * 32
    conv3 = 2 * 14 * 14 * 64 * 3 * 3 * 32
    conv4 = 2 * 14 * 14 * 64 * 3 * 3 * 64
    pool2 = 2 * 2 * 7 * 7 * 64
    fc = 2 * 7 * 7 * 64 * 256
    out = 2 * 256 * 10
    model = architectures.create("custom_cnn")
    assert count_flops(model) == conv1 + conv2 + pool1 + conv3 + conv4 + pool2 + fc + out


def test_sequential_breakdown_follows_the_convention_layer_by_layer():
    model = keras.Sequential(
        [
            keras.Input((16, 16, 4)),
            layers.Conv2D(8, 3, padding="same", groups=2, name="grouped"),
            layers.BatchNormalization(name="bn"),
            layers.MaxPooling2D(2, name="pool"),
            layers.GlobalAveragePooling2D(name="gap"),
            layers.Dense(5, name="dense"),
        ]
    )
    assert layer_flops(model) == [
        LayerFlops("grouped", "Conv2D", 2 * 16 * 16 * 8 * 3 * 3 * (4 // 2)),
        LayerFlops("bn", "BatchNormalization", 0),
        LayerFlops("pool", "MaxPooling2D", 2 * 2 * 8 * 8 * 8),
        LayerFlops("gap", "GlobalAveragePooling2D", 8 * 8 * 8),
        LayerFlops("dense", "Dense", 2 * 8 * 5),
    ]


def test_depthwise_separable_and_1d_convolutions_follow_the_convention():
    inputs = keras.Input((10, 10, 3))
    x = layers.DepthwiseConv2D(3, depth_multiplier=2, name="depthwise")(inputs)  # 8x8x6
    x = layers.SeparableConv2D(4, 3, name="separable")(x)  # 6x6x4
    x = layers.Reshape((36, 4), name="reshape")(x)
    x = layers.Conv1D(2, 5, name="conv1d")(x)  # 32x2
    model = keras.Model(inputs, x)
    depthwise = 2 * 8 * 8 * 3 * 3 * 3 * 2
    separable = 2 * 6 * 6 * (3 * 3 * 6 + 6 * 4)
    conv1d = 2 * 32 * 2 * 5 * 4
    assert count_flops(model) == depthwise + separable + conv1d


class Squares(layers.Layer):
    """Squares its input; claims 7 FLOPs per element and records the shapes it is given."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = []

    def call(self, inputs):
        return inputs * inputs

    def flops(self, input_shape, output_shape):
        self.seen.append((input_shape, output_shape))
        return 7 * output_shape[0]


def test_a_layer_flops_method_is_used_with_per_image_shapes():
    squares = Squares(name="squares")
    inputs = keras.Input((12,))
    outputs = layers.Dense(3, name="dense")(squares(inputs))
    rows = layer_flops(keras.Model(inputs, outputs))
    assert rows == [LayerFlops("squares", "Squares", 7 * 12), LayerFlops("dense", "Dense", 72)]
    assert list(squares.seen) == [((12,), (12,))]


def test_nested_models_are_counted_through_their_layers():
    inner = keras.Sequential(
        [keras.Input((8, 8, 1)), layers.Conv2D(2, 3, name="conv")], name="features"
    )
    inputs = keras.Input((8, 8, 1))
    x = inner(inputs)
    x = layers.Flatten(name="flatten")(x)
    outputs = layers.Dense(4, name="head")(x)
    rows = layer_flops(keras.Model(inputs, outputs))
    conv = 2 * 6 * 6 * 2 * 3 * 3 * 1
    assert [(r.name, r.flops) for r in rows] == [
        ("features/conv", conv),
        ("flatten", 0),
        ("head", 2 * 72 * 4),
    ]


def test_a_model_loaded_from_a_keras_file_counts_the_same(tmp_path):
    model = architectures.create("lenet5")
    model.save(tmp_path / "lenet5.keras")
    loaded = keras.models.load_model(tmp_path / "lenet5.keras")
    assert layer_flops(loaded) == layer_flops(model)


def test_an_unbuilt_model_is_refused_with_a_hint():
    model = keras.Sequential([layers.Dense(3, name="dense")])
    with pytest.raises(ValueError, match="keras.Input"):
        count_flops(model)
