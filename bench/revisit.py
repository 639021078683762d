"""Finished runs revisited: ``bench measure NAME`` adds an after-training measurement
(``bench.plugins``) to the runs of a results folder that kept their model, with the data
each was made on."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.api import PathLike, data_for, load_architectures
from bench.errors import one_line
from bench.plugins import get_measurement, load_measurement_module

if TYPE_CHECKING:
    from bench.data import Splits
    from bench.store.records import RunRecord

# What loading a model file that is not one raises, in Keras' words.
MODEL_LOAD_ERRORS = (OSError, ValueError, TypeError)


def measure_runs(
    name: str,
    results: PathLike = "results",
    data_dir: PathLike | None = None,
    settings: Any = None,
    force: bool = False,
    arch_modules: Sequence[PathLike] = (),
    measurement_modules: Sequence[PathLike] = (),
    announce: Callable[[str], None] | None = None,
    options: Mapping[str, Any] | None = None,
) -> list[RunRecord]:
    """Add the measurement ``name`` to each finished run under ``results`` whose model file
    is there and whose record lacks it (all of them with ``force``). Returns the records
    rewritten.

    ``settings``: the measurement's option text (``"int8"`` for ``exports``) or settings;
    None takes its environment variable, else run by run what the run's profile makes by
    default (where that is nothing, as for a check profile, what the others make).
    ``options`` holds the values of the measurement's other options, by name
    (``keep_exports``). Each run's data is loaded as its spec says (from ``data_dir``); its
    test images are checked against the labels its predictions were saved with. The
    modules of ``arch_modules`` and ``measurement_modules`` are imported first; a model that
    cannot be loaded is announced and left as it is.
    """
    from bench.train.after import measure as add_section

    for path in measurement_modules:
        load_measurement_module(path)
    measurement = get_measurement(name)
    announce = announce or (lambda line: None)

    def wanted(record: RunRecord) -> Any:
        made = measurement.settings(settings, record.spec.profile, dict(options or {}))
        if settings is None and not measurement.asks(made):
            # asked for by name: where the profile makes none (a check's), the usual default
            made = measurement.settings(None, None, dict(options or {}))
        return measurement.missing(record, made, force) if measurement.asks(made) else None

    updated = []
    for folder, record, splits in saved_runs(results, wanted, data_dir, arch_modules, announce):
        try:
            record = add_section(record, folder, splits, name, wanted(record))
        except MODEL_LOAD_ERRORS as exc:
            announce(load_failed(record, folder, exc))
            continue
        updated.append(record)
        said = measurement.said(record.section(name))
        announce(f"{record.run_id}: {said or 'measured'}")
    return updated


def saved_runs(
    results: PathLike,
    wanted: Callable[[RunRecord], Any],
    data_dir: PathLike | None = None,
    arch_modules: Sequence[PathLike] = (),
    announce: Callable[[str], None] | None = None,
) -> Iterator[tuple[Path, RunRecord, Splits]]:
    """(run folder, record, splits) of each finished run under ``results`` that ``wanted``
    picks and whose model and test predictions are there, its data loaded as its spec says
    (from ``data_dir``), once per split. A run without those files is announced and passed
    over. The architectures of ``arch_modules`` are registered first, so that models load."""
    from bench.store import results as store

    runs = store.finished_runs(results)
    load_architectures(arch_modules).names()  # registers the layers and functions models use
    announce = announce or (lambda line: None)
    loaded = {}
    for folder, record in runs:
        if not record.ok or not wanted(record):
            continue
        absent = [name for name in (store.MODEL, store.PREDICTIONS) if not (folder / name).exists()]
        if absent:
            announce(f"{record.run_id}: no {' or '.join(absent)} in {folder}, skipped")
            continue
        spec = record.spec
        split = (spec.dataset, spec.val_size, spec.train_size, spec.test_size, spec.split_seed)
        if split not in loaded:
            loaded[split] = data_for(spec, data_dir).splits
        yield folder, record, loaded[split]


def load_failed(record: RunRecord, folder: Path, exc: Exception) -> str:
    """What is announced for a run whose model file would not load."""
    from bench.store import results as store

    return f"{record.run_id}: FAILED to load {folder / store.MODEL}: {one_line(exc)}"
