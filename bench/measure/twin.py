"""The float32 twin of a trained model: the same network and weights computing in float32
throughout, which is what the exporters and inference runtimes take."""

from __future__ import annotations

from typing import Any


def in_float32(model) -> Any:
    """``model``'s network and weights computing in float32 throughout: what the exporters and
    inference runtimes take (a mixed-precision model mixes 16-bit and float32 ops, which the
    ONNX and LiteRT converters refuse). A float32 model comes back as it is."""
    import keras

    if all(layer.dtype_policy.name == "float32" for layer in model.layers):
        return model
    config = _float32_policies(keras.saving.serialize_keras_object(model))
    copy = keras.saving.deserialize_keras_object(config)
    copy.set_weights(model.get_weights())
    return copy


def _float32_policies(node: Any) -> Any:
    if isinstance(node, dict):
        if node.get("class_name") == "DTypePolicy":
            return {**node, "config": {**node.get("config", {}), "name": "float32"}}
        return {key: _float32_policies(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_float32_policies(value) for value in node]
    return node
