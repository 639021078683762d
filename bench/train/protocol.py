"""How a run trains: its learning-rate schedule, the weights it keeps, its numeric precision.

Two schedules (``bench.config.TrainConfig`` says what each does):

* ``onecycle`` (the default): a fixed budget of ``epochs``, a linear warm-up to the peak rate
  and a half-cosine decay to 0 at the last step; the run keeps its last weights. The
  schedule is a function of the optimizer's step count, which the epoch checkpoint saves,
  so a resumed run goes on with the rates an unbroken one would have had.
* ``plateau``: early stopping on validation accuracy with the best epoch's weights kept, and
  the rate halved when the validation loss stalls; the protocol of the runs made before
  ``onecycle``, kept so that they can be repeated.

Precision is ``float32`` or Keras mixed precision: ``bfloat16`` (the variables stay float32,
the arithmetic runs in bfloat16, which CPUs with AVX512-BF16 or AMX do natively) or
``float16`` (for GPUs). ``auto`` picks bfloat16 on such CPUs, float16 on a GPU, else float32:
``benchmarks/training_throughput.py`` measures the choice on the machine at hand.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_POLICIES = {"float32": "float32", "bfloat16": "mixed_bfloat16", "float16": "mixed_float16"}


def learning_rate(schedule: str, peak: float, epochs: int, steps_per_epoch: int, warmup: float):
    """The optimizer's learning rate: a number (``plateau``, whose callback changes it), or a
    schedule over ``epochs * steps_per_epoch`` steps (``onecycle``)."""
    import keras

    if schedule == "plateau":
        return peak
    total = max(1, epochs * steps_per_epoch)
    warmup_steps = min(total - 1, round(warmup * total))
    return keras.optimizers.schedules.CosineDecay(
        0.0,
        decay_steps=total - warmup_steps,
        alpha=0.0,
        warmup_target=peak,
        warmup_steps=warmup_steps,
    )


def schedule_callbacks(
    schedule: str, patience: int, lr_patience: int, lr_factor: float, min_learning_rate: float
) -> list:
    """The callbacks a schedule trains with besides the epoch log: none for ``onecycle``;
    early stopping (best weights kept) and the rate cut on a stalled loss for ``plateau``."""
    import keras

    if schedule != "plateau":
        return []
    return [
        keras.callbacks.EarlyStopping(
            monitor="val_accuracy", mode="max", patience=patience, restore_best_weights=True
        ),
        keras.callbacks.ReduceLROnPlateau(
            monitor="val_loss", factor=lr_factor, patience=lr_patience, min_lr=min_learning_rate
        ),
    ]


def set_precision(precision: str) -> None:
    """Make models built from now on compute in ``precision`` (process-wide in Keras)."""
    import keras

    keras.mixed_precision.set_dtype_policy(_POLICIES[precision])


def built_in(precision: str, build: Callable[[], Any]) -> Any:
    """``build()`` a model that computes in ``precision``, its output layer in float32 as
    Keras advises for mixed precision: a 16-bit softmax rounds confident probabilities to 1,
    which flattens the loss."""
    import keras

    before = keras.config.dtype_policy()
    set_precision(precision)
    try:
        model = build()
    finally:  # layers keep the policy they were made with; later builds get the old one
        keras.config.set_dtype_policy(before)
    layer = model.layers[-1]
    if layer.dtype_policy.compute_dtype != "float32":
        layer.dtype_policy = "float32"
    return model
