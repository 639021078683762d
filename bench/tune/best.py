"""``best.json``: the best configuration a search found, and the tuned runs made from it.

It is saved beside the search after every trial, so that a search cut off later keeps the
best of the trials it finished; ``bench run --tuned`` trains and evaluates it.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import architectures
from bench.config import augment_tag, plan
from bench.errors import BenchError
from bench.identity import same_network
from bench.store import files
from bench.tune.progress import format_values
from bench.tune.settings import BEST, OBJECTIVE, arch_dir
from bench.tune.trials import best_trial, finished_trials, searched_values
from bench.words import counted

if TYPE_CHECKING:
    from bench.config import Profile, RunSpec
    from bench.data import Splits


@dataclasses.dataclass
class BestConfig:
    """``best.json``: the best hyperparameters of a search and how they were found."""

    arch: str
    dataset: str
    profile: str
    tuner: str
    augment: bool
    seed: int
    project: str  # the search's folder beside best.json
    objective: str
    trials: int  # trials finished (completed or failed) in the search so far
    best_trial: str
    best_val_accuracy: float
    hyperparameters: dict[str, Any]
    updated: str = ""
    arch_digest: str = ""  # the builder's source hash when searched (RunSpec.arch_digest)
    # What the best values built, so that an edit that changes no layer keeps them usable
    # (bench.identity; None where the network holds code from outside Keras).
    network: str | None = None
    input_shape: list[int] | None = None
    num_classes: int | None = None

    @property
    def learning_rate(self) -> float:
        return float(self.hyperparameters["learning_rate"])

    @property
    def architecture_values(self) -> dict[str, Any]:
        """The values the builder (and the default dropout) read; not the learning rate."""
        return {k: v for k, v in self.hyperparameters.items() if k != "learning_rate"}

    def builds_searched_network(self) -> bool:
        """Whether the builder's code now builds, with these values, the network searched.

        bench.identity's rule for edited code, asked whatever the code digest says: the
        searched spec against the same spec under other code.
        """
        searched = {"arch": self.arch, "arch_digest": self.arch_digest}
        edited = {**searched, "arch_digest": f"not {self.arch_digest}"}
        return same_network(searched, edited, self.network, self.network_now)

    def network_now(self) -> str | None:
        """The fingerprint of what the builder makes of these values today."""
        if self.input_shape is None or self.num_classes is None:
            return None
        return built_network(
            self.arch, tuple(self.input_shape), self.num_classes, self.architecture_values
        )


@dataclasses.dataclass
class SearchOutcome:
    """What one ``search`` call did; ``best`` is None where nothing is known yet."""

    arch: str
    role: str  # local, chief or worker
    trials_run: list[str]  # trial ids this process ran
    trials_total: int
    best: BestConfig | None
    best_path: Path | None
    stopped_by_budget: bool = False
    error: str | None = None


def read_best(path: str | os.PathLike) -> BestConfig | None:
    """The stored best configuration, or None when there is none; one that is there but
    cannot be read raises a ``BenchError`` naming the file."""
    path = Path(path)
    if not path.exists():
        return None
    data = files.read_json(path)  # None: cut short, garbled, or not readable at all
    if not isinstance(data, dict):
        raise _unreadable(path, "not a JSON object")
    fields = dataclasses.fields(BestConfig)
    missing = [f.name for f in fields if f.default is dataclasses.MISSING and f.name not in data]
    if missing:
        raise _unreadable(path, f"no {', '.join(missing)}")
    return BestConfig(**{f.name: data[f.name] for f in fields if f.name in data})


def _unreadable(path: Path, reason: str) -> BenchError:
    return BenchError(f"{path}: unreadable ({reason}); running its search again writes it anew")


def save_best(
    oracle: Any, state: Path, spec: RunSpec, splits: Splits, tuner: str
) -> BestConfig | None:
    """Keep the best trial so far of the search in ``state`` beside it, as ``best.json``."""
    trial = best_trial(oracle)
    if trial is None:
        return None
    best = BestConfig(
        arch=spec.arch,
        dataset=spec.dataset,
        profile=spec.profile,
        tuner=tuner,
        augment=spec.augment,
        seed=spec.seed,
        project=state.name,
        objective=OBJECTIVE,
        trials=len(finished_trials(oracle)),
        best_trial=trial.trial_id,
        best_val_accuracy=float(trial.score),
        hyperparameters=searched_values(trial.hyperparameters.values),
        arch_digest=spec.arch_digest,
        input_shape=list(splits.input_shape),
        num_classes=splits.num_classes,
        updated=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    )
    best.network = best.network_now()
    files.write_json(state.parent / BEST, dataclasses.asdict(best))
    return best


def built_network(
    arch: str, input_shape: tuple[int, ...], num_classes: int, values: dict[str, Any]
) -> str | None:
    """The fingerprint of what ``arch``'s builder makes of ``values`` (bench.identity)."""
    # TensorFlow loads only here, when a network is built: reading best.json needs none.
    from bench.identity import model_fingerprint
    from bench.train.build import build_model

    return model_fingerprint(build_model(arch, input_shape, num_classes, values))


def tuned_specs(
    out_dir: str | os.PathLike,
    archs: list[str],
    dataset: str,
    profile: Profile,
    augment_modes: list[bool],
    seeds: Sequence[int] = (0,),
    announce: Callable[[str], None] | None = None,
    **overrides: Any,
) -> list[RunSpec]:
    """Runs of each architecture's best configuration (variant ``tuned``), from best.json;
    ``announce`` gets a line per architecture saying which search found it."""
    if overrides.pop("learning_rate", None) is not None:
        raise BenchError("--tuned trains with the tuned learning rate; drop --learning-rate")
    specs = []
    for arch in archs:
        best, edited = _usable_best(out_dir, dataset, arch)
        if announce is not None:
            announce(
                f"{arch}: tuned by the {best.profile} {best.tuner} search "
                f"({augment_tag(best.augment)}, seed {best.seed}, {counted(best.trials, 'trial')}, "
                f"best {best.objective} {best.best_val_accuracy:.4f}): "
                f"{format_values(best.hyperparameters)}"
                + (" (its code changed since, not its network)" if edited else "")
            )
        specs += plan(
            [arch],
            dataset,
            profile,
            augment_modes,
            seeds,
            **overrides,
            variant="tuned",
            learning_rate=best.learning_rate,
            hyperparameters=best.architecture_values,
        )
    return sorted(specs, key=lambda spec: spec.seed)  # seeds outermost, as in plan


def _usable_best(out_dir: str | os.PathLike, dataset: str, arch: str) -> tuple[BestConfig, bool]:
    """``arch``'s best configuration, and whether its code changed since (not its network)."""
    path = arch_dir(out_dir, dataset, arch) / BEST
    best = read_best(path)
    if best is None:
        raise BenchError(
            f"no tuned hyperparameters for {arch} on {dataset} ({path} is missing); "
            f"run `python -m bench tune --arch {arch} --dataset {dataset}` first"
        )
    current = architectures.get(arch).code_digest()
    edited = bool(current) and best.arch_digest != current
    if edited and not best.builds_searched_network():
        raise BenchError(
            f"{path} was searched with an earlier version of {arch}'s builder (its code "
            f"has changed since, and may build another network); run `python -m bench "
            f"tune --arch {arch} --dataset {dataset}` again"
        )
    return best, edited
