"""Inference latency of every registered architecture, tracked with pytest-benchmark.

Record a baseline, then fail when a later change makes any case 20% slower:

    python -m pytest tests/benchmarks --benchmark-autosave
    python -m pytest tests/benchmarks --benchmark-compare --benchmark-compare-fail=median:20%

In the default test run (``python -m pytest``) each architecture's batch-1 case runs once,
unmeasured, so the benchmarks keep working without slowing the suite down: its compilations
are traced and each called once, rather than timed against each other.
"""

from __future__ import annotations

import numpy as np
import pytest

import architectures
from bench.measure.latency import compiled_predict

BATCH_SIZES = (1, 256)
ROUNDS = {1: 200, 256: 20}


@pytest.fixture(scope="module", params=architectures.names())
def arch(request):
    return request.param


@pytest.fixture(scope="module")
def model(arch):
    return architectures.create(arch)


@pytest.mark.parametrize("batch_size", BATCH_SIZES)
def test_inference_latency(benchmark, arch, model, batch_size):
    if benchmark.disabled and batch_size != BATCH_SIZES[0]:
        # compiling each net for a second batch size is most of the unmeasured run's time,
        # and the same code as the first
        pytest.skip("measured only: the unmeasured run compiles the first batch size")
    # unmeasured, one timed call of each compilation is enough to pick one
    predict = compiled_predict(model, batch_size, **({"trials": 1} if benchmark.disabled else {}))
    images = np.random.default_rng(0).random((batch_size, *model.input_shape[1:]), np.float32)
    predict(images)  # trace outside the timed rounds
    benchmark.group = f"batch {batch_size}"
    benchmark.extra_info.update(arch=arch, batch_size=batch_size, params=model.count_params())
    probabilities = benchmark.pedantic(
        predict, args=(images,), rounds=ROUNDS[batch_size], iterations=1, warmup_rounds=10
    )
    assert probabilities.shape == (batch_size, model.output_shape[-1])
