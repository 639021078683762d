"""tf.data input pipelines: shuffled, batched, augmented on the fly, prefetched."""

from __future__ import annotations

import numpy as np


def train_dataset(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    seed: int,
    augmenter=None,
):
    """Training batches, reshuffled every epoch; ``augmenter`` runs on whole batches.

    Augmenting batches rather than single images lets each random transform run as
    one vectorised op, which keeps augmentation off the critical path on a CPU.
    """
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((x, y))
    ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, num_parallel_calls=tf.data.AUTOTUNE)
    if augmenter is not None:
        ds = ds.map(
            lambda images, labels: (augmenter(images, training=True), labels),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    return ds.prefetch(tf.data.AUTOTUNE)


def eval_dataset(x: np.ndarray, y: np.ndarray, batch_size: int = 1024):
    """Batches for evaluation: fixed order, no augmentation, large batches."""
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size)
    return ds.prefetch(tf.data.AUTOTUNE)
