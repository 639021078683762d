"""Building blocks that several architecture families share."""

from __future__ import annotations

from typing import Any

from keras import layers


def conv_bn(x: Any, filters: int, kernel_size: int = 3, *, strides: int = 1, name: str) -> Any:
    """Convolution -> BatchNorm, no activation; no conv bias, BatchNorm supplies one."""
    x = layers.Conv2D(
        filters, kernel_size, strides=strides, padding="same", use_bias=False, name=name
    )(x)
    # Keras' default momentum (0.99) leaves the inference-time statistics near their
    # initial values for hundreds of steps; short benchmark runs need them sooner.
    return layers.BatchNormalization(momentum=0.9, name=f"{name}_bn")(x)


def conv_bn_relu(
    x: Any,
    filters: int,
    kernel_size: int = 3,
    *,
    strides: int = 1,
    max_value: float | None = None,
    name: str,
) -> Any:
    """Convolution -> BatchNorm -> ReLU (capped at ``max_value``: 6.0 gives ReLU6)."""
    x = conv_bn(x, filters, kernel_size, strides=strides, name=name)
    return layers.ReLU(max_value, name=f"{name}_relu")(x)
