"""Choosing the fixed-budget protocol on the validation split: budget, peak rate, batch, weights.

Each configuration asked for (architectures x augmentation x epoch budgets x peak learning
rates x batch sizes x warm-ups x label smoothings x weight averages x seeds) trains one run
as `bench run` trains it, under the ``onecycle`` schedule, on the standard profile's data
(55,000 training and 5,000 validation images of MNIST); no model ever sees a test image.
After every epoch the validation images are predicted. Each configuration prints one line,
and is appended to ``--log`` as JSON, so an interrupted search goes on where it stopped
(configurations in the log are not trained again):

* ``last``: validation accuracy of the weights the run keeps (the last epoch's, or their
  average with ``--ema``); ``best`` and ``@``: the best epoch's, and which epoch that was
  (an optimistic figure: it is chosen on the same images);
* ``last-best``: the honest comparison of keeping the last weights against keeping the best
  epoch's. The validation images are split in two halves; the epoch that scores best on one
  half is scored on the other, beside the last epoch on that same half; the difference is
  averaged over both ways round, in validation images per 5,000;
* ``s/epoch`` and ``train s``: training wall time.

With several ``--seed`` values a last table pools each configuration over its seeds: the
mean, lowest and highest ``last`` validation accuracy. Keep a shorter or cheaper setting
only where its mean holds the current one's.

    BENCH_DATA_DIR=../shared/data python benchmarks/protocol_search.py --arch custom_cnn \\
        --augment off on --epochs 4 6 --learning-rate 2e-3 4e-3 --log protocol.jsonl
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# isort: off
import bench  # noqa: E402, F401  (its TensorFlow settings must come before TensorFlow)
# isort: on

import keras  # noqa: E402
import numpy as np  # noqa: E402

from bench.config import get_profile, plan  # noqa: E402
from bench.data import load_dataset, split_dataset  # noqa: E402
from bench.data.pipeline import inference_batches  # noqa: E402
from bench.environment import enable_determinism  # noqa: E402
from bench.train.build import build_for  # noqa: E402
from bench.train.checkpoint import training_dataset  # noqa: E402
from bench.train.fit import compile_for_training, steps_per_epoch  # noqa: E402


class ValidationHits(keras.callbacks.Callback):
    """After every epoch: which validation images the model gets right."""

    def __init__(self, x, y):
        super().__init__()
        self.x, self.y = x, y
        self.hits: list[np.ndarray] = []

    def on_epoch_end(self, epoch, logs=None):
        predicted = self.model.predict(inference_batches(self.x), verbose=0).argmax(axis=1)
        self.hits.append(predicted == self.y)


def last_minus_best(hits: np.ndarray) -> float:
    """Images (per the whole validation split) by which the last epoch beats the epoch
    chosen as best on the other half, each half scored in turn. ``hits``: epochs x images."""
    halves = np.arange(hits.shape[1]) % 2 == 0
    gaps = []
    for choose, score in ((halves, ~halves), (~halves, halves)):
        best = int(hits[:, choose].mean(axis=1).argmax())
        gaps.append(hits[-1, score].sum() - hits[best, score].sum())
    return float(np.sum(gaps))


def train_one(config: dict, splits) -> dict:
    (spec,) = plan(
        [config["arch"]],
        "mnist",
        get_profile("standard"),
        [config["augment"]],
        seeds=[config["seed"]],
        epochs=config["epochs"],
        learning_rate=config["learning_rate"],
        batch_size=config["batch_size"],
        warmup=config["warmup"],
        label_smoothing=config["label_smoothing"],
        ema=config["ema"],
        schedule="onecycle",
        precision=config["precision"],
    )
    keras.utils.clear_session()
    model = build_for(spec, splits.input_shape, splits.num_classes)
    compile_for_training(model, spec, steps_per_epoch(spec, len(splits.x_train)))
    watch = ValidationHits(splits.x_val, splits.y_val)
    start = time.perf_counter()
    history = model.fit(
        training_dataset(spec, splits.x_train, splits.y_train),
        epochs=spec.epochs,
        callbacks=[watch],
        shuffle=False,
        verbose=0,
    )
    seconds = time.perf_counter() - start
    # The weights the run keeps: with --ema, fit swaps in the average after the last epoch.
    watch.on_epoch_end(spec.epochs)
    hits = np.array(watch.hits[:-2] + watch.hits[-1:])
    per_epoch = hits.mean(axis=1)
    return {
        **config,
        "precision": spec.precision,
        "val_accuracy": per_epoch.round(4).tolist(),
        "last": float(per_epoch[-1]),
        "best": float(per_epoch.max()),
        "best_epoch": int(per_epoch.argmax()) + 1,
        "last_minus_best": last_minus_best(hits),
        "train_loss": float(history.history["loss"][-1]),
        "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", nargs="+", required=True)
    parser.add_argument("--augment", nargs="+", choices=["off", "on"], default=["off", "on"])
    parser.add_argument("--epochs", nargs="+", type=int, required=True)
    parser.add_argument("--learning-rate", nargs="+", type=float, required=True)
    parser.add_argument("--batch-size", nargs="+", type=int, default=[128])
    parser.add_argument("--warmup", nargs="+", type=float, default=[0.15])
    parser.add_argument("--label-smoothing", nargs="+", type=float, default=[0.0])
    parser.add_argument("--ema", nargs="+", type=float, default=[0.0], help="0: off")
    parser.add_argument("--seed", nargs="+", type=int, default=[0])
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--log", type=Path, required=True, help="JSON lines, appended to")
    args = parser.parse_args()

    enable_determinism()
    splits = split_dataset(load_dataset("mnist"), val_size=5000)
    done = []
    if args.log.exists():
        done = [json.loads(line) for line in args.log.read_text().splitlines() if line]
    grid = itertools.product(
        args.arch, args.augment, args.epochs, args.learning_rate, args.batch_size, args.warmup,
        args.label_smoothing, args.ema, args.seed,
    )  # fmt: skip
    keys = ("arch", "augment", "epochs", "learning_rate", "batch_size", "warmup",
            "label_smoothing", "ema", "seed")  # fmt: skip
    print(f"{'arch':15s} aug ep   peak batch wu   ls    ema seed    last    best  @ last-best s/ep")
    rows = []
    for values in grid:
        config = dict(zip(keys, values, strict=True))
        config["augment"] = config["augment"] == "on"
        # Lines logged before a setting existed trained with its default.
        defaults = {"label_smoothing": 0.0, "ema": 0.0}
        found = [r for r in done if all({**defaults, **r}[k] == v for k, v in config.items())]
        row = found[0] if found else train_one({**config, "precision": args.precision}, splits)
        if not found:
            with args.log.open("a") as log:
                log.write(json.dumps(row) + "\n")
        print(
            f"{row['arch']:15s} {'on ' if row['augment'] else 'off'} {row['epochs']:2d} "
            f"{row['learning_rate']:6.0e} {row['batch_size']:5d} {row['warmup']:.2f} "
            f"{row.get('label_smoothing', 0):.2f} {row.get('ema', 0):.4f} "
            f"{row['seed']:4d} {row['last']:.4f} {row['best']:.4f} {row['best_epoch']:2d} "
            f"{row['last_minus_best']:+9.0f} {row['seconds'] / row['epochs']:7.1f}",
            flush=True,
        )
        rows.append(row)
    if len(args.seed) > 1:
        pooled(rows, keys[:-1])


def pooled(rows: list[dict], keys: tuple[str, ...]) -> None:
    """Each configuration's last validation accuracy over its seeds, and its epoch time."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(row.get(k, 0.0) for k in keys), []).append(row)
    print(f"\n{'arch':15s} aug ep   peak batch wu   ls    ema seeds   mean     min     max s/ep")
    for (arch, augment, epochs, peak, batch, warmup, smoothing, ema), runs in groups.items():
        last = [r["last"] for r in runs]
        per_epoch = np.median([r["seconds"] / r["epochs"] for r in runs])
        print(
            f"{arch:15s} {'on ' if augment else 'off'} {epochs:2d} {peak:6.0e} {batch:5d} "
            f"{warmup:.2f} {smoothing:.2f} {ema:.4f} {len(runs):5d} {np.mean(last):.4f}  "
            f"{min(last):.4f}  {max(last):.4f} {per_epoch:7.1f}"
        )


if __name__ == "__main__":
    main()
