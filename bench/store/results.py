"""The results folder: one folder per run, loadable as a DataFrame, and latency beside them.

A run folder holds ``record.json`` (written last, so its presence means the run is
complete), ``history.csv``, ``predictions.npz``, ``model.keras`` and what its after-training
measurements write beside them (``bench.plugins``), each written whole or not at all
(``bench.store.files``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

from bench.errors import BenchError
from bench.plugins import measurements
from bench.store.latency import ArchLatency, read_latency
from bench.store.records import ModelSummary, RecordUnreadable, RunRecord

RECORD = "record.json"
HISTORY = "history.csv"
PREDICTIONS = "predictions.npz"
MODEL = "model.keras"
REPEATS_DIR = "repeats"  # where `run --from` puts its repeats by default
# The committed reference runs: read when a command is pointed at them, never as part of the
# results folder they sit in, so they are not mixed into a person's own runs.
REFERENCE_DIR = "reference"
GRID_DIR = ".grid"  # the scratch folders of runs made on a Dask cluster (bench.train.grid)

COLUMNS = [
    "run_id",
    "dataset",
    "arch",
    "augment",
    "variant",
    "seed",
    "profile",
    "status",
    "error",
    "test_accuracy",
    "test_loss",
    "params",
    "flops",
    "saved_bytes",
    "epochs",
    "best_epoch",
    "train_seconds",
    "seconds_per_epoch",
    "images_per_second",
    "gflops_per_second",
    "limit_gflops",
    "fraction_of_limit",
    "wall_seconds",
    "total_seconds",
    "outside_training_seconds",
    "latency_p50_ms",
    "latency_p99_ms",
    "throughput",
]


def read_record(run_dir: Path, name: str = RECORD) -> dict | None:
    """The run's record (the file ``name`` in ``run_dir``) as JSON, or None when there is
    none (the run never finished); a record that is there but cannot be read raises
    ``RecordUnreadable``."""
    path = Path(run_dir) / name
    try:
        record = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise RecordUnreadable(path, exc.strerror or type(exc).__name__, exc) from None
    except ValueError as exc:  # JSON cut short or garbled, or bytes that are not text
        reason = f"not valid JSON: {' '.join(str(exc).split())}"
        raise RecordUnreadable(path, reason, exc) from None
    if not isinstance(record, dict):
        raise RecordUnreadable(path, "not a JSON object")
    return record


def read_run_record(run_dir: Path, name: str = RECORD) -> RunRecord | None:
    """``read_record`` as a ``RunRecord``; one not shaped as a record is unreadable too.
    ``name``: the record file's, when it is not ``record.json`` (``run --from`` takes any)."""
    record = read_record(run_dir, name)
    return None if record is None else RunRecord.from_json(record, Path(run_dir) / name)


def finished_runs(
    root: str | os.PathLike, unreadable: list[RecordUnreadable] | None = None
) -> list[tuple[Path, RunRecord]]:
    """``iter_runs`` of a folder that must hold runs: a one-line ``BenchError`` when it is
    missing or holds none (the commands that read results exit 2 on it)."""
    if not Path(root).is_dir():
        raise BenchError(f"results folder {root} does not exist; check --results")
    runs = list(iter_runs(root, unreadable))
    if not runs:
        raise BenchError(
            f"results folder {root} holds no runs; make some with `python -m bench run --out "
            f"{root}` or check --results"
        )
    return runs


def iter_runs(
    root: str | os.PathLike, unreadable: list[RecordUnreadable] | None = None
) -> Iterator[tuple[Path, RunRecord]]:
    """Every complete run under ``root`` as (run folder, record), in folder order.

    A run id (configuration and seed) counts once: where it appears more than once, as a
    ``run --from`` repeat does beside its original, the first one outside a ``repeats``
    folder is kept, so a repeat is never pooled with its original as if it were another seed.
    A ``reference`` folder below ``root`` is left out (point ``root`` at it to read it), and
    so is ``.grid``, where workers make runs that are not handed back yet. Records that
    cannot be read are left out too, and added to ``unreadable`` when given.
    """
    found: dict[str, tuple[Path, RunRecord]] = {}
    for record_path in sorted(Path(root).glob(f"**/{RECORD}")):
        if _below(root, record_path, REFERENCE_DIR) or _below(root, record_path, GRID_DIR):
            continue
        try:
            record = read_run_record(record_path.parent)
        except RecordUnreadable as problem:
            if unreadable is not None:
                unreadable.append(problem)
            continue
        if record is None:  # gone since the glob saw it
            continue
        key = record.run_id or str(record_path.parent)
        kept = found.get(key)
        if kept is None or (
            _below(root, kept[0], REPEATS_DIR) and not _below(root, record_path, REPEATS_DIR)
        ):
            found[key] = (record_path.parent, record)
    yield from sorted(found.values(), key=lambda run: run[0])


def _below(root: str | os.PathLike, path: Path, folder_name: str) -> bool:
    """Whether ``path`` lies inside a folder called ``folder_name`` below ``root``."""
    return folder_name in path.relative_to(root).parts


def iter_records(root: str | os.PathLike) -> Iterator[RunRecord]:
    """Every complete record under ``root``, in folder order."""
    for _, record in iter_runs(root):
        yield record


def load(path: str | os.PathLike = "results") -> pandas.DataFrame:  # noqa: F821
    """One row per run found under ``path``, with the columns in ``COLUMNS`` first, then
    each measurement's."""
    import pandas as pd

    latency = read_latency(path)
    rows = []
    for record in iter_records(path):
        row = flatten(record)
        row.update(_latency_columns(latency.get(row["arch"])))
        rows.append(row)
    frame = pd.DataFrame(rows)
    # every row has each measurement's columns, empty for runs made without it
    first = COLUMNS + [key for m in measurements() for key in m.columns(None)]
    for column in first:
        if column not in frame:
            frame[column] = None
    if len(frame):
        frame["augment"] = frame["augment"].astype(bool)
    extra = [c for c in frame.columns if c not in first]
    return frame[first + extra]


def flatten(record: RunRecord) -> dict:
    """A record as one flat table row: the spec's fields, the status and the metrics."""
    spec, model = record.spec, record.model or ModelSummary()
    row = {
        "run_id": record.run_id,
        "dataset": spec.dataset,
        "arch": spec.arch,
        "augment": spec.augment,
        "variant": spec.variant,
        "seed": spec.seed,
        "profile": spec.profile,
        "status": record.status,
        "error": record.error,
        "params": model.params,
        "flops": model.flops,
        "saved_bytes": model.saved_bytes,
        "wall_seconds": record.wall_seconds,
    }
    if record.metrics is not None:  # in the order record.json has them
        row.update(sorted(record.metrics.to_json().items()))
    row.update(speed_columns(record))
    for measurement in measurements():
        row.update(measurement.columns(record.section(measurement.name)))
    return row


def speed_columns(record: RunRecord) -> dict:
    """``limit_gflops`` (the run's machine's fastest matmul, timed in its process),
    ``fraction_of_limit`` (training GFLOP/s over it), ``total_seconds`` (the run and what
    followed it) and ``outside_training_seconds``; None where the record does not say."""
    limit = record.environment.limit_gflops if record.environment is not None else None
    achieved = record.metrics.gflops_per_second if record.metrics is not None else None
    timing = record.timing
    return {
        "limit_gflops": limit,
        "fraction_of_limit": achieved / limit if achieved and limit else None,
        "total_seconds": timing.total if timing is not None else None,
        "outside_training_seconds": timing.outside_training if timing is not None else None,
    }


# --- latency: per architecture, beside the runs ---------------------------------------------


def latest_models(root: str | os.PathLike) -> dict[str, Path]:
    """Each architecture's most recent trained model under ``root``, of the default variant:
    latency is stored per architecture and shown on its default rows, and a tuned model may
    be wider or narrower."""
    found: dict[str, tuple[str, Path]] = {}
    for folder, record in iter_runs(root):
        model = folder / MODEL
        if not record.ok or record.spec.variant != "default" or not model.exists():
            continue
        arch = record.spec.arch
        if arch not in found or record.date > found[arch][0]:
            found[arch] = (record.date, model)
    return {arch: model for arch, (_, model) in found.items()}


def _latency_columns(figures: ArchLatency | None) -> dict:
    timed = figures.leaderboard_runtime() if figures is not None else None
    if timed is None:
        return {}
    return {
        "latency_p50_ms": timed.p50_ms,
        "latency_p99_ms": timed.p99_ms,
        "throughput": timed.throughput,
    }
