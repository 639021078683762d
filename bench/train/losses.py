"""The loss a run trains on: cross-entropy on integer labels, label-smoothed if asked."""

from __future__ import annotations

from typing import Any

import keras


@keras.saving.register_keras_serializable(package="mnist_bench")
class SmoothedCrossentropy(keras.losses.Loss):
    """Cross-entropy on integer labels against targets that give ``label_smoothing`` of
    each label's weight evenly to every class. Keras' sparse cross-entropy has no smoothing,
    so the labels are made one-hot first."""

    def __init__(self, label_smoothing: float, name: str = "smoothed_crossentropy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.label_smoothing = label_smoothing

    def call(self, y_true, y_pred):
        labels = keras.ops.reshape(keras.ops.cast(y_true, "int32"), (-1,))
        targets = keras.ops.one_hot(labels, keras.ops.shape(y_pred)[-1], dtype=y_pred.dtype)
        return keras.losses.categorical_crossentropy(
            targets, y_pred, label_smoothing=self.label_smoothing
        )

    def get_config(self) -> dict:
        return {**super().get_config(), "label_smoothing": self.label_smoothing}


def training_loss(label_smoothing: float = 0.0) -> Any:
    """Keras' sparse cross-entropy, or ``SmoothedCrossentropy`` for a smoothing above 0."""
    if not label_smoothing:
        return "sparse_categorical_crossentropy"
    return SmoothedCrossentropy(label_smoothing)
