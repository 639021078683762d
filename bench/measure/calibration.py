"""The machine's own limit, measured in the same process: a matmul in TensorFlow.

A run's achieved GFLOP/s means little on its own: the same code trains three times faster on
one CPU than on another. Each run times a square matmul in float32, and in bfloat16 where the
CPU has it natively, so that its training rate reads as a fraction of what this machine's
TensorFlow reaches on the densest work there is.
"""

from __future__ import annotations

import dataclasses
import functools
import statistics
import time

from bench.environment import cpu_has_bf16

# Big enough to run at the kernel's full speed on a few cores, small enough to take well
# under a second a call.
MATMUL_SIZE = 2048


@dataclasses.dataclass(frozen=True)
class MatmulRate:
    """GFLOP/s of a ``size`` x ``size`` matmul in ``dtype``: the median and best of calls."""

    dtype: str
    size: int
    median_gflops: float
    best_gflops: float


def matmul_rate(dtype: str = "float32", size: int = MATMUL_SIZE, calls: int = 7) -> MatmulRate:
    """Time ``calls`` matmuls one by one (after one untimed call) in TensorFlow."""
    import tensorflow as tf

    a = tf.cast(tf.random.stateless_normal((size, size), seed=(0, 0)), dtype)

    @tf.function
    def matmul():
        return tf.matmul(a, a)

    matmul().numpy()
    rates = []
    for _ in range(calls):
        start = time.perf_counter()
        matmul().numpy()
        rates.append(2 * size**3 / (time.perf_counter() - start) / 1e9)
    return MatmulRate(dtype, size, statistics.median(rates), max(rates))


def limit_dtypes() -> list[str]:
    """float32, and bfloat16 where the CPU has it natively (elsewhere TensorFlow emulates
    it, far below the float32 rate: no limit worth quoting)."""
    return ["float32", "bfloat16"] if cpu_has_bf16() else ["float32"]


@functools.lru_cache(maxsize=1)
def process_limits() -> dict[str, float]:
    """The median GFLOP/s of each ``limit_dtypes`` matmul, timed once per process (about a
    second): what a run's record holds as its machine's limit."""
    return {dtype: round(matmul_rate(dtype).median_gflops, 1) for dtype in limit_dtypes()}
