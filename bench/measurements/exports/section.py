"""The exports' section of a run's record: one ``Export`` per LiteRT precision."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any

from bench.measure.litert import EXPORTS
from bench.store.records import Section

__all__ = ["EXPORTS", "NAME", "Export", "Exports"]

NAME = "exports"  # the record's key, and `bench measure exports`


@dataclasses.dataclass(frozen=True)
class Export(Section):
    """One LiteRT export of the trained model and how it did on the run's test images,
    predicted after the Keras model's one look (they choose nothing).

    ``accuracy_change`` is the export's test accuracy less the float32 Keras model's (the
    trained network computing in float32: a mixed-precision model's float32 twin);
    ``changed_predictions`` counts the test images whose predicted class differs from that
    model's. A failed export keeps only its status and error.
    """

    status: str = "ok"  # "ok" or "failed"
    error: str | None = None
    bytes: int | None = None  # the .tflite file: what the device stores (flash)
    peak_activation_bytes: int | None = None  # at batch 1 (bench.measure.litert)
    test_accuracy: float | None = None
    accuracy_change: float | None = None
    changed_predictions: int | None = None
    p50_ms: float | None = None  # batch-1 latency through the LiteRT interpreter
    p99_ms: float | None = None
    throughput: float | None = None  # images/s at a batch of 256
    seconds: float | None = None  # to export, evaluate and time it
    # int8 only: the model in TFLM, a microcontroller's runtime (bench.measure.tflm).
    # "ok", "failed" (an operator it lacks, say; micro_error says) or "not installed".
    micro_status: str | None = None
    micro_error: str | None = None
    arena_bytes: int | None = None  # the tensor arena TFLM needs: the RAM a firmware reserves
    arena_activation_bytes: int | None = None  # of which planned activations and scratch
    arena_persistent_bytes: int | None = None  # of which what lives as long as the interpreter
    micro_images: int | None = None  # test images TFLM predicted (the first ones)
    micro_changed: int | None = None  # of which classed otherwise than by LiteRT
    micro_host_ms: float | None = None  # median invoke on the host's CPU, not a microcontroller

    def to_json(self) -> dict[str, Any]:
        # TFLM's figures only where it was asked: records made before it keep their shape
        data = super().to_json()
        return {k: v for k, v in data.items() if not (k in _MICRO and v is None)}

    @property
    def ok(self) -> bool:
        return self.status == "ok"


_MICRO = {f.name for f in dataclasses.fields(Export) if f.name.startswith(("micro_", "arena_"))}


@dataclasses.dataclass(frozen=True)
class Exports(Section, Mapping):
    """A run's exports by precision, in the order they were made; read as a mapping."""

    by_precision: dict[str, Export] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_json(cls, data: object) -> Exports:
        if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
            raise TypeError("exports are JSON objects by precision")
        return cls({precision: Export.from_json(v) for precision, v in data.items()})

    def to_json(self) -> dict[str, Any]:
        return {precision: export.to_json() for precision, export in self.by_precision.items()}

    def __getitem__(self, precision: str) -> Export:
        return self.by_precision[precision]

    def __iter__(self) -> Iterator[str]:
        return iter(self.by_precision)

    def __len__(self) -> int:
        return len(self.by_precision)
