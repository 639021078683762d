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


def test_resnet_lite_flops_equal_the_hand_count():
    stem = 2 * 28 * 28 * 16 * 3 * 3 * 1
    # stage 1, one block at 28x28x16: two 3x3 convs, identity shortcut
    stage1 = 2 * (2 * 28 * 28 * 16 * 3 * 3 * 16)
    # stage 2, 16 -> 32 at stride 2 (14x14): two 3x3 convs and a 1x1 projection shortcut
    stage2 = 2 * 14 * 14 * 32 * (3 * 3 * 16 + 3 * 3 * 32 + 1 * 1 * 16)
    # stage 3, 32 -> 64 at stride 2 (7x7): the same
    stage3 = 2 * 7 * 7 * 64 * (3 * 3 * 32 + 3 * 3 * 64 + 1 * 1 * 32)
    gap = 7 * 7 * 64
    out = 2 * 64 * 10
    model = architectures.create("resnet_lite")
    assert count_flops(model) == stem + stage1 + stage2 + stage3 + gap + out


def _inverted_residual(size_in: int, size_out: int, c_in: int, t: int, c_out: int) -> int:
    """A MobileNetV2 block's FLOPs: 1x1 expansion (none when t is 1) at the input size, 3x3
    depthwise (one kernel per channel: no sum over input channels) and 1x1 projection at
    the output size."""
    mid = t * c_in
    expand = 2 * size_in * size_in * mid * c_in if t != 1 else 0
    depthwise = 2 * size_out * size_out * 3 * 3 * mid
    project = 2 * size_out * size_out * c_out * mid
    return expand + depthwise + project


def test_mobilenet_lite_flops_equal_the_hand_count():
    stem = 2 * 28 * 28 * 32 * 3 * 3 * 1
    blocks = [
        _inverted_residual(28, 28, 32, 1, 16),  # block0: t=1, no expansion
        _inverted_residual(28, 14, 16, 6, 24),  # block1: 96 mid, stride 2
        _inverted_residual(14, 14, 24, 6, 24),  # block2: 144 mid
        _inverted_residual(14, 7, 24, 6, 32),  # block3: 144 mid, stride 2
        _inverted_residual(7, 7, 32, 6, 32),  # block4: 192 mid
        _inverted_residual(7, 7, 32, 6, 32),  # block5
        _inverted_residual(7, 7, 32, 6, 64),  # block6: 192 mid
        _inverted_residual(7, 7, 64, 6, 64),  # block7: 384 mid
        _inverted_residual(7, 7, 64, 6, 64),  # block8
    ]
    head = 2 * 7 * 7 * 256 * 1 * 1 * 64
    gap = 7 * 7 * 256
    out = 2 * 256 * 10
    model = architectures.create("mobilenet_lite")
    assert count_flops(model) == stem + sum(blocks) + head + gap + out


def test_mlp_flops_equal_the_hand_count():
    fc1 = 2 * 28 * 28 * 512
    fc2 = 2 * 512 * 512
    out = 2 * 512 * 10
    assert count_flops(architectures.create("mlp")) == fc1 + fc2 + out


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
