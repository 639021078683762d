"""A small VGG: blocks of stacked 3x3 convolutions, doubling the width after each pooling.

Kept from VGG: only 3x3 convolutions, two per block so that a block sees 5x5 with fewer
weights and one more nonlinearity, max-pooling between blocks, and width doubling as the
maps halve.

Adapted to 28x28x1, and why:

* Three blocks instead of five: after three 2x2 poolings a 28x28 image is down to 3x3.
* 32-64-128 channels at the default ``width`` instead of 64-128-256-512-512, keeping the
  forward pass near 60 MFLOP.
* BatchNorm after every convolution (which the original predates) so that it trains
  from scratch in a few epochs without the paper's staged initialisation.
* One 256-unit dense layer with dropout instead of two 4096-unit ones.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import layers

from architectures import register
from architectures._layers import conv_bn_relu


def vgg_block(x: Any, filters: int, name: str) -> Any:
    """Two 3x3 convolutions and a 2x2 max-pool."""
    x = conv_bn_relu(x, filters, name=f"{name}_conv1")
    x = conv_bn_relu(x, filters, name=f"{name}_conv2")
    return layers.MaxPooling2D(2, name=f"{name}_pool")(x)


@register(
    name="vgg_lite",
    reference=(
        "Simonyan & Zisserman (2015), Very deep convolutional networks for large-scale "
        "image recognition, ICLR"
    ),
    train=dict(epochs=8, batch_size=128, learning_rate=4e-3),
)
def vgg_lite(input_shape: tuple[int, ...], num_classes: int, hp: Any = None) -> keras.Model:
    """VGG-style: three blocks of two 3x3 convs (32-64-128) with BatchNorm, dense 256 head."""
    width = hp.Int("width", 16, 64, step=16, default=32)
    dense_units = hp.Choice("dense_units", [128, 256, 512], default=256)
    dropout = hp.Float("dropout", 0.2, 0.6, step=0.1, default=0.5)

    inputs = keras.Input(shape=input_shape, name="image")
    x = vgg_block(inputs, width, name="block1")  # 14x14xw
    x = vgg_block(x, 2 * width, name="block2")  # 7x7x2w
    x = vgg_block(x, 4 * width, name="block3")  # 3x3x4w

    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(dense_units, activation="relu", name="fc")(x)
    x = layers.Dropout(dropout, name="fc_dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="vgg_lite")
