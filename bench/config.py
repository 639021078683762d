"""What a suite runs: profiles, the training settings (``TrainConfig``), run specs, planning.

Profiles say how much data and how many epochs a run gets; ``TrainConfig`` is the one list
of training settings; ``RunSpec`` is one run; ``plan`` makes a suite's specs.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Sequence
from pathlib import Path

import architectures
from bench.environment import cpu_has_bf16, gpu_names
from bench.errors import BenchError
from bench.names import check_name

SCHEDULES = ("onecycle", "plateau")  # bench.train.protocol says what each does
PRECISIONS = ("float32", "bfloat16", "float16")


def resolve_precision(precision: str = "auto") -> str:
    """``precision`` itself, or for ``auto`` the fastest safe one for this machine."""
    if precision != "auto":
        return precision
    if gpu_names():
        return "float16"
    return "bfloat16" if cpu_has_bf16() else "float32"


def _capped(value: int, cap: int | None) -> int:
    return value if cap is None else min(value, cap)


@dataclasses.dataclass(frozen=True)
class Profile:
    name: str
    description: str
    train_size: int | None = None  # None: all training images left after the validation split
    val_size: int | None = None  # None: min(5000, a tenth of the training set)
    test_size: int | None = None  # None: the whole test set
    max_epochs: int | None = None  # None: the architecture's own budget (its schedule spans it)
    max_batch_size: int | None = None  # None: the architecture's own default
    seeds: int = 1  # runs per configuration, seeds 0, 1, ... (--seed moves the first)
    # It only checks that everything runs: its accuracies mean nothing, and the
    # after-training measurements make their cheapest useful default (bench.plugins).
    check: bool = False
    # A profile that trains each run exactly as another does, with more seeds, names it: its
    # runs are that profile's runs (the same folders and specs), so a finished one counts for
    # both and a folder of both holds one row per network.
    trains_as: str | None = None

    @property
    def run_profile(self) -> str:
        """The profile name a run of this profile records."""
        return self.trains_as or self.name

    def cap(self, config: TrainConfig) -> TrainConfig:
        """``config`` within this profile's limits on epochs and batch size."""
        return dataclasses.replace(
            config,
            epochs=_capped(config.epochs, self.max_epochs),
            batch_size=_capped(config.batch_size, self.max_batch_size),
        )


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(
            "smoke",
            "1,000 training images, one epoch: checks that everything runs",
            train_size=1000,
            val_size=500,
            test_size=1000,
            max_epochs=1,
            # 32 steps rather than 8: enough for BatchNorm's moving statistics to settle
            max_batch_size=32,
            check=True,
        ),
        Profile(
            "quick",
            "10,000 training images, at most 5 epochs: a first look",
            train_size=10000,
            max_epochs=5,
        ),
        Profile(
            "standard",
            "all training images, each architecture's own epoch budget and schedule",
        ),
        Profile(
            "full",
            "the standard runs with 3 seeds, a standard suite's runs its seed 0: intervals, tests",
            seeds=3,
            trains_as="standard",
        ),
    )
}
DEFAULT_PROFILE = "standard"


def is_check(name: str | None) -> bool:
    """Whether ``name`` is a profile that checks that everything runs (``Profile.check``),
    whose runs the report does not rank."""
    return name in PROFILES and PROFILES[name].check


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise BenchError(f"unknown profile '{name}'; choose from: {', '.join(PROFILES)}") from None


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """How a run trains: the one list of training settings.

    An architecture's defaults (``@register(train=...)``), a profile's caps, the command
    line's overrides, a repeat and a tuned run all start from here and change it with
    ``dataclasses.replace``; ``RunSpec`` adds what the run trains on.

    Under the default ``schedule``, ``"onecycle"``, a run trains for exactly ``epochs``: the
    learning rate rises linearly from 0 to ``learning_rate`` over the first ``warmup``
    fraction of the steps, then falls along a half cosine to 0 at the last step, and the run
    keeps its last weights. Under ``"plateau"`` (the protocol before it), ``epochs`` is a cap:
    early stopping on validation accuracy keeps the best epoch's weights, and the rate is
    cut when the validation loss stalls (``patience`` and the ``lr_`` settings).
    """

    epochs: int = 8
    batch_size: int = 128
    learning_rate: float = 2e-3  # onecycle: the peak; plateau: the starting rate
    weight_decay: float = 0.0  # decoupled, as in AdamW: each step shrinks weights by lr * wd
    schedule: str = "onecycle"
    warmup: float = 0.15  # onecycle: the fraction of steps spent warming up
    precision: str = "auto"  # auto: resolve_precision picks for the machine at hand
    patience: int = 5  # plateau: early stopping on validation accuracy
    lr_patience: int = 2  # plateau: halve the learning rate after this many flat epochs
    lr_factor: float = 0.5
    min_learning_rate: float = 1e-5
    augment_strength: float = 1.0  # scales the augmentation ranges (bench.data.augment)
    # The share of each target spread evenly over all classes (0: the plain one-hot target).
    label_smoothing: float = 0.0
    # Momentum of an exponential moving average of the weights, updated every step; the
    # run keeps the averaged weights. 0: off.
    ema: float = 0.0

    @classmethod
    def of(cls, arch: architectures.ArchSpec) -> TrainConfig:
        """The settings ``arch`` trains with: these defaults, changed where it says."""
        unknown = sorted(set(arch.train) - set(TRAIN_SETTINGS))
        if unknown:
            raise architectures.ArchitectureError(
                f"architecture '{arch.name}' ({arch.source}): unknown training setting "
                f"{', '.join(unknown)}; known: {', '.join(TRAIN_SETTINGS)}"
            )
        return dataclasses.replace(cls(), **arch.train)


TRAIN_SETTINGS = tuple(field.name for field in dataclasses.fields(TrainConfig))

# A record's spec is read back through RunSpec: a setting added after some runs were made
# takes, for them, the value they trained with.
LEGACY_SETTINGS = {"schedule": "plateau", "precision": "float32"}


@dataclasses.dataclass(frozen=True, kw_only=True)
class RunSpec(TrainConfig):
    """Everything that decides a run's outcome; two runs with equal specs are the same run."""

    dataset: str
    arch: str
    augment: bool
    seed: int = 0
    profile: str = "standard"
    variant: str = "default"
    train_size: int | None = None
    val_size: int | None = None
    test_size: int | None = None
    split_seed: int = 0
    arch_digest: str = ""  # the builder's source file hash: edited code means a new run
    # Tuned runs: the searched values the builder reads (bench.tune); None: its defaults.
    hyperparameters: dict | None = None

    @property
    def config(self) -> TrainConfig:
        """The training settings alone."""
        return TrainConfig(**{name: getattr(self, name) for name in TRAIN_SETTINGS})

    @property
    def run_id(self) -> str:
        """A folder name: readable, and unique per (dataset, profile, arch, variant, aug, seed)."""
        variant = "" if self.variant == "default" else f"-{self.variant}"
        run_id = (
            f"{dataset_slug(self.dataset)}-{self.profile}-{self.arch}{variant}-"
            f"{augment_tag(self.augment)}-s{self.seed}"
        )
        # Its parts may come from a record file (`run --from`): they must make one folder.
        return check_name(run_id, "run id")

    @property
    def label(self) -> str:
        aug = "on" if self.augment else "off"
        return f"{self.dataset} {self.arch} augment={aug} seed={self.seed}"

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        # Fields added later are left out at their default, so that the specs of records
        # written before they existed still match.
        for name, default in _ADDED_LATER.items():
            if data[name] == default:
                del data[name]
        return data

    @classmethod
    def from_dict(cls, data: object) -> RunSpec | None:
        """The spec a record holds, settings added since taking their old values; None when
        ``data`` is no spec (a record of another version, or a broken one)."""
        if not isinstance(data, dict):
            return None
        try:
            return cls(**{**LEGACY_SETTINGS, **data})
        except TypeError:
            return None


_ADDED_LATER = {"hyperparameters": None, "label_smoothing": 0.0, "ema": 0.0}


def augment_tag(augment: bool) -> str:
    """``aug`` or ``noaug``, as run and search folder names spell augmentation."""
    return "aug" if augment else "noaug"


def dataset_slug(dataset: str) -> str:
    """``idx:/data/fashion`` -> ``idx-fashion``: a dataset name safe as one folder name."""
    kind, _, path = dataset.partition(":")
    name = f"{kind}-{Path(path).stem}" if path else kind
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).lstrip(".-") or "_"


def plan(
    archs: list[str],
    dataset: str,
    profile: Profile,
    augment_modes: list[bool],
    seeds: Sequence[int] = (0,),
    **overrides,
) -> list[RunSpec]:
    """One spec per (seed, architecture, augmentation): each architecture's ``TrainConfig``,
    capped by the profile, then ``overrides`` (any ``RunSpec`` field, e.g. ``epochs=3``;
    None values ignored), with ``precision="auto"`` resolved for this machine.

    Seeds come outermost, so a suite cut short still holds complete tables for its
    first seeds.
    """
    given = {name: value for name, value in overrides.items() if value is not None}
    unknown = sorted(set(given) - {field.name for field in dataclasses.fields(RunSpec)})
    if unknown:
        raise TypeError(f"plan() got unknown settings: {', '.join(unknown)}")
    specs = []
    for seed, arch in itertools.product(seeds, archs):
        arch_spec = architectures.get(arch)
        config = dataclasses.replace(
            profile.cap(TrainConfig.of(arch_spec)),
            **{name: value for name, value in given.items() if name in TRAIN_SETTINGS},
        )
        settings = {
            **dataclasses.asdict(config),
            "precision": resolve_precision(config.precision),
            "train_size": profile.train_size,
            "val_size": profile.val_size,
            "test_size": profile.test_size,
            "arch_digest": arch_spec.code_digest(),
            **{name: value for name, value in given.items() if name not in TRAIN_SETTINGS},
        }
        for augment in augment_modes:
            specs.append(
                RunSpec(
                    dataset=dataset,
                    arch=arch,
                    augment=augment,
                    seed=seed,
                    profile=profile.run_profile,
                    **settings,
                )
            )
    return specs
