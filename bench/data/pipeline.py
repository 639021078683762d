"""tf.data input pipelines: shuffled, batched, augmented on the fly, prefetched."""

from __future__ import annotations

import numpy as np


def train_dataset(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    seed: int,
    augmenter=None,
    skip_orders: int = 0,
):
    """Training batches, reshuffled every epoch; ``augmenter`` runs on whole batches.

    Each pass over the dataset draws the next order of the images from ``seed``. The
    shuffle orders positions, not images (batches of indices are gathered from the arrays),
    so ``skip_orders`` can draw and drop that many orders cheaply: a resumed run goes on
    with the orders an unbroken one would have drawn. Augmenting batches rather than single
    images lets each random transform run as one vectorised op, which keeps augmentation off
    the critical path on a CPU.
    """
    import tensorflow as tf

    all_images, all_labels = tf.constant(x), tf.constant(y)
    order = tf.data.Dataset.range(len(x)).shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    for _ in range(skip_orders):
        for _ in order.batch(len(x)):
            pass
    ds = order.batch(batch_size).map(
        lambda index: (tf.gather(all_images, index), tf.gather(all_labels, index)),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    if augmenter is not None:
        ds = ds.map(
            lambda images, labels: (augmenter(images, training=True), labels),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    return ds.prefetch(tf.data.AUTOTUNE)
