"""What a run costs to train, for estimating how long the rest of a suite takes.

A run's cost is its network's forward FLOPs per image x its epochs x its training images:
training time grows with all three, and ``bench.progress.Progress`` turns cost into seconds
by the seconds per unit of cost of the runs already finished. The FLOPs come from building
the network (``bench.train.build.build_for``) and counting (``bench.measure.flops``), once
per distinct network and only when an estimate first asks, which is after the suite's first
run: nothing is built up front, and building is far quicker than a run's training.
"""

from __future__ import annotations

import functools
import json

from bench.config import RunSpec
from bench.data.splits import Splits
from bench.measure.flops import count_flops
from bench.progress import Cost
from bench.train.build import build_for


def suite_costs(specs: list[RunSpec], splits: Splits) -> list[Cost]:
    """Each spec's cost, as a function computed on first call; None where the network does
    not build (its run fails too, and costs nothing to speak of)."""
    flops: dict[tuple, int | None] = {}

    def cost(spec: RunSpec) -> float | None:
        # Seeds and augmentation leave the network as it is: one build serves them all.
        key = (spec.arch, spec.arch_digest, json.dumps(spec.hyperparameters, sort_keys=True))
        if key not in flops:
            flops[key] = _forward_flops(spec, splits)
        if not flops[key]:
            return None
        return float(flops[key] * spec.epochs * len(splits.x_train))

    return [functools.partial(cost, spec) for spec in specs]


def _forward_flops(spec: RunSpec, splits: Splits) -> int | None:
    try:
        model = build_for(spec, splits.input_shape, splits.num_classes)
    except Exception:  # a broken builder is the run's to report, not the estimate's
        return None
    return count_flops(model)
