"""A small MobileNetV2: inverted residual blocks with linear bottlenecks, scaled to 28x28x1.

Kept from MobileNetV2: the inverted residual block (a 1x1 convolution expanding the channels
six-fold, BatchNorm, ReLU6; a 3x3 depthwise convolution, BatchNorm, ReLU6; a linear 1x1
projection back down, BatchNorm and no activation), added to its input where the stride is 1
and the width does not change; the first block without the expansion; the paper's table of
stages, t (expansion), c (channels), n (blocks) and s (first block's stride); a 1x1
convolution widening the last stage before global average pooling; channel counts rounded to
multiples of 8 after the width multiplier, and that last convolution never narrowed by it.

Adapted to 28x28x1, and why:

* The stem convolution has stride 1 (the paper's has 2) and so does the 64-channel stage:
  the maps go 28 -> 14 -> 7 over the 24- and 32-channel stages, where the paper's go
  224 -> 7 over five strides. Shrinking a 28x28 image as fast would leave 1x1 maps.
* The table stops after the 64-channel stage, with three blocks there instead of four; the
  96-, 160- and 320-channel stages would multiply the parameters for maps of 7x7.
* The last convolution widens to 256 channels (four times the last stage, as the paper's
  1280 is of its 320), and dropout 0.2 precedes the classifier, as in the reference
  implementation (TF-slim).
* BatchNorm uses momentum 0.9, as the other nets here do, so that its inference-time
  statistics settle within short runs.

With the default hyperparameters and 10 classes it has exactly 212,234 parameters (203,978
trainable, the rest BatchNorm's moving statistics). The tunable knobs are the width multiplier
(the paper's alpha: 0.5 gives 71,194 parameters) and the dropout.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import layers

from architectures import register
from architectures._layers import conv_bn, conv_bn_relu

# MobileNetV2's table from its 16-channel stage on: (expansion t, channels c, blocks n, stride s).
STAGES: tuple[tuple[int, int, int, int], ...] = (
    (1, 16, 1, 1),  # 28x28x16
    (6, 24, 2, 2),  # 14x14x24
    (6, 32, 3, 2),  # 7x7x32
    (6, 64, 3, 1),  # 7x7x64
)
STEM_CHANNELS = 32
HEAD_CHANNELS = 256


def make_divisible(value: float, divisor: int = 8) -> int:
    """``value`` rounded to the nearest multiple of ``divisor``, never more than 10% below it
    (MobileNetV2's rounding of channel counts, so that they map well onto hardware)."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def inverted_residual(x: Any, expansion: int, filters: int, strides: int, name: str) -> Any:
    """1x1 expansion, 3x3 depthwise, linear 1x1 projection; a residual add when shapes allow."""
    in_channels = x.shape[-1]
    y = x
    if expansion != 1:
        y = conv_bn_relu(y, expansion * in_channels, 1, max_value=6.0, name=f"{name}_expand")
    y = layers.DepthwiseConv2D(
        3, strides=strides, padding="same", use_bias=False, name=f"{name}_depthwise"
    )(y)
    y = layers.BatchNormalization(momentum=0.9, name=f"{name}_depthwise_bn")(y)
    y = layers.ReLU(6.0, name=f"{name}_depthwise_relu")(y)
    y = conv_bn(y, filters, 1, name=f"{name}_project")  # linear: ReLU here would lose information
    if strides == 1 and in_channels == filters:
        y = layers.Add(name=f"{name}_add")([x, y])
    return y


@register(
    name="mobilenet_lite",
    reference=(
        "Sandler et al. (2018), MobileNetV2: Inverted residuals and linear bottlenecks, CVPR"
    ),
    # Float32: on a CPU with native bfloat16 its depthwise convolutions train much slower in
    # bfloat16 (benchmarks/training_throughput.py: 153 images/s against 256, median of 3).
    train=dict(epochs=8, batch_size=128, learning_rate=4e-3, precision="float32"),
)
def mobilenet_lite(input_shape: tuple[int, ...], num_classes: int, hp: Any = None) -> keras.Model:
    """MobileNetV2-style: inverted residual blocks (16-24-32-64, expansion 6), 1x1 head, GAP."""
    alpha = hp.Choice("width_multiplier", [0.5, 0.75, 1.0, 1.4], default=1.0)
    dropout = hp.Float("dropout", 0.0, 0.5, step=0.1, default=0.2)

    inputs = keras.Input(shape=input_shape, name="image")
    stem = make_divisible(STEM_CHANNELS * alpha)
    x = conv_bn_relu(inputs, stem, 3, max_value=6.0, name="stem")  # 28x28x32 at alpha 1.0
    block = 0
    for expansion, channels, repeats, strides in STAGES:  # to 28x28, 14x14, 7x7, 7x7
        for i in range(repeats):
            first_strides = strides if i == 0 else 1  # only a stage's first block strides
            filters = make_divisible(channels * alpha)
            x = inverted_residual(x, expansion, filters, first_strides, name=f"block{block}")
            block += 1
    # The paper narrows every layer but this last one for alpha below 1.
    head = make_divisible(HEAD_CHANNELS * max(alpha, 1.0))
    x = conv_bn_relu(x, head, 1, max_value=6.0, name="head")  # 7x7x256

    x = layers.GlobalAveragePooling2D(name="gap")(x)  # 256
    x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="mobilenet_lite")
