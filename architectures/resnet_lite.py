"""A small residual network: the CIFAR ResNets' three stages of basic blocks, at ResNet-8 size.

Kept from He et al.'s CIFAR-10 networks (2016, section 4.2): a 3x3 convolution stem, then
three stages of basic blocks (two 3x3 convolutions, each followed by BatchNorm, ReLU after
the first and after the addition) with 16, 32 and 64 channels, the second and third stage
halving the maps with a stride-2 first convolution; global average pooling and one dense
layer. With one block per stage this is MLPerf Tiny's ResNet-8 (Banbury et al. 2021), the
image-classification reference network for microcontrollers.

Adapted to 28x28x1, and why:

* The strides take 28x28 to 14x14 and 7x7, as they take CIFAR's 32x32 to 16x16 and 8x8.
* Where a block changes the width or the map size, its shortcut is a strided 1x1
  convolution with BatchNorm (the paper's option B, also ResNet-8's) rather than
  zero-padding, which needs a custom layer and does not quantize as plainly.
* BatchNorm uses momentum 0.9, as the other nets here do, so that its inference-time
  statistics settle within short runs.

With the default hyperparameters and 10 classes it has exactly 78,426 parameters (77,754
trainable, the rest BatchNorm's moving statistics). The tunable knobs are the first stage's
width (the others are twice and four times it) and the number of blocks per stage (3 gives
ResNet-20's depth).
"""

from __future__ import annotations

from typing import Any

import keras
from keras import layers

from architectures import register
from architectures._layers import conv_bn, conv_bn_relu


def basic_block(x: Any, filters: int, strides: int, name: str) -> Any:
    """Two 3x3 conv + BatchNorm, added to the input (projected when its shape changes)."""
    shortcut = x
    if strides != 1 or x.shape[-1] != filters:
        shortcut = conv_bn(x, filters, 1, strides=strides, name=f"{name}_shortcut")
    y = conv_bn_relu(x, filters, 3, strides=strides, name=f"{name}_conv1")
    y = conv_bn(y, filters, 3, name=f"{name}_conv2")
    y = layers.Add(name=f"{name}_add")([y, shortcut])
    return layers.ReLU(name=f"{name}_relu")(y)


@register(
    name="resnet_lite",
    reference=(
        "He et al. (2016), Deep residual learning for image recognition, CVPR; "
        "Banbury et al. (2021), MLPerf Tiny benchmark (ResNet-8), NeurIPS Datasets and Benchmarks"
    ),
    train=dict(epochs=8, batch_size=128, learning_rate=4e-3),
)
def resnet_lite(input_shape: tuple[int, ...], num_classes: int, hp: Any = None) -> keras.Model:
    """ResNet-8-style: 3x3 stem, three stages of basic blocks (16-32-64), GAP head."""
    width = hp.Choice("width", [8, 16, 24, 32], default=16)
    blocks = hp.Int("blocks_per_stage", 1, 3, default=1)

    inputs = keras.Input(shape=input_shape, name="image")
    x = conv_bn_relu(inputs, width, 3, name="stem")  # 28x28xw
    stages = ((width, 1), (2 * width, 2), (4 * width, 2))  # to 28x28xw, 14x14x2w, 7x7x4w
    for stage, (filters, strides) in enumerate(stages, 1):
        for block in range(1, blocks + 1):
            first_strides = strides if block == 1 else 1  # only a stage's first block strides
            x = basic_block(x, filters, first_strides, name=f"stage{stage}_block{block}")

    x = layers.GlobalAveragePooling2D(name="gap")(x)  # 4w
    outputs = layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="resnet_lite")
