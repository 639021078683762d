"""Inference latency and throughput of a model through several runtimes.

Batch-1 latency follows MLPerf's single-stream idea: one image at a time, each call timed
after a warm-up, reported as p50, p90 and p99. Throughput is images per second at a larger
batch. Runtimes:

* ``keras``: a ``tf.function`` with a fixed input signature over the model with its
  BatchNorms folded into the convolutions before them (the compiled path);
* ``keras-predict``: ``model.predict`` on one image, the naive baseline;
* ``litert``: the model exported to LiteRT and run by ``ai-edge-litert``'s interpreter;
* ``onnx``: the model exported to ONNX (through tf2onnx) and run by onnxruntime.

An exported model must give the same probabilities as Keras within ``TOLERANCE``; a runtime
that is not installed or cannot export an architecture is reported as failed, with its reason.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bench.errors import one_line
from bench.measure.twin import in_float32
from bench.store.latency import RuntimeLatency

RUNTIMES = ("keras", "keras-predict", "litert", "onnx")
TOLERANCE = 1e-4
Predict = Callable[[np.ndarray], np.ndarray]


@dataclasses.dataclass
class LatencySettings:
    calls: int = 200  # timed batch-1 calls
    warmup: int = 20
    batch_size: int = 256  # for throughput
    batch_calls: int = 10
    predict_calls: int = 50  # model.predict is ~100x slower; fewer calls keep it bearable
    threads: int = 0  # 0: every core


def measure(
    model,
    runtimes: tuple[str, ...] = RUNTIMES,
    settings: LatencySettings | None = None,
    seed: int = 0,
) -> list[RuntimeLatency]:
    """Measure ``model`` through each runtime; failures are results too, never exceptions.

    A model trained in mixed precision is measured as its float32 twin (``bench.train.protocol``):
    the network and weights that the converters take and that a deployment would export."""
    model = in_float32(model)
    settings = settings or LatencySettings()
    threads = settings.threads or os.cpu_count() or 1
    shape = tuple(int(d) for d in model.input_shape[1:])
    rng = np.random.default_rng(seed)
    one = rng.random((1, *shape), dtype=np.float32)
    batch = rng.random((settings.batch_size, *shape), dtype=np.float32)
    reference = np.asarray(model(batch, training=False))
    found = []
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as folder:
        for runtime in runtimes:
            try:
                single, batched = _RUNTIMES[runtime](model, Path(folder), threads, settings)
                result = _time(runtime, single, batched, one, batch, reference, settings)
            except Exception as exc:  # an export or runtime failure is a finding, not a crash
                message = f"{type(exc).__name__}: {one_line(exc)}"
                result = RuntimeLatency(runtime, "failed", message)
            found.append(dataclasses.replace(result, threads=threads))
    return found


def _time(runtime, single, batched, one, batch, reference, settings) -> RuntimeLatency:
    diff = float(np.abs(np.asarray(batched(batch)) - reference).max())
    if diff > TOLERANCE:
        return RuntimeLatency(
            runtime, "failed", f"outputs differ from Keras by {diff:.2e} (> {TOLERANCE:.0e})"
        )
    calls = settings.predict_calls if runtime == "keras-predict" else settings.calls
    seconds = time_calls(lambda: single(one), calls, settings.warmup)
    batch_seconds = time_calls(lambda: batched(batch), settings.batch_calls, 2)
    ms = seconds * 1e3
    return RuntimeLatency(
        runtime,
        "ok",
        p50_ms=float(np.percentile(ms, 50)),
        p90_ms=float(np.percentile(ms, 90)),
        p99_ms=float(np.percentile(ms, 99)),
        mean_ms=float(ms.mean()),
        calls=calls,
        throughput=float(len(batch) / np.median(batch_seconds)),
        batch_size=len(batch),
        max_abs_diff=diff,
    )


def table(measured: list[tuple[str, list[RuntimeLatency]]]) -> str:
    """The figures of each (architecture, results) as a text table, each architecture's
    fastest batch-1 p50 starred; an ``error`` column only where a runtime failed."""
    from tabulate import tabulate

    failures = any(r.status != "ok" for _, found in measured for r in found)
    rows = []
    for name, found in measured:
        fastest = min((r.p50_ms for r in found if r.status == "ok"), default=None)
        for r in found:
            ok = r.status == "ok"
            star = " *" if ok and r.p50_ms == fastest else ""
            error = [("" if ok else f"FAILED: {r.error}")] if failures else []
            rows.append([name, r.runtime + star, *_figure_cells(r), *error])
    headers = ["arch", "runtime", "p50 ms", "p90 ms", "p99 ms", "batch img/s", "max diff"]
    return tabulate(rows, headers=headers + ["error"] * failures, disable_numparse=True)


def _figure_cells(r: RuntimeLatency) -> list[str]:
    if r.status != "ok":
        return [""] * 5
    return [
        f"{r.p50_ms:.3f}",
        f"{r.p90_ms:.3f}",
        f"{r.p99_ms:.3f}",
        f"{r.throughput:,.0f}",
        f"{r.max_abs_diff:.1e}",
    ]


def limit_tensorflow_threads(threads: int) -> None:
    """Run TensorFlow's ops on ``threads`` threads; only possible before its first op."""
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)


def time_calls(call: Callable[[], object], calls: int, warmup: int) -> np.ndarray:
    """Seconds taken by each of ``calls`` calls, after ``warmup`` untimed ones."""
    for _ in range(warmup):
        call()
    seconds = np.empty(calls)
    for i in range(calls):
        start = time.perf_counter()
        call()
        seconds[i] = time.perf_counter() - start
    return seconds


# --- runtimes: each returns (batch-1 predict, batch-N predict) --------------------------------


def compiled_predict(model, batch_size: int, trials: int = 15) -> Predict:
    """Inference through a ``tf.function`` traced once for ``batch_size`` images.

    The traced model is ``model`` with its BatchNorms folded (``bench.measure.folding``): the
    same outputs from fewer ops, as the LiteRT and ONNX converters do. Two compilations
    are traced: with XLA, which fuses the many small ops of a batch-1 forward pass, and
    the plain graph, whose executor can run independent branches (an Inception module's)
    at the same time. A few interleaved timed calls pick the faster; a model with an op
    XLA cannot compile gets the plain graph.
    """
    from bench.measure.folding import fold_batchnorm  # Keras loads only when measuring

    return _traced_predict(fold_batchnorm(model), batch_size, trials)


def _traced_predict(folded, batch_size: int, trials: int = 15) -> Predict:
    """``compiled_predict`` for a model whose BatchNorms are folded already."""
    import tensorflow as tf

    shape = (batch_size, *folded.input_shape[1:])

    def traced(jit_compile: bool):
        function = tf.function(
            lambda x: folded(x, training=False),
            input_signature=[tf.TensorSpec(shape, tf.float32)],
            jit_compile=jit_compile,
        )
        # The concrete function skips tf.function's per-call signature matching, about
        # 0.3 ms of a batch-1 call; calling it once compiles it, outside any timing.
        concrete = function.get_concrete_function()
        concrete(tf.zeros(shape))
        return concrete

    candidates = [traced(jit_compile=False)]
    with contextlib.suppress(tf.errors.InvalidArgumentError, tf.errors.UnimplementedError):
        candidates.append(traced(jit_compile=True))  # XLA cannot compile every op
    function = _fastest(candidates, tf.zeros(shape), trials)
    return lambda x: function(x).numpy()


# A candidate this many times slower than the fastest on its first call is not timed further:
# no noise (a shared machine's rounds differ by up to 2x) closes such a gap.
CLEAR_GAP = 4.0


def _fastest(functions: list, x, trials: int):
    """The function with the lowest median time over ``trials`` interleaved calls each.

    The first call of each, a warm-up, already drops any that is ``CLEAR_GAP`` times slower
    than the fastest: timing it further could cost more than all the rest (XLA's depthwise
    convolutions on a CPU take 20 times the plain graph's time at batch 256).
    """
    if len(functions) > 1:
        first = [_seconds(function, x) for function in functions]
        functions = [
            f for f, s in zip(functions, first, strict=True) if s <= CLEAR_GAP * min(first)
        ]
    if len(functions) == 1:
        return functions[0]
    # Interleaved, so that a slow spell of the machine hits every candidate alike; the first
    # round is a second warm-up.
    seconds = np.array([[_seconds(f, x) for f in functions] for _ in range(trials + 1)])[1:]
    return functions[int(np.argmin(np.median(seconds, axis=0)))]


def _seconds(function: Callable, x) -> float:
    start = time.perf_counter()
    function(x).numpy()
    return time.perf_counter() - start


def _keras_compiled(model, folder, threads, settings) -> tuple[Predict, Predict]:
    from bench.measure.folding import fold_batchnorm

    folded = fold_batchnorm(model)  # once, for both batch sizes
    return _traced_predict(folded, 1), _traced_predict(folded, settings.batch_size)


def _keras_predict(model, folder, threads, settings) -> tuple[Predict, Predict]:
    def predict(x: np.ndarray) -> np.ndarray:
        return model.predict(x, batch_size=len(x), verbose=0)

    return predict, predict


def _litert(model, folder, threads, settings) -> tuple[Predict, Predict]:
    from bench.measure.litert import Runner, convert

    content = convert(model, "float32")
    single, batched = Runner(content, threads), Runner(content, threads)
    return single, batched  # two interpreters: each keeps its own batch size


def _onnx(model, folder, threads, settings) -> tuple[Predict, Predict]:
    import onnxruntime

    path = folder / f"{model.name}.onnx"
    with warnings.catch_warnings():  # tf2onnx trips NumPy's np.object deprecation
        warnings.simplefilter("ignore", FutureWarning)
        model.export(str(path), format="onnx", verbose=False)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name

    def predict(x: np.ndarray) -> np.ndarray:
        return session.run(None, {name: x})[0]

    return predict, predict


_RUNTIMES: dict[str, Callable[..., tuple[Predict, Predict]]] = {
    "keras": _keras_compiled,
    "keras-predict": _keras_predict,
    "litert": _litert,
    "onnx": _onnx,
}
