"""The two-block CNN from a widely copied Kaggle "Digit Recognizer" notebook.

Written for 28x28x1 digits to begin with, so nothing is adapted: two 5x5 convolutions,
pooling, two 3x3 convolutions, pooling, a 256-unit dense layer, with dropout after each
stage. With the default hyperparameters and 10 classes it has exactly 887,530 parameters.
The tunable knobs are the width and dropout of the dense head, where most of the
parameters sit.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import layers

from architectures import register


@register(
    name="custom_cnn",
    reference=(
        'Y. Ghouzam (2017), "Introduction to CNN Keras - 0.997 (top 6%)", '
        "Kaggle Digit Recognizer notebook"
    ),
    train=dict(epochs=8, batch_size=128, learning_rate=4e-3),
)
def custom_cnn(input_shape: tuple[int, ...], num_classes: int, hp: Any = None) -> keras.Model:
    """Kaggle-style CNN: two conv5x5(32), two conv3x3(64), dense 256, dropout throughout."""
    dense_units = hp.Choice("dense_units", [128, 256, 512], default=256)
    dropout = hp.Float("dropout", 0.2, 0.6, step=0.1, default=0.5)

    inputs = keras.Input(shape=input_shape, name="image")
    x = layers.Conv2D(32, 5, padding="same", activation="relu", name="block1_conv1")(inputs)
    x = layers.Conv2D(32, 5, padding="same", activation="relu", name="block1_conv2")(x)
    x = layers.MaxPooling2D(2, name="block1_pool")(x)  # 14x14x32
    x = layers.Dropout(0.2, name="block1_dropout")(x)

    x = layers.Conv2D(64, 3, padding="same", activation="relu", name="block2_conv1")(x)
    x = layers.Conv2D(64, 3, padding="same", activation="relu", name="block2_conv2")(x)
    x = layers.MaxPooling2D(2, name="block2_pool")(x)  # 7x7x64
    x = layers.Dropout(0.25, name="block2_dropout")(x)

    x = layers.Flatten(name="flatten")(x)  # 3136
    x = layers.Dense(dense_units, activation="relu", name="fc")(x)
    x = layers.Dropout(dropout, name="fc_dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="custom_cnn")
