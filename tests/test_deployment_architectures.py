"""The nets made for small devices (resnet_lite, mobilenet_lite) and the dense baseline (mlp):
their blocks, their knobs, and their int8 export. Parameter counts and FLOPs are pinned beside
the other built-ins' (test_architectures.py, test_flops.py)."""

from __future__ import annotations

import functools

import keras
import keras_tuner
import numpy as np
import pytest
import tensorflow as tf
from keras import layers

import architectures
from architectures.mobilenet_lite import make_divisible

NETS = ["resnet_lite", "mobilenet_lite", "mlp"]


@functools.cache
def built(name: str, input_shape: tuple[int, ...] = (28, 28, 1), **values: object) -> keras.Model:
    """``name`` built with the hyperparameters in ``values`` fixed, the rest at their defaults."""
    hp = keras_tuner.HyperParameters()
    for key, value in values.items():
        hp.Fixed(key, value)
    return architectures.create(name, input_shape=input_shape, hp=hp)


def names_of(model: keras.Model, kind: type) -> list[str]:
    return [layer.name for layer in model.layers if isinstance(layer, kind)]


def test_a_smaller_width_multiplier_gives_fewer_parameters():
    counts = [built("mobilenet_lite", width_multiplier=a).count_params() for a in (0.5, 1.0, 1.4)]
    assert counts == sorted(counts) and len(set(counts)) == 3
    assert counts[0] == 71_194  # as the docstring says


@pytest.mark.parametrize(
    ("value", "rounded"),
    [(32, 32), (12, 16), (18, 24), (22.4, 24), (44.8, 48), (89.6, 88), (4, 8)],
)
def test_channel_counts_round_to_the_nearest_multiple_of_8_never_10_percent_below(value, rounded):
    assert make_divisible(value) == rounded


def test_every_mobilenet_lite_layer_at_width_0_75_has_a_multiple_of_8_channels():
    model = built("mobilenet_lite", width_multiplier=0.75)
    widths = {layer.name: layer.output.shape[-1] for layer in model.layers[1:-3]}
    assert all(width % 8 == 0 for width in widths.values()), widths


def test_mobilenet_lite_adds_a_blocks_input_back_only_at_stride_1_and_unchanged_width():
    # block0 16 channels; block1 and block3 stride 2; block6 widens 32 -> 64.
    model = built("mobilenet_lite")
    assert names_of(model, layers.Add) == [f"block{i}_add" for i in (2, 4, 5, 7, 8)]


def test_mobilenet_lite_caps_every_relu_at_6_and_keeps_the_projections_linear():
    model = built("mobilenet_lite")
    relus = [layer for layer in model.layers if isinstance(layer, layers.ReLU)]
    assert relus and all(float(relu.max_value) == 6.0 for relu in relus)
    projections = [name for name in names_of(model, layers.Conv2D) if name.endswith("_project")]
    assert len(projections) == 9
    relu_inputs = [relu.input for relu in relus]
    for name in projections:
        projected = model.get_layer(f"{name}_bn").output
        assert not any(tensor is projected for tensor in relu_inputs), name


@pytest.mark.parametrize(("blocks", "depth"), [(1, 8), (3, 20)])
def test_resnet_lite_with_n_blocks_per_stage_is_resnet_6n_plus_2(blocks, depth):
    model = built("resnet_lite", blocks_per_stage=blocks)
    convs = [name for name in names_of(model, layers.Conv2D) if not name.endswith("_shortcut")]
    assert len(convs) + len(names_of(model, layers.Dense)) == depth
    assert len(names_of(model, layers.Add)) == 3 * blocks


def test_resnet_lite_projects_the_shortcut_only_where_a_stage_changes_shape():
    model = built("resnet_lite", blocks_per_stage=2)
    shortcuts = [name for name in names_of(model, layers.Conv2D) if name.endswith("_shortcut")]
    assert shortcuts == ["stage2_block1_shortcut", "stage3_block1_shortcut"]
    assert model.get_layer("stage3_block1_shortcut").output.shape[1:] == (7, 7, 64)


def test_mlp_has_as_many_hidden_layers_as_asked_each_as_wide_as_asked():
    model = built("mlp", hidden_layers=3, units=128)
    assert [layer.units for layer in model.layers if isinstance(layer, layers.Dense)] == [
        128,
        128,
        128,
        10,
    ]
    assert len(names_of(model, layers.Dropout)) == 3


@pytest.mark.parametrize("name", NETS)
def test_builds_for_8x8_images(name):
    assert built(name, input_shape=(8, 8, 1)).output_shape == (None, 10)


@pytest.mark.parametrize("name", NETS)
def test_converts_to_a_full_integer_int8_litert_model(name, tmp_path):
    from ai_edge_litert.interpreter import Interpreter

    images = np.random.default_rng(0).random((8, 28, 28, 1), dtype=np.float32)
    path = tmp_path / f"{name}.tflite"
    built(name).export(
        str(path),
        format="litert",
        verbose=False,
        optimizations=[tf.lite.Optimize.DEFAULT],
        representative_dataset=lambda: ([images[i : i + 1]] for i in range(len(images))),
        target_spec={"supported_ops": [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]},
        inference_input_type=tf.int8,
        inference_output_type=tf.int8,
    )
    interpreter = Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    (source,), (target,) = interpreter.get_input_details(), interpreter.get_output_details()
    interpreter.set_tensor(source["index"], np.zeros((1, 28, 28, 1), np.int8))
    interpreter.invoke()
    assert interpreter.get_tensor(target["index"]).dtype == np.int8
    assert tuple(interpreter.get_tensor(target["index"]).shape) == (1, 10)
