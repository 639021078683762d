"""AlexNet's design ideas scaled down from 224x224x3 photographs to 28x28x1 digits.

Kept from AlexNet: a large first kernel, five convolutions (the middle three 3x3 and
unpooled), overlapping 3x3/stride-2 max-pooling, ReLU, and a wide two-layer dense head
regularised with dropout 0.5.

Adapted, and why:

* The first convolution is 7x7 with stride 1 (the original is 11x11 with stride 4): on a
  28x28 image a stride of 4 would throw away most of each stroke before any feature is
  learnt.
* Channel counts are about a third of the original's 96-256-384-384-256 (32-88-128-128-88
  at ``width`` 1.0), keeping the forward pass near 70 MFLOP.
* BatchNorm replaces local response normalisation, which later work found adds little;
  BatchNorm also lets the net train quickly at a standard learning rate.
* Pooling uses "same" padding (28 -> 14 -> 7 -> 4) so the small maps are not cropped.
* The two GPU columns of the original are one column here.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import layers

from architectures import register
from architectures._layers import conv_bn_relu

CHANNELS = (32, 88, 128, 128, 88)  # conv1..conv5 at width 1.0


@register(
    name="alexnet_style",
    reference=(
        "Krizhevsky, Sutskever & Hinton (2012), ImageNet classification with deep "
        "convolutional neural networks, NeurIPS"
    ),
    train=dict(epochs=8, batch_size=128, learning_rate=4e-3),
)
def alexnet_style(input_shape: tuple[int, ...], num_classes: int, hp: Any = None) -> keras.Model:
    """AlexNet-style: 7x7 first kernel, 5 convs, overlapping pooling, BatchNorm, 2x1024 head."""
    width = hp.Choice("width", [0.5, 1.0, 1.5], default=1.0)
    dense_units = hp.Choice("dense_units", [512, 1024, 2048], default=1024)
    dropout = hp.Float("dropout", 0.2, 0.6, step=0.1, default=0.5)
    c1, c2, c3, c4, c5 = (max(8, round(c * width)) for c in CHANNELS)

    inputs = keras.Input(shape=input_shape, name="image")
    x = conv_bn_relu(inputs, c1, 7, name="conv1")  # 28x28xc1
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="pool1")(x)  # 14x14
    x = conv_bn_relu(x, c2, 5, name="conv2")  # 14x14xc2
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="pool2")(x)  # 7x7
    x = conv_bn_relu(x, c3, 3, name="conv3")  # 7x7xc3
    x = conv_bn_relu(x, c4, 3, name="conv4")
    x = conv_bn_relu(x, c5, 3, name="conv5")
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="pool5")(x)  # 4x4xc5

    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(dense_units, activation="relu", name="fc6")(x)
    x = layers.Dropout(dropout, name="fc6_dropout")(x)
    x = layers.Dense(dense_units, activation="relu", name="fc7")(x)
    x = layers.Dropout(dropout, name="fc7_dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="alexnet_style")
