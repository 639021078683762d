"""The Python API: what the command line does, as functions for notebooks and scripts.

The ``bench`` commands parse their flags, call these and print; the arguments are named as
the flags and ``bench.config`` name them. Heavy libraries load inside the functions, so that
``import bench`` stays light.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench import config, tflog
from bench.config import TRAIN_SETTINGS, RunSpec, get_profile
from bench.errors import BenchError
from bench.plugins import load_measurement_module
from bench.store.records import DatasetInfo, RunRecord
from bench.train.after import after_training

if TYPE_CHECKING:
    import pandas

    from bench.data import Dataset, Splits
    from bench.progress import Progress
    from bench.tune import SearchOutcome, SearchSettings

# A notebook's or script's output stays as clear as the command line's: TensorFlow's C++ log
# off unless BENCH_TF_LOG=1 asks for it.
tflog.silence()

AUGMENT_MODES = {"on": [True], "off": [False], "both": [False, True]}
PathLike = str | os.PathLike


@dataclasses.dataclass(frozen=True, eq=False)
class Data:
    """A dataset as read and its splits: the arrays a run trains on, and the source and
    checksums its record keeps."""

    dataset: Dataset
    splits: Splits

    @property
    def info(self) -> DatasetInfo:
        return dataset_info(self.dataset)


def dataset_info(dataset: Dataset) -> DatasetInfo:
    """What a run's record says about its data."""
    return DatasetInfo(
        name=dataset.name,
        source=dataset.source,
        checksums=dataset.checksums,
        num_classes=dataset.num_classes,
        input_shape=list(dataset.input_shape),
    )


def load_architectures(arch_modules: Sequence[PathLike] = ()):
    """The architecture registry, with the entry points and ``arch_modules`` (files that
    register more architectures) loaded."""
    import architectures

    architectures.load_entry_points()
    for path in arch_modules:
        architectures.load_module(path)
    return architectures


def select_architectures(
    archs: str | Sequence[str] | None = None, arch_modules: Sequence[PathLike] = ()
) -> list[str]:
    """``archs`` (None: every registered one); an unknown name fails here, before any data
    is read."""
    architectures = load_architectures(arch_modules)
    names = [archs] if isinstance(archs, str) else list(archs or architectures.names())
    for name in names:
        architectures.get(name)
    return names


def load_data(
    dataset: str = "mnist",
    data_dir: PathLike | None = None,
    profile: str = "standard",
    val_size: int | None = None,
    train_size: int | None = None,
    test_size: int | None = None,
    split_seed: int = 0,
) -> Data:
    """``dataset`` (mnist, fashion_mnist, digits, idx:DIR or csv:FILE) split as ``profile``
    splits it; a size given here replaces the profile's."""
    chosen = get_profile(profile)
    for name, size in (("val_size", val_size), ("train_size", train_size)):
        if size is not None and size <= 0:
            raise BenchError(f"{name} must be a positive number of images, got {size}")
    return _load(
        dataset,
        data_dir,
        val_size=chosen.val_size if val_size is None else val_size,
        train_size=chosen.train_size if train_size is None else train_size,
        test_size=chosen.test_size if test_size is None else test_size,
        seed=split_seed,
    )


def data_for(spec: RunSpec, data_dir: PathLike | None = None) -> Data:
    """The data ``spec`` trains on, split as it says."""
    return _load(
        spec.dataset,
        data_dir,
        val_size=spec.val_size,
        train_size=spec.train_size,
        test_size=spec.test_size,
        seed=spec.split_seed,
    )


def _load(dataset: str, data_dir: PathLike | None, **split) -> Data:
    from bench.data import load_dataset, split_dataset

    loaded = load_dataset(dataset, data_dir)
    return Data(loaded, split_dataset(loaded, **split))


def plan(
    archs: str | Sequence[str] | None = None,
    dataset: str = "mnist",
    profile: str = "standard",
    augment: str | bool = "both",
    seeds: int | None = None,
    seed: int = 0,
    *,
    arch_modules: Sequence[PathLike] = (),
    tuned: bool = False,
    out: PathLike = "results",
    announce: Callable[[str], None] | None = None,
    **settings: Any,
) -> list[RunSpec]:
    """The runs of a suite: each architecture of ``archs`` (None: all) with augmentation
    ``on``, ``off`` or ``both``, for ``seeds`` seeds from ``seed`` (None: the profile's
    count); ``settings`` replace training settings (``epochs=3``; None leaves one as is).

    ``tuned`` runs each architecture's best configuration from ``bench.search`` (found
    under ``out``) as variant ``tuned``; ``announce`` gets a line per architecture on it.
    """
    names = select_architectures(archs, arch_modules)
    chosen = get_profile(profile)
    modes = _augment_modes(augment)
    if seeds is not None and seeds <= 0:
        raise BenchError(f"seeds must be a positive count, got {seeds}")
    _check_settings(settings)
    seed_range = range(seed, seed + (seeds or chosen.seeds))
    if tuned:
        from bench.tune import tuned_specs

        return tuned_specs(out, names, dataset, chosen, modes, seed_range, announce, **settings)

    return config.plan(names, dataset, chosen, modes, seed_range, **settings)


def _augment_modes(augment: str | bool) -> list[bool]:
    if isinstance(augment, bool):
        return [augment]
    if augment not in AUGMENT_MODES:
        raise BenchError(f"augment must be one of {', '.join(AUGMENT_MODES)}, got {augment!r}")
    return AUGMENT_MODES[augment]


# Set per suite by plan() itself, not by the caller.
_PLANNED = ("dataset", "arch", "augment", "seed", "profile", "arch_digest")


def _check_settings(settings: dict) -> None:
    known = [f.name for f in dataclasses.fields(RunSpec) if f.name not in _PLANNED]
    unknown = sorted(set(settings) - set(known))
    if unknown:
        raise BenchError(
            f"unknown setting {', '.join(unknown)}; training settings: "
            f"{', '.join(TRAIN_SETTINGS)}; and val_size, train_size, test_size"
        )


def run(
    specs: Sequence[RunSpec],
    data: Data | None = None,
    out: PathLike = "results",
    force: bool = False,
    quiet: bool = False,
    data_dir: PathLike | None = None,
    determinism: bool = True,
    progress: Progress | None = None,
    measure: Mapping[str, Any] | None = None,
    workers: int | None = None,
    threads_per_worker: int | None = None,
    scheduler: str | None = None,
    arch_modules: Sequence[PathLike] = (),
    measurement_modules: Sequence[PathLike] = (),
    **deprecated: Any,
) -> list[RunRecord]:
    """Train and evaluate ``specs`` into ``out``, one folder per run, and return their
    records; finished runs are skipped unless ``force``. ``data`` defaults to the specs'
    dataset (from ``data_dir``) split as the first spec says.

    ``measure``: what each run is measured on after its test evaluation, by measurement
    (``bench.plugins``; ``bench list-measurements`` names them): its option's text or its
    settings, as ``{"exports": "int8", "robustness": "none"}``, with the measurements' other
    options beside them (``{"keep_exports": True}``); a measurement left out takes its
    environment variable, else the profile's default. ``measurement_modules``: files that
    register more measurements, imported first (and by the workers of a cluster).

    ``determinism`` turns on TensorFlow's op determinism (process-wide) so that a seed
    gives the same predictions on the same machine.

    ``workers`` runs the suite on a local Dask cluster of that many processes with
    ``threads_per_worker`` TensorFlow threads each (default: the cores split evenly);
    ``scheduler`` (``tcp://HOST:8786``) on a running one, whose workers also load
    ``arch_modules`` (``bench.train.grid``).
    """
    if not specs:
        raise BenchError("no runs to make: plan() gave none")
    cluster = check_cluster(workers, threads_per_worker, scheduler)
    datasets = sorted({spec.dataset for spec in specs})
    if len(datasets) > 1:
        raise BenchError(f"the runs of one suite train on one dataset, not {datasets}")
    for path in measurement_modules:
        load_measurement_module(path)
    after = after_training({**(measure or {}), **_renamed(deprecated)}, specs[0].profile)
    if determinism:
        enable_determinism()
    data = data or data_for(specs[0], data_dir)
    from bench.progress import Progress
    from bench.train.suite import run_suite

    progress = progress or Progress(len(specs), quiet=quiet)
    if cluster is None:
        return run_suite(list(specs), data.splits, data.info, Path(out), force, progress, after)
    from bench.train.grid import run_grid

    return run_grid(
        list(specs), data.splits, data.info, Path(out), cluster, force, progress, after,
        determinism, tuple(map(str, arch_modules)), tuple(map(str, measurement_modules)),
    )  # fmt: skip


# The keywords `run` took before measurements were plugins, kept for a release.
_RENAMED = {"exports": "exports", "keep_exports": "keep_exports", "corruptions": "robustness"}


def _renamed(deprecated: dict[str, Any]) -> dict[str, Any]:
    """``run``'s old keywords as ``measure`` names them, each with a deprecation warning."""
    unknown = sorted(set(deprecated) - set(_RENAMED))
    if unknown:
        raise TypeError(f"run() got an unexpected keyword argument '{unknown[0]}'")
    for old in deprecated:
        warnings.warn(
            f"run({old}=...) is deprecated; use run(measure={{'{_RENAMED[old]}': ...}})",
            DeprecationWarning,
            stacklevel=3,
        )
    return {_RENAMED[old]: value for old, value in deprecated.items()}


def check_cluster(
    workers: int | None = None, threads_per_worker: int | None = None, scheduler: str | None = None
):
    """The Dask cluster ``run`` would put a suite on (None: this process), checked before
    any data loads: Dask installed, the scheduler's port answering."""
    if workers is None and scheduler is None:
        if threads_per_worker is not None:
            raise BenchError("threads_per_worker goes with workers or scheduler: give one of them")
        return None
    from bench.train.grid import ClusterSettings

    cluster = ClusterSettings(workers, threads_per_worker, scheduler)
    cluster.check()
    return cluster


def enable_determinism() -> None:
    from bench.environment import enable_determinism as enable

    enable()


@dataclasses.dataclass
class Search:
    """Hyperparameter searches ready to go: one per spec, on ``data``'s training and
    validation splits (the test split is not used)."""

    specs: list[RunSpec]
    data: Data
    out: Path
    settings: SearchSettings
    role: str  # local, chief or worker
    # keras-tuner's variables for the role, set only while the searches run
    environment: dict[str, str] = dataclasses.field(default_factory=dict)

    def outcomes(self) -> Iterator[SearchOutcome]:
        """Search each architecture in turn, yielding what each search found."""
        from bench.tune.roles import tuner_environment
        from bench.tune.search import search as search_one

        with tuner_environment(self.environment):
            for spec in self.specs:
                yield search_one(spec, self.data.splits, self.out, self.settings)


def prepare_search(
    archs: str | Sequence[str] | None = None,
    dataset: str = "mnist",
    data_dir: PathLike | None = None,
    profile: str = "standard",
    tuner: str = "random",
    max_trials: int | None = None,
    time_budget: float | None = None,
    augment: bool = False,
    seed: int = 0,
    out: PathLike = "results",
    quiet: bool = False,
    arch_modules: Sequence[PathLike] = (),
    distributed: str | None = None,
    oracle: str | None = None,
    worker_id: int | None = None,
    determinism: bool = True,
) -> Search:
    """Plan the searches ``search`` runs, load their data and take the ``distributed`` role
    (``chief`` or ``worker``, with the chief's ``oracle`` address HOST:PORT)."""
    from bench.tune import SearchSettings, distributed_env, distributed_role

    specs = plan(archs, dataset, profile, augment, seed=seed, seeds=1, arch_modules=arch_modules)
    if distributed is None and (oracle or worker_id is not None):
        raise BenchError("--oracle and --worker-id go with --distributed chief|worker")
    if distributed is not None and not oracle:
        raise BenchError("--distributed needs --oracle HOST:PORT, the chief's address")
    env = {}
    if distributed is not None:
        env = distributed_env(distributed, oracle, worker_id)
    role = distributed_role({**os.environ, **env})
    if role != "local" and len(specs) > 1:
        raise BenchError("a distributed search takes one architecture: use --arch NAME")
    data = data_for(specs[0], data_dir)
    if determinism:
        enable_determinism()
    settings = SearchSettings(tuner, max_trials, time_budget, quiet)
    return Search(specs, data, Path(out), settings, role, env)


def search(*args: Any, **kwargs: Any) -> list[SearchOutcome]:
    """Search hyperparameters with keras-tuner: ``prepare_search``'s arguments, every search
    run in turn. State is kept under ``out``/tuning, so a second call continues; the best
    configuration of each goes to its best.json, for ``plan(..., tuned=True)``."""
    return list(prepare_search(*args, **kwargs).outcomes())


def load_results(out: PathLike = "results") -> pandas.DataFrame:
    """One row per run found under ``out``, as the report reads them."""
    from bench.store import results

    return results.load(out)


def leaderboard(results: PathLike = "results") -> pandas.DataFrame:
    """The report's leaderboard of the runs under ``results``, with significance marks."""
    from report import leaderboard as board
    from report import load_runs
    from report.significance import compare_groups

    frame, runs = load_runs(results)
    return board(frame, compare_groups(runs))


def which_to_pick(results: PathLike = "results") -> list:
    """The "which to pick" rows of the runs under ``results`` (``report.picks.Pick``)."""
    from report import leaderboard as board
    from report import load_runs
    from report.picks import picks
    from report.significance import compare_groups

    frame, runs = load_runs(results)
    comparisons = compare_groups(runs)
    return picks(board(frame, comparisons), comparisons)


def build_report(
    results: PathLike = "results",
    out: PathLike | None = None,
    benchmarks: PathLike = ".benchmarks",
) -> Path:
    """Write the self-contained HTML report of ``results`` (default: RESULTS/report.html)."""
    from report import build_report as build

    return build(results, out, benchmarks)
