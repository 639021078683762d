"""Finished runs revisited: the runs of a results folder that kept their model, with the data
each was made on, for the commands that add to their records (``bench quantize``,
``bench robustness``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bench.api import PathLike, data_for, load_architectures
from bench.errors import one_line

if TYPE_CHECKING:
    from bench.data import Splits
    from bench.store.records import RunRecord

# What loading a model file that is not one raises, in Keras' words.
MODEL_LOAD_ERRORS = (OSError, ValueError, TypeError)


def saved_runs(
    results: PathLike,
    wanted: Callable[[RunRecord], bool],
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
