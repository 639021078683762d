"""BatchNormalization trained with TensorFlow's fused kernel: the same layer, fewer ops.

Keras 3 on TensorFlow computes a training-mode BatchNormalization from ``tf.nn.moments`` and
``tf.nn.batch_normalization``: about twenty small, memory-bound ops per layer, forward and
backward, which took about half of ``mobilenet_lite``'s training step (docs/speed.md).
``FusedBatchNormV3`` does the same work in one kernel each way.

``FusedBatchNormalization`` is Keras' layer with only its training-mode ``call`` replaced:
the same variables, the same moving-statistics update (Keras' biased batch variance), the
same inference path and config. A run trains the fused form (``with_fused_batchnorm``) and
saves the Keras form (``with_keras_batchnorm``), so a saved model loads without this
project, and exports see the standard layer. ``bench.identity`` counts the two as one layer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import tensorflow as tf
from keras import layers

# How the layer is named in a saved config; ``bench.identity`` reads it as Keras' own layer.
PACKAGE = "mnist_bench"


@keras.saving.register_keras_serializable(package=PACKAGE)
class FusedBatchNormalization(layers.BatchNormalization):
    """``keras.layers.BatchNormalization`` whose training step runs ``FusedBatchNormV3``
    on 4-D, channels-last inputs; anything else goes through Keras' own code."""

    def call(self, inputs, training=None, mask=None):
        if not (training and self.trainable and self._fusable(inputs, mask)):
            return super().call(inputs, training=training, mask=mask)
        # Keras normalises in float32 whatever the compute dtype; so does this.
        x = tf.cast(inputs, "float32")
        ones = tf.ones_like(self.moving_mean)
        gamma = tf.cast(self.gamma, "float32") if self.scale else ones
        beta = tf.cast(self.beta, "float32") if self.center else tf.zeros_like(ones)
        y, mean, variance = tf.compat.v1.nn.fused_batch_norm(
            x, gamma, beta, epsilon=self.epsilon, data_format="NHWC", is_training=True
        )
        # The kernel returns the unbiased batch variance; Keras averages the biased one.
        count = tf.cast(tf.size(x) // tf.shape(x)[-1], "float32")
        variance = variance * (count - 1.0) / tf.maximum(count, 1.0)
        momentum = self.momentum
        self.moving_mean.assign(self.moving_mean * momentum + mean * (1.0 - momentum))
        self.moving_variance.assign(self.moving_variance * momentum + variance * (1.0 - momentum))
        return tf.cast(y, self.compute_dtype)

    def _fusable(self, inputs, mask) -> bool:
        return (
            mask is None
            and not self.renorm
            and not self.synchronized
            and len(inputs.shape) == 4
            and self.axis in (-1, 3)  # channels last, as the kernel's NHWC needs
        )


def with_fused_batchnorm(model: keras.Model) -> keras.Model:
    """``model`` with every Keras BatchNormalization made a ``FusedBatchNormalization``:
    same weights, same outputs. Models without one are returned as they are."""
    if not any(type(layer) is layers.BatchNormalization for layer in model.layers):
        return model
    return _swapped(model, layers.BatchNormalization, FusedBatchNormalization)


def with_keras_batchnorm(model: keras.Model) -> keras.Model:
    """The inverse of ``with_fused_batchnorm``: what a run saves."""
    if not any(type(layer) is FusedBatchNormalization for layer in model.layers):
        return model
    return _swapped(model, FusedBatchNormalization, layers.BatchNormalization)


def _swapped(model: keras.Model, old: type, new: type) -> keras.Model:
    def clone(layer: Any) -> Any:
        kind: Callable[..., Any] = new if type(layer) is old else type(layer)
        return kind.from_config(layer.get_config())

    copy = keras.models.clone_model(model, clone_function=clone)
    copy.set_weights(model.get_weights())
    return copy
