"""BatchNorm folding: an inference copy of a model with the same outputs and fewer ops.

At inference a BatchNormalization layer is a fixed per-channel affine map, ``y = s * x + t``
with ``s = gamma / sqrt(variance + epsilon)`` and ``t = beta - s * mean``. When it directly
follows a linear convolution or dense layer whose output nothing else reads, the map folds
into that layer: kernel times ``s`` along the output channels, bias ``s * bias + t``. LiteRT's
and ONNX's converters do the same; the compiled Keras path does it here, because at batch 1
each of a small network's many ops costs more in dispatch than in arithmetic.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

# Layers whose kernel keeps output channels on its last axis, as BatchNorm's axis -1 needs.
FOLDABLE = (layers.Conv1D, layers.Conv2D, layers.Conv3D, layers.Dense)


@keras.saving.register_keras_serializable(package="mnist_bench")
class FoldedBatchNorm(layers.Layer):
    """Where a folded BatchNormalization stood: passes its input through unchanged."""

    def call(self, inputs, training=None, mask=None):
        return inputs


def fold_batchnorm(model: keras.Model) -> keras.Model:
    """``model`` for inference with each foldable BatchNormalization merged into the layer
    feeding it; ``model`` itself when nothing folds (a subclassed model, say).

    The original is left untouched. Outputs agree to float rounding (about 1e-7).
    """
    pairs = foldable_pairs(model)
    if not pairs:
        return model
    folded = {norm.name: source for source, norm in pairs}
    sources = {source.name: norm for source, norm in pairs}

    def clone(layer):
        if layer.name in folded:
            return FoldedBatchNorm(name=layer.name)
        config = layer.get_config()
        if layer.name in sources:
            config["use_bias"] = True
        return layer.__class__.from_config(config)

    copy = keras.models.clone_model(model, clone_function=clone)
    for layer in model.layers:
        if layer.name in folded or not layer.weights:
            continue
        target = copy.get_layer(layer.name)
        if layer.name in sources:
            target.set_weights(_folded_weights(layer, sources[layer.name]))
        else:
            target.set_weights(layer.get_weights())
    return copy


def foldable_pairs(model: keras.Model) -> list[tuple[layers.Layer, layers.BatchNormalization]]:
    """(layer, batch norm) pairs that fold: the norm reads only that layer's output, which
    nothing else reads; the layer is linear (no activation) and channels-last."""
    pairs = []
    for norm in model.layers:
        if not isinstance(norm, layers.BatchNormalization) or len(norm._inbound_nodes) != 1:
            continue
        source = norm._inbound_nodes[0].input_tensors[0]._keras_history.operation
        if (
            isinstance(source, FOLDABLE)
            and len(source._inbound_nodes) == 1
            and len(source._outbound_nodes) == 1
            and source.activation is keras.activations.linear
            and getattr(source, "data_format", "channels_last") == "channels_last"
            and norm.axis in (-1, len(norm.input.shape) - 1)
        ):
            pairs.append((source, norm))
    return pairs


def _folded_weights(source: layers.Layer, norm: layers.BatchNormalization) -> list[np.ndarray]:
    weights = source.get_weights()
    kernel = weights[0]
    bias = weights[1] if source.use_bias else np.zeros(kernel.shape[-1], kernel.dtype)
    mean = np.asarray(norm.moving_mean)
    variance = np.asarray(norm.moving_variance)
    gamma = np.asarray(norm.gamma) if norm.scale else np.ones_like(mean)
    beta = np.asarray(norm.beta) if norm.center else np.zeros_like(mean)
    scale = gamma / np.sqrt(variance + norm.epsilon)
    return [
        (kernel * scale).astype(kernel.dtype),
        ((bias - mean) * scale + beta).astype(bias.dtype),
    ]
