"""Latency figures beside the runs: ``<results>/latency/<arch>.json``, one file per
architecture, rewritten whole by ``bench latency`` (``bench.deployment.measure_latency``)."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Sequence
from pathlib import Path

from bench.environment import capture
from bench.store.files import write_json
from bench.store.records import Section

LATENCY_DIR = "latency"
LEADERBOARD_RUNTIME = "keras"  # the compiled path fills the leaderboard's latency columns


@dataclasses.dataclass(frozen=True)
class RuntimeLatency(Section):
    """One runtime's figures for one model (``bench.measure.latency.measure`` makes them)."""

    runtime: str = ""
    status: str = "failed"  # "ok" or "failed"
    error: str | None = None
    p50_ms: float | None = None
    p90_ms: float | None = None
    p99_ms: float | None = None
    mean_ms: float | None = None
    calls: int = 0
    throughput: float | None = None  # images/s at batch_size
    batch_size: int | None = None
    max_abs_diff: float | None = None  # against Keras' probabilities
    threads: int = 0

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclasses.dataclass(frozen=True)
class ArchLatency(Section):
    """What one latency file holds: an architecture's figures through each runtime, the
    weights they were timed with ("trained: <run>" or "freshly built") and where."""

    arch: str = ""
    input_shape: list[int] = dataclasses.field(default_factory=list)
    weights: str = ""
    runtimes: list[RuntimeLatency] = dataclasses.field(default_factory=list)
    environment: dict = dataclasses.field(default_factory=dict)

    @classmethod
    def from_json(cls, data: object) -> ArchLatency:
        figures = super().from_json(data)
        runtimes = [RuntimeLatency.from_json(r) for r in figures.runtimes]
        return dataclasses.replace(figures, runtimes=runtimes)

    def leaderboard_runtime(self) -> RuntimeLatency | None:
        """The figures the leaderboard shows: the compiled Keras path's, where it ran."""
        found = [r for r in self.runtimes if r.runtime == LEADERBOARD_RUNTIME and r.ok]
        return found[0] if found else None


def write_latency(
    root: str | os.PathLike,
    arch: str,
    runtimes: Sequence[RuntimeLatency],
    weights: str,
    input_shape: Sequence[int],
) -> Path:
    """Store one architecture's latency figures, with the environment they were timed in."""
    path = Path(root) / LATENCY_DIR / f"{arch}.json"
    shape = [int(d) for d in input_shape]
    figures = ArchLatency(arch, shape, weights, list(runtimes), capture())
    write_json(path, figures.to_json())
    return path


def read_latency(root: str | os.PathLike) -> dict[str, ArchLatency]:
    """Stored latency figures by architecture (unreadable files are ignored)."""
    figures = {}
    for path in sorted(Path(root).glob(f"{LATENCY_DIR}/*.json")):
        try:
            found = ArchLatency.from_json(json.loads(path.read_text()))
        except (OSError, ValueError, TypeError):
            continue
        if found.arch:
            figures[found.arch] = found
    return figures
