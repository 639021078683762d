"""Training-time augmentation: small rotations, zooms and shifts, never flips.

A flip turns a 6 into a 9, so only label-preserving geometric jitter is used.
The layers run inside the tf.data pipeline on training batches only.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class AugmentConfig:
    """Augmentation ranges at ``strength`` 1.0; ``strength`` scales them all."""

    rotation_degrees: float = 10.0
    zoom: float = 0.10
    shift: float = 0.10  # fraction of height and width
    strength: float = 1.0


def build_augmenter(config: AugmentConfig = AugmentConfig(), seed: int | None = None):
    """A ``keras.Sequential`` of random rotation, zoom and translation layers."""
    import keras
    from keras import layers

    s = config.strength
    rotation = config.rotation_degrees * s / 360.0  # Keras takes a fraction of a full turn
    return keras.Sequential(
        [
            layers.RandomRotation(rotation, fill_mode="constant", seed=seed, name="rotate"),
            layers.RandomZoom(config.zoom * s, fill_mode="constant", seed=seed, name="zoom"),
            layers.RandomTranslation(
                config.shift * s, config.shift * s, fill_mode="constant", seed=seed, name="shift"
            ),
        ],
        name="augment",
    )
