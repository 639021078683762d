"""What a suite's estimate of the time left knows of each run before it runs.

Runs of one network, at one batch size and precision, take about the same time per training
image and epoch; ``bench.progress.Progress`` times each network on its first run and scales
by the others' images and epochs. Counting FLOPs instead misled it: networks of this suite
reach anywhere from a tenth to all of the machine's arithmetic speed (docs/speed.md), and a
smoke run's time is mostly what a run costs besides training.
"""

from __future__ import annotations

import json

from bench.config import RunSpec
from bench.data.splits import Splits
from bench.progress import Work


def suite_work(specs: list[RunSpec], splits: Splits) -> list[Work]:
    """Each spec's ``Work``: augmentation and seeds leave its network's speed as it is."""
    return [
        Work(
            network=json.dumps(
                [
                    spec.arch,
                    spec.arch_digest,
                    spec.hyperparameters,
                    spec.batch_size,
                    spec.precision,
                ],
                sort_keys=True,
                default=str,
            ),
            epoch_images=float(spec.epochs * len(splits.x_train)),
        )
        for spec in specs
    ]
