"""A multilayer perceptron: the baseline without convolutions that the CNNs have to beat.

The fully connected networks of LeCun et al.'s comparison on MNIST (1998, section III.C:
one or two hidden layers of 100 to 1000 units), sized and regularised as the Keras example
"mnist_mlp" is: two hidden layers of 512 ReLU units (the paper's were sigmoid-like), each
followed by dropout 0.2. Nothing is adapted to 28x28: the image is flattened to 784 inputs,
so the first layer holds most of the parameters and the net sees no spatial structure at all.

With the default hyperparameters and 10 classes (two hidden layers of 512 units) it has
exactly 669,706 parameters. The tunable knobs are the width and number of hidden layers and
the dropout.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import layers

from architectures import register


@register(
    name="mlp",
    reference=(
        "LeCun, Bottou, Bengio & Haffner (1998), Gradient-based learning applied to document "
        "recognition, Proc. IEEE (its fully connected baselines)"
    ),
    train=dict(epochs=8, batch_size=128, learning_rate=4e-3),
)
def mlp(input_shape: tuple[int, ...], num_classes: int, hp: Any = None) -> keras.Model:
    """Multilayer perceptron: flattened image, two dense 512 ReLU layers with dropout."""
    units = hp.Choice("units", [128, 256, 512, 1024], default=512)
    depth = hp.Int("hidden_layers", 1, 3, default=2)
    dropout = hp.Float("dropout", 0.0, 0.5, step=0.1, default=0.2)

    inputs = keras.Input(shape=input_shape, name="image")
    x = layers.Flatten(name="flatten")(inputs)  # 784
    for i in range(1, depth + 1):
        x = layers.Dense(units, activation="relu", name=f"fc{i}")(x)  # units
        x = layers.Dropout(dropout, name=f"fc{i}_dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="mlp")
