"""mnist-bench: compare small convolutional networks on MNIST-family data.

The functions below (``bench.plan``, ``bench.run``, ...) are ``bench.api``'s, those of
``bench.deployment`` (``list_architectures``, ``measure_latency``), ``bench.revisit.measure_runs``
and the registry's (``bench.plugins``: ``list_measurements``, ``register_measurement``),
loaded on first use so that ``import bench`` and the command line's ``--help`` stay free of
TensorFlow. ``quantize`` and ``evaluate_robustness`` stay for a release: ``measure_runs``
replaces them.
"""

from __future__ import annotations

import os

# TensorFlow's oneDNN kernels are on by default only on CPUs with AVX512-VNNI or newer
# features; on an AVX2-only CPU they train 1.4 to 2 times faster too (docs/speed.md).
# TensorFlow reads this once, when it is first imported; a person's own setting wins.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

__version__ = "0.1.0"
__all__ = [
    "build_report",
    "data_for",
    "dataset_info",
    "evaluate_robustness",
    "leaderboard",
    "list_architectures",
    "load_architectures",
    "load_data",
    "load_results",
    "measure_runs",
    "measure_latency",
    "list_measurements",
    "Measurement",
    "register_measurement",
    "plan",
    "prepare_search",
    "quantize",
    "run",
    "search",
    "which_to_pick",
]


_DEPLOYMENT = {"list_architectures", "measure_latency", "quantize"}
_PLUGINS = {"list_measurements": "measurement_names", "Measurement": "Measurement"}
_PLUGINS |= {"register_measurement": "register_measurement"}


def __getattr__(name: str):
    if name in _DEPLOYMENT:
        from bench import deployment

        return getattr(deployment, name)
    if name in _PLUGINS:
        from bench import plugins

        return getattr(plugins, _PLUGINS[name])
    if name == "measure_runs":
        from bench import revisit

        return revisit.measure_runs
    if name == "evaluate_robustness":
        from bench import robustness

        return robustness.evaluate_robustness
    if name in __all__:
        from bench import api

        return getattr(api, name)
    raise AttributeError(f"module 'bench' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
