"""What a finished run's record says about it: accuracy, speed, time to accuracy, per class."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bench.data.splits import Splits
from bench.store.records import ACCURACY_TARGETS, Metrics, PerClass, target_key

# Training costs about three forward passes per image: forward, and a backward pass
# that computes gradients for both activations and weights.
TRAIN_FLOPS_PER_FORWARD = 3


def run_metrics(
    splits: Splits,
    history: list[dict],
    probabilities: np.ndarray,
    flops: int,
    eval_seconds: float,
) -> Metrics:
    """The record's ``metrics``: test scores from ``probabilities`` (the one prediction of
    the test set), and the training's length and speed from its ``history``."""
    y = splits.y_test
    picked = probabilities[np.arange(len(y)), y]
    train_seconds = sum(r["train_seconds"] for r in history)
    images = len(splits.x_train) * len(history)
    best = max(history, key=lambda r: r.get("val_accuracy", -1.0))
    return Metrics(
        test_accuracy=float((probabilities.argmax(axis=1) == y).mean()),
        test_loss=float(-np.log(np.clip(picked, 1e-12, 1.0)).mean()),
        epochs=len(history),
        best_epoch=best["epoch"],
        best_val_accuracy=best.get("val_accuracy"),
        train_seconds=train_seconds,
        seconds_per_epoch=float(np.median([r["seconds"] for r in history])),
        images_per_second=images / train_seconds,
        gflops_per_second=TRAIN_FLOPS_PER_FORWARD * flops * images / train_seconds / 1e9,
        eval_seconds=eval_seconds,
        train_images=len(splits.x_train),
        val_images=len(splits.x_val),
        test_images=len(y),
        time_to_accuracy=time_to_accuracy(history),
    )


def time_to_accuracy(history: list[dict], thresholds: Sequence[float] = ACCURACY_TARGETS) -> dict:
    """The epoch and the wall seconds (training and validation so far) at which validation
    accuracy first reached each threshold: ``epochs_to_99``, ``seconds_to_99``, ...; None
    for a threshold never reached."""
    reached: dict[float, tuple[int, float]] = {}
    elapsed = 0.0
    for row in history:
        elapsed += row["seconds"]
        for threshold in thresholds:
            if threshold not in reached and row.get("val_accuracy", 0.0) >= threshold:
                reached[threshold] = (row["epoch"], elapsed)
    figures = {}
    for threshold in thresholds:
        epoch, seconds = reached.get(threshold, (None, None))
        figures[f"epochs_to_{target_key(threshold)}"] = epoch
        figures[f"seconds_to_{target_key(threshold)}"] = seconds
    return figures


def class_report(
    y_true: np.ndarray, y_pred: np.ndarray, num_classes: int
) -> tuple[PerClass, list[list[int]]]:
    """The record's ``per_class`` precision, recall, F1 and support, and its confusion matrix
    (rows: true class, columns: predicted)."""
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    labels = list(range(num_classes))
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    per_class = PerClass(precision.tolist(), recall.tolist(), f1.tolist(), support.tolist())
    return per_class, confusion_matrix(y_true, y_pred, labels=labels).tolist()
