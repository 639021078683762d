"""Running a suite of runs, and knowing which of them are done already.

A run is (dataset, architecture, augmentation on/off, seed, training settings); one run is
made by ``bench.train.run``.
"""

from __future__ import annotations

import time
from pathlib import Path

from bench.config import RunSpec
from bench.data.splits import Splits
from bench.identity import same_network, saved_fingerprint
from bench.progress import Progress
from bench.store import files, results
from bench.store.records import DatasetInfo, RecordUnreadable, RunRecord
from bench.train.after import AfterTraining, measure_after, outcome
from bench.train.build import built_network
from bench.train.run import run_record
from bench.train.runcost import suite_work
from bench.train.runlock import RunLocked, run_lock


def run_suite(
    specs: list[RunSpec],
    splits: Splits,
    dataset: DatasetInfo,
    out_dir: Path,
    force: bool = False,
    progress: Progress | None = None,
    after: AfterTraining | None = None,
) -> list[RunRecord]:
    """Run every spec in turn; a failing run is recorded as failed and the suite goes on.

    Runs whose finished record already matches their spec are skipped unless ``force``, and
    so are runs that another live process is making (``bench.train.runlock``): their record here
    has the status ``locked``. Each run made is then measured as ``after`` says (the
    after-training measurements: ``bench.train.after``). Returns the records,
    skipped ones included.
    """
    progress = progress or Progress(len(specs))
    progress.plan(suite_work(specs, splits))
    records = []
    for spec in specs:
        run_dir = out_dir / spec.run_id
        try:
            with run_lock(run_dir):
                made = _run_unless_done(spec, splits, dataset, run_dir, force, progress, after)
                records.append(made)
        except RunLocked as locked:
            progress.run_skipped(spec.label, str(locked))
            records.append(
                RunRecord(run_id=spec.run_id, spec=spec, status="locked", error=str(locked))
            )
    return records


def _run_unless_done(spec, splits, dataset, run_dir, force, progress, after) -> RunRecord:
    """The run's finished record if it has one (and not ``force``), else a new one."""
    previous = None if force else finished_record(spec, splits, run_dir, progress)
    if previous is not None:
        return previous
    progress.run_started(spec.label)
    record, seconds = make_run(spec, splits, dataset, run_dir, progress, after, not force)
    progress.run_finished(seconds, outcome(record))
    return record


def make_run(
    spec: RunSpec,
    splits: Splits,
    dataset: DatasetInfo,
    run_dir: Path,
    progress: Progress,
    after: AfterTraining | None,
    resume: bool,
) -> tuple[RunRecord, float]:
    """Train, evaluate and record ``spec`` in ``run_dir``, then measure it as ``after`` says;
    the record, and the seconds it all took (what the progress estimate counts)."""
    record = run_record(spec, splits, dataset, run_dir, progress, resume)
    files.write_json(run_dir / results.RECORD, record.to_json())
    after_started = time.perf_counter()
    record = measure_after(record, run_dir, splits, after, progress.warn)
    return record, (record.wall_seconds or 0.0) + time.perf_counter() - after_started


def finished_record(
    spec: RunSpec, splits: Splits, run_dir: Path, progress: Progress
) -> RunRecord | None:
    """The finished record of ``spec`` that ``run_dir`` holds, said as skipped; None when
    the run is still to be made."""
    previous = _previous_record(run_dir, progress)
    if not is_done(previous, spec, run_dir, splits):
        return None
    edited = previous.spec != spec
    note = " (its code changed since, not its network)" if edited else ""
    progress.run_skipped(spec.label, f"already done, skipped{note}")
    return previous


def _previous_record(run_dir: Path, progress: Progress) -> RunRecord | None:
    """The record an earlier attempt left in ``run_dir``; one that cannot be read is said
    and treated as none, so that the run is made again."""
    try:
        return results.read_run_record(run_dir)
    except RecordUnreadable as problem:
        progress.warn(f"{problem}, running again")
        return None


def is_done(
    record: RunRecord | None,
    spec: RunSpec,
    run_dir: Path | None = None,
    splits: Splits | None = None,
) -> bool:
    """Whether ``record`` is a finished run of ``spec``.

    A run whose builder's code has changed since still counts when the code builds now for
    ``splits`` the network the run trained (``trained_network``, ``bench.identity``).
    """
    if record is None or not record.ok:
        return False

    def current_network() -> str | None:
        if splits is None:
            return None
        return built_network(spec, splits.input_shape, splits.num_classes)

    return same_network(
        record.spec.to_dict(),
        spec.to_dict(),
        trained_network(record, run_dir),
        current_network,
    )


def trained_network(record: RunRecord, run_dir: Path | None = None) -> str | None:
    """The fingerprint of the network a finished run trained: from its record, or for a
    record written before records held it, from the model saved in ``run_dir``.
    None: unknown, or the network holds code from outside Keras."""
    network = record.model.network if record.model is not None else None
    if network is None and run_dir is not None:
        network = saved_fingerprint(run_dir / results.MODEL)
    return network
