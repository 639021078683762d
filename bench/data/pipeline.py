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
    return ds.prefetch(tf.data.AUTOTUNE).with_options(without_autotuning())


def inference_batches(x: np.ndarray, y: np.ndarray | None = None, batch_size: int = 1024):
    """``x`` (and ``y``) in batches of ``batch_size``, in order, for ``predict`` or as
    validation data: without tf.data's autotuner, whose wake-up an iterator waits for when it
    is destroyed. Given NumPy arrays, ``predict`` made a tuned pipeline, and each call
    returned on the autotuner's period (about 10.3 or 20.6 s for 10,000 images, whatever
    the model: docs/speed.md)."""
    import tensorflow as tf

    data = x if y is None else (x, y)
    return (
        tf.data.Dataset.from_tensor_slices(data)
        .batch(batch_size)
        .with_options(without_autotuning())
    )


def without_autotuning():
    """tf.data options that turn its autotuning off.

    The autotuner's thread sleeps for a period that doubles up to a minute, and an iterator
    being destroyed waits for it to wake: ``fit`` makes a new iterator every epoch, so every
    epoch began with seconds of idling (3 to 6 s of a 15 s epoch, docs/speed.md). Without it,
    ``AUTOTUNE`` parallelism means one call per core, which this cheap gather needs anyway.
    """
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = False
    return options
