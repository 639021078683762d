"""Building blocks that several architecture families share."""

from __future__ import annotations

from typing import Any

from keras import layers


def conv_bn_relu(x: Any, filters: int, kernel_size: int = 3, *, name: str) -> Any:
    """Convolution -> BatchNorm -> ReLU; no conv bias, BatchNorm supplies one."""
    x = layers.Conv2D(filters, kernel_size, padding="same", use_bias=False, name=name)(x)
    # Keras' default momentum (0.99) leaves the inference-time statistics near their
    # initial values for hundreds of steps; short benchmark runs need them sooner.
    x = layers.BatchNormalization(momentum=0.9, name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)
