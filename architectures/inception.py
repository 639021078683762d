"""A small GoogLeNet: Inception v1 modules on a short stem, scaled to 28x28x1.

Kept from GoogLeNet: modules of four parallel branches (1x1; 1x1 -> 3x3; 1x1 -> "5x5";
3x3 max-pool -> 1x1 projection) concatenated along channels, with 1x1 reductions in
front of the expensive convolutions; overlapping 3x3/stride-2 pooling between stages;
global average pooling and dropout 0.4 in place of large dense layers.

Adapted, and why:

* The stem is one 3x3 convolution, a pooling and a second 3x3 convolution (the original
  starts with a 7x7/stride-2 convolution and pools twice, which would leave a 28x28
  image at 7x7 before the first module).
* Two modules run at 14x14 and two at 7x7 (GoogLeNet's 3a, 3b, 4a, 4b) at half their
  original branch widths, 3b a little narrower still, keeping the forward pass near
  70 MFLOP.
* Each 5x5 branch is two stacked 3x3 convolutions, as in the later Inception versions
  (Szegedy et al. 2016): the same receptive field, one more nonlinearity, similar cost.
* BatchNorm after every convolution (also from later versions) replaces the original's
  auxiliary classifiers as the help for training from scratch.
* The 1x1 convolutions that share an input are computed as one (``inception_module``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
from keras import layers, ops

from architectures import register
from architectures._layers import conv_bn_relu

# Branch widths per module: (1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool projection).
MODULES: dict[str, tuple[int, int, int, int, int, int]] = {
    "inc3a": (32, 48, 64, 8, 16, 16),  # 128 channels out
    "inc3b": (48, 48, 80, 16, 32, 32),  # 192
    "inc4a": (96, 48, 104, 8, 24, 32),  # 256
    "inc4b": (80, 56, 112, 12, 32, 32),  # 256
}


def inception_module(x: Any, filters: Sequence[int], name: str) -> Any:
    """Four parallel branches over the same input, concatenated; spatial size unchanged.

    The three 1x1 convolutions that read the module's input (the 1x1 branch and the 3x3 and
    5x5 reductions) run as one convolution whose output channels are then split: the same
    function and parameters as three (BatchNorm and ReLU act per channel), in one larger
    matrix product instead of three small ones, and one BatchNorm instead of three.
    """
    b1, b3_reduce, _, b5_reduce, _, _ = filters
    fused = conv_bn_relu(x, b1 + b3_reduce + b5_reduce, 1, name=f"{name}_1x1")
    branch1, branch3, branch5 = ops.split(fused, [b1, b1 + b3_reduce], axis=-1)
    return _branches(x, branch1, branch3, branch5, filters, name)


def separate_inception_module(x: Any, filters: Sequence[int], name: str) -> Any:
    """The module as GoogLeNet draws it, each branch with its own 1x1 convolution: the same
    function as ``inception_module``, slower. Kept as the reference that the tests and
    ``benchmarks/training_throughput.py --separate-inception`` compare the fused one with."""
    b1, b3_reduce, _, b5_reduce, _, _ = filters
    branch1 = conv_bn_relu(x, b1, 1, name=f"{name}_b1x1")
    branch3 = conv_bn_relu(x, b3_reduce, 1, name=f"{name}_b3x3_reduce")
    branch5 = conv_bn_relu(x, b5_reduce, 1, name=f"{name}_b5x5_reduce")
    return _branches(x, branch1, branch3, branch5, filters, name)


def _branches(
    x: Any, branch1: Any, branch3: Any, branch5: Any, filters: Sequence[int], name: str
) -> Any:
    """The rest of a module after its 1x1 convolutions: the 3x3 and "5x5" convolutions, the
    pooling branch, and the concatenation."""
    _, _, b3, _, b5, pool_proj = filters
    branch3 = conv_bn_relu(branch3, b3, 3, name=f"{name}_b3x3")
    branch5 = conv_bn_relu(branch5, b5, 3, name=f"{name}_b5x5a")
    branch5 = conv_bn_relu(branch5, b5, 3, name=f"{name}_b5x5b")
    branch_pool = layers.MaxPooling2D(3, strides=1, padding="same", name=f"{name}_pool")(x)
    branch_pool = conv_bn_relu(branch_pool, pool_proj, 1, name=f"{name}_pool_proj")
    return layers.Concatenate(name=f"{name}_concat")([branch1, branch3, branch5, branch_pool])


@register(
    name="inception_lite",
    reference="Szegedy et al. (2015), Going deeper with convolutions, CVPR",
    train=dict(epochs=8, batch_size=128, learning_rate=4e-3),
)
def inception_lite(input_shape: tuple[int, ...], num_classes: int, hp: Any = None) -> keras.Model:
    """Inception-style: four Inception v1 modules (two at 14x14, two at 7x7), GAP head."""
    width = hp.Choice("width", [0.5, 1.0, 1.5], default=1.0)
    dropout = hp.Float("dropout", 0.0, 0.6, step=0.1, default=0.4)

    def scale(filters: int) -> int:
        return max(4, round(filters * width))

    inputs = keras.Input(shape=input_shape, name="image")
    x = conv_bn_relu(inputs, scale(32), 3, name="stem_conv1")  # 28x28x32
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="stem_pool")(x)  # 14x14x32
    x = conv_bn_relu(x, scale(64), 3, name="stem_conv2")  # 14x14x64

    x = inception_module(x, [scale(f) for f in MODULES["inc3a"]], name="inc3a")  # 14x14x128
    x = inception_module(x, [scale(f) for f in MODULES["inc3b"]], name="inc3b")  # 14x14x192
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="pool3")(x)  # 7x7x192
    x = inception_module(x, [scale(f) for f in MODULES["inc4a"]], name="inc4a")  # 7x7x256
    x = inception_module(x, [scale(f) for f in MODULES["inc4b"]], name="inc4b")  # 7x7x256

    x = layers.GlobalAveragePooling2D(name="gap")(x)  # 256
    x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="inception_lite")
