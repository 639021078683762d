"""Forward-pass FLOPs per image, counted layer by layer from the built model's shapes.

Convention (what the tests count by hand):

* A multiply-add is 2 FLOPs.
* Convolutions (``Conv1D/2D/3D``, their ``Transpose`` variants, ``DepthwiseConv1D/2D``,
  ``SeparableConv1D/2D``) and ``Dense``: 2 x multiply-adds, respecting ``groups`` and
  ``depth_multiplier``. For ``Conv2D`` that is
  ``2 * out_h * out_w * out_channels * k_h * k_w * in_channels / groups``.
  Bias additions and activations are not counted.
* Max/average pooling: one FLOP per window element per output element
  (``pool_h * pool_w * out_h * out_w * channels``).
* Global average/max pooling: one FLOP per input element.
* A layer with a ``flops(input_shape, output_shape)`` method: what that method returns.
  This is the extension point for custom layers; the shapes exclude the batch axis
  (a list of shapes for a layer with several inputs). It takes precedence over the rules
  above, so a subclass of ``Conv2D`` can report its own cost.
* Everything else (BatchNorm, Dropout, Flatten, Reshape, Concatenate, Add, padding,
  activations, Rescaling, augmentation layers, ...) counts 0.

Nested models are counted through their layers. Shapes come from each layer's first call
(so a layer called several times is counted once); the model must have been built on a
``keras.Input``, as functional models, Sequential models given an input shape, and models
loaded from ``.keras`` files are. Nothing is traced or run, so counting is instantaneous.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import keras
from keras import layers

_CONV = (layers.Conv1D, layers.Conv2D, layers.Conv3D)
_CONV_TRANSPOSE = (layers.Conv1DTranspose, layers.Conv2DTranspose, layers.Conv3DTranspose)
_DEPTHWISE = (layers.DepthwiseConv1D, layers.DepthwiseConv2D)
_SEPARABLE = (layers.SeparableConv1D, layers.SeparableConv2D)
_POOL = (
    layers.MaxPooling1D,
    layers.MaxPooling2D,
    layers.MaxPooling3D,
    layers.AveragePooling1D,
    layers.AveragePooling2D,
    layers.AveragePooling3D,
)
_GLOBAL_POOL = (
    layers.GlobalAveragePooling1D,
    layers.GlobalAveragePooling2D,
    layers.GlobalAveragePooling3D,
    layers.GlobalMaxPooling1D,
    layers.GlobalMaxPooling2D,
    layers.GlobalMaxPooling3D,
)


@dataclasses.dataclass(frozen=True)
class LayerFlops:
    """One layer's forward FLOPs per image; ``name`` is ``outer/inner`` inside nested models."""

    name: str
    kind: str
    flops: int


def layer_flops(model: keras.Model) -> list[LayerFlops]:
    """Forward FLOPs per image of every layer, in model order, nested models flattened."""
    return list(_walk(model, prefix=""))


def count_flops(model: keras.Model) -> int:
    """Total forward FLOPs per image."""
    return sum(row.flops for row in layer_flops(model))


def _walk(model: keras.Model, prefix: str) -> Any:
    for layer in model.layers:
        if isinstance(layer, layers.InputLayer):
            continue
        if isinstance(layer, keras.Model):
            yield from _walk(layer, prefix=f"{prefix}{layer.name}/")
            continue
        yield LayerFlops(f"{prefix}{layer.name}", type(layer).__name__, _flops(layer))


def _flops(layer: Any) -> int:
    custom = getattr(layer, "flops", None)
    if callable(custom):
        return int(custom(_shape(layer, "input"), _shape(layer, "output")))
    if isinstance(layer, _DEPTHWISE):
        spatial, _ = _split(layer, _shape(layer, "output"))
        _, in_ch = _split(layer, _shape(layer, "input"))
        kernel = math.prod(layer.kernel_size)
        return 2 * _prod(spatial) * kernel * in_ch * layer.depth_multiplier
    if isinstance(layer, _SEPARABLE):
        spatial, out_ch = _split(layer, _shape(layer, "output"))
        _, in_ch = _split(layer, _shape(layer, "input"))
        mid_ch = in_ch * layer.depth_multiplier
        kernel = math.prod(layer.kernel_size)
        return 2 * _prod(spatial) * (kernel * mid_ch + mid_ch * out_ch)
    if isinstance(layer, _CONV_TRANSPOSE):
        # Every input pixel scatters a kernel-sized patch into every output channel.
        spatial, in_ch = _split(layer, _shape(layer, "input"))
        out_ch = layer.filters
        return 2 * _prod(spatial) * math.prod(layer.kernel_size) * in_ch * out_ch
    if isinstance(layer, _CONV):
        spatial, out_ch = _split(layer, _shape(layer, "output"))
        _, in_ch = _split(layer, _shape(layer, "input"))
        kernel = math.prod(layer.kernel_size)
        return 2 * _prod(spatial) * out_ch * kernel * (in_ch // layer.groups)
    if isinstance(layer, layers.Dense):
        in_shape = _shape(layer, "input")
        return 2 * _prod(in_shape) * layer.units
    if isinstance(layer, _POOL):
        return math.prod(layer.pool_size) * _prod(_shape(layer, "output"))
    if isinstance(layer, _GLOBAL_POOL):
        return _prod(_shape(layer, "input"))
    return 0


def _shape(layer: Any, which: str) -> Any:
    """The per-image shape of a layer's first-call input or output (a list if several)."""
    try:
        tensors = getattr(layer, which)
    except (AttributeError, ValueError) as exc:
        raise ValueError(
            f"layer '{layer.name}' has no known {which} shape; build the model on a "
            "keras.Input before counting FLOPs"
        ) from exc
    if isinstance(tensors, (list, tuple)):
        return [tuple(t.shape[1:]) for t in tensors]
    return tuple(tensors.shape[1:])


def _split(layer: Any, shape: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
    """(spatial dims, channels) of a per-image conv/pool shape."""
    if getattr(layer, "data_format", "channels_last") == "channels_first":
        return shape[1:], shape[0]
    return shape[:-1], shape[-1]


def _prod(shape: tuple[int | None, ...]) -> int:
    if any(d is None for d in shape):
        raise ValueError(f"cannot count FLOPs for a variable shape {shape}; fix the input size")
    return math.prod(shape)
