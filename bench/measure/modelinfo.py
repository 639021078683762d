"""Size figures for a model: parameters, forward FLOPs and saved size."""

from __future__ import annotations

import dataclasses
import math
import tempfile
from pathlib import Path

from bench.measure.flops import count_flops


@dataclasses.dataclass(frozen=True)
class ModelInfo:
    params: int
    trainable_params: int
    flops: int  # forward FLOPs per image
    saved_bytes: int  # size of the .keras file, without optimizer state


def saved_size(model) -> int:
    """Bytes of ``model`` in the native .keras format as it would be deployed: architecture
    and weights, without the optimizer state that a trained model carries (twice its weights
    for Adam), so that trained and untrained models compare."""
    deployable = type(model).from_config(model.get_config())  # not compiled: no optimizer
    deployable.set_weights(model.get_weights())
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.keras"
        deployable.save(path)
        return path.stat().st_size


def model_info(model) -> ModelInfo:
    """Parameters, forward FLOPs per image and deployable saved size of ``model``."""
    return ModelInfo(
        params=int(model.count_params()),
        trainable_params=sum(math.prod(w.shape) for w in model.trainable_weights),
        flops=count_flops(model),
        saved_bytes=saved_size(model),
    )
