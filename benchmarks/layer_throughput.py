"""Where does a training step's time go? Each layer that does arithmetic, timed on its own.

For every layer with FLOPs (convolutions, dense layers, pooling) of the architecture, at its
training batch size: the forward pass, and the forward pass with both backward passes (the
gradients for the layer's input and for its weights), each the median of R timed calls, in ms
and in achieved GFLOP/s (a training step counted as three forward passes, as `bench run`
counts it). Beside them: the whole model's training step through ``fit``, and a square fp32
matmul as the machine's ceiling. All in one process, one after the other:

    python benchmarks/layer_throughput.py --arch custom_cnn --rounds 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# isort: off
import bench  # noqa: E402, F401  (its TensorFlow settings must come before TensorFlow)

# isort: on

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import architectures  # noqa: E402
from bench.config import TrainConfig  # noqa: E402
from bench.measure.flops import count_flops, layer_flops  # noqa: E402


def timed_calls(call: Callable[[], object], rounds: int) -> list[float]:
    """Seconds of each of ``rounds`` calls, after one untimed call (tracing is not measured)."""
    call()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return times


def median_seconds(call: Callable[[], object], rounds: int) -> float:
    return statistics.median(timed_calls(call, rounds))


def layer_calls(layer, batch_size: int) -> tuple[Callable, Callable]:
    """The layer's forward pass, and its forward pass with the input and weight gradients."""
    shape = (batch_size, *layer.input.shape[1:])
    x = tf.random.normal(shape)
    weights = layer.trainable_variables

    @tf.function
    def forward():
        return layer(x, training=True)

    @tf.function
    def forward_backward():
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(layer(x, training=True))
        return tape.gradient(loss, [x, *weights])

    return forward, forward_backward


def gflops(flops: float, seconds: float) -> str:
    return f"{flops / seconds / 1e9:7.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="custom_cnn")
    parser.add_argument("--batch-size", type=int, default=None, help="default: the arch's own")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--matmul-size", type=int, default=2048)
    args = parser.parse_args()

    spec = architectures.get(args.arch)
    batch = args.batch_size or TrainConfig.of(spec).batch_size
    model = architectures.create(args.arch)
    by_name = {layer.name: layer for layer in model.layers}

    print(f"{args.arch}, batch {batch}, median of {args.rounds} calls")
    print(
        f"{'layer':24s} {'MFLOP/img':>9s} {'fwd ms':>8s} {'GFLOP/s':>7s} "
        f"{'train ms':>9s} {'GFLOP/s':>7s}"
    )
    total_train = 0.0
    for entry in layer_flops(model):
        layer = by_name.get(entry.name)
        if layer is None or entry.flops == 0:
            continue  # nested layers are timed through their model's own entries only
        forward, forward_backward = layer_calls(layer, batch)
        fwd = median_seconds(forward, args.rounds)
        train = median_seconds(forward_backward, args.rounds)
        total_train += train
        flops = entry.flops * batch
        print(
            f"{entry.name:24s} {entry.flops / 1e6:9.2f} {fwd * 1e3:8.2f} {gflops(flops, fwd)} "
            f"{train * 1e3:9.2f} {gflops(3 * flops, train)}"
        )

    steps = 20
    x = np.random.rand(steps * batch, *model.input_shape[1:]).astype("float32")
    y = np.random.randint(0, model.output_shape[-1], steps * batch)
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch).cache()
    model.compile("adam", "sparse_categorical_crossentropy")
    epochs = timed_calls(lambda: model.fit(data, epochs=1, shuffle=False, verbose=0), args.rounds)
    step = statistics.median(epochs) / steps
    model_flops = 3 * count_flops(model) * batch
    print(f"{'sum of the layers above':24s} {'':9s} {'':8s} {'':7s} {total_train * 1e3:9.2f}")
    print(
        f"{'whole training step':24s} {'':9s} {'':8s} {'':7s} {step * 1e3:9.2f} "
        f"{gflops(model_flops, step)}"
    )
    each = ", ".join(f"{seconds / steps * 1e3:.0f}" for seconds in epochs)
    print(f"  each round of {steps} steps, ms per step: {each}")

    n = args.matmul_size
    a = tf.random.normal((n, n))
    matmul = tf.function(lambda: tf.matmul(a, a))
    print(f"fp32 matmul {n}x{n}: {gflops(2 * n**3, median_seconds(matmul, args.rounds))} GFLOP/s")


if __name__ == "__main__":
    main()
