"""Size figures for a model: parameters, forward FLOPs and saved size."""

from __future__ import annotations

import dataclasses
import math
import tempfile
from pathlib import Path

from bench.flops import count_flops


@dataclasses.dataclass(frozen=True)
class ModelInfo:
    params: int
    trainable_params: int
    flops: int  # forward FLOPs per image
    saved_bytes: int  # size of the .keras file


def saved_size(model) -> int:
    """Bytes of ``model`` saved in the native .keras format."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.keras"
        model.save(path)
        return path.stat().st_size


def model_info(model, saved_bytes: int | None = None) -> ModelInfo:
    """Figures for ``model``; pass ``saved_bytes`` when the model was saved already."""
    return ModelInfo(
        params=int(model.count_params()),
        trainable_params=sum(math.prod(w.shape) for w in model.trainable_weights),
        flops=count_flops(model),
        saved_bytes=saved_bytes if saved_bytes is not None else saved_size(model),
    )
