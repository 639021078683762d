"""Hyperparameter search with keras-tuner, locally or as chief and workers.

Every architecture gets the same budget (trials, profile, time) so that the comparison stays
fair. A search sees the training and validation arrays only: the objective is validation
accuracy, and the test set is left for the one evaluation of the tuned run.

State lives under ``DIR/tuning/<dataset>/<arch>/<profile>-<tuner>-<aug>-s<seed>-<digest>/``
(keras-tuner's own files; the digest of the trial settings keeps stale searches apart), so
running the same search again continues it (a trial cut off part-way goes on from its last
epoch's checkpoint in its trial folder, as a run does); the best configuration of the latest
search is kept beside it in ``best.json``, which ``bench run --tuned`` trains and evaluates.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from bench.config import TrainConfig
from bench.errors import BenchError
from bench.progress import epoch_line, format_duration, resumed_line, took
from bench.store import results
from bench.train.build import build_model, declares_search_space

if TYPE_CHECKING:  # the heavy modules (TensorFlow) load only when a search runs
    from bench.config import Profile, RunSpec
    from bench.data import Splits

OBJECTIVE = "val_accuracy"  # maximised; the test set never takes part in a search
TUNERS = ("random", "hyperband", "bayesian")
DEFAULT_MAX_TRIALS = 10
TUNING_DIR = "tuning"
BEST = "best.json"
# The learning rate is searched for every architecture, around its own default.
LEARNING_RATE_RANGE = (1e-4, 3e-3)
# The fit argument by which a trial's hypermodel learns where to keep its epoch checkpoints.
CHECKPOINT_FOLDER = "checkpoint_folder"
_ENV_ID = "KERASTUNER_TUNER_ID"
_ENV_IP = "KERASTUNER_ORACLE_IP"
_ENV_PORT = "KERASTUNER_ORACLE_PORT"


@dataclasses.dataclass(frozen=True)
class SearchSettings:
    """How one search runs: the same for every architecture of a comparison."""

    tuner: str = "random"
    max_trials: int | None = None  # None: DEFAULT_MAX_TRIALS (hyperband: its own schedule)
    time_budget_minutes: float | None = None  # no trial starts after this; None: no limit
    quiet: bool = False


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
        """Whether the builder's code now builds, with these values, the network searched."""
        if self.network is None or self.input_shape is None or self.num_classes is None:
            return False
        return self.network == _network(
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


# --- paths and best.json -------------------------------------------------------------------


def arch_dir(out_dir: str | os.PathLike, dataset: str, arch: str) -> Path:
    """``DIR/tuning/<dataset>/<arch>``: every search of ``arch`` on ``dataset``."""
    from bench.config import dataset_slug

    return Path(out_dir) / TUNING_DIR / dataset_slug(dataset) / arch


def project_name(spec: RunSpec, tuner: str) -> str:
    """Searches that differ in profile, tuner, augmentation or seed are kept apart, and so are
    searches whose trials train differently (edited builder, other epochs or batch size): the
    short digest of the spec at the end means such a search starts afresh instead of mixing
    its trials with stale ones."""
    import hashlib

    from bench.config import augment_tag

    digest = hashlib.sha256(json.dumps(spec.to_dict(), sort_keys=True).encode()).hexdigest()
    return f"{spec.profile}-{tuner}-{augment_tag(spec.augment)}-s{spec.seed}-{digest[:8]}"


def read_best(path: str | os.PathLike) -> BestConfig | None:
    """The stored best configuration, or None when there is none (or it is unreadable)."""
    try:
        data = json.loads(Path(path).read_text())
        names = {f.name for f in dataclasses.fields(BestConfig)}
        return BestConfig(**{k: v for k, v in data.items() if k in names})
    except (OSError, ValueError, TypeError, AttributeError):
        return None


# --- the model: the architecture plus the tuning hyperparameters -------------------------------


def _learning_rate(hp: Any, default: float) -> float:
    low, high = LEARNING_RATE_RANGE
    return hp.Float(
        "learning_rate",
        min(low, default),
        max(high, default),
        sampling="log",
        default=default,
    )


def _hypermodel(
    spec: RunSpec,
    input_shape: tuple[int, ...],
    num_classes: int,
    progress: TrialProgress | None = None,
    train_images: int = 1,
) -> Any:
    """A keras-tuner HyperModel that trains a trial exactly as the harness trains a run (on
    ``train_images`` images, which the learning-rate schedule spans), checkpointed after
    every epoch so that a cut-off trial goes on where it stopped."""
    import keras
    import keras_tuner

    import architectures
    from bench.train import protocol
    from bench.train.fit import (
        EpochLog,
        FitPlan,
        checkpointed_fit,
        compile_for_training,
        steps_per_epoch,
    )

    own_space = declares_search_space(spec.arch, input_shape, num_classes)
    default_lr = TrainConfig.of(architectures.get(spec.arch)).learning_rate

    class BenchHyperModel(keras_tuner.HyperModel):
        def build(self, hp):
            model = protocol.built_in(
                spec.precision,
                lambda: build_model(spec.arch, input_shape, num_classes, hp, own_space, spec.seed),
            )
            steps = steps_per_epoch(spec, train_images)
            compile_for_training(model, spec, steps, _learning_rate(hp, default_lr))
            return model

        def fit(self, hp, model, x, y, validation_data=None, callbacks=None, **kwargs):
            epochs = kwargs.get("epochs", spec.epochs)  # hyperband sets its own
            epoch_log = EpochLog(progress, epochs)
            plan = FitPlan(
                spec,
                kwargs[CHECKPOINT_FOLDER],
                epoch_log,
                identity={**spec.to_dict(), "trial": hp.values},
                epochs=epochs,
                initial_epoch=kwargs.get("initial_epoch", 0),
                # keras-tuner's own callbacks (its best-epoch checkpoint) come first
                first_callbacks=callbacks or [],
            )
            checkpointed_fit(model, plan, x, y, validation_data)
            # keras-tuner scores the trial on the history returned, which must hold the
            # epochs trained before a cut as well as those after it
            history = keras.callbacks.History()
            history.history = {
                name: [row[name] for row in epoch_log.rows]
                for name in (epoch_log.rows[-1] if epoch_log.rows else {})
                if name not in ("epoch", "seconds", "train_seconds")
            }
            history.epoch = [row["epoch"] - 1 for row in epoch_log.rows]
            return history

    return BenchHyperModel(name=spec.arch)


def search_space(spec: RunSpec, input_shape: tuple[int, ...], num_classes: int) -> Any:
    """The hyperparameters a search of ``spec.arch`` explores, each with its default."""
    import keras_tuner

    hp = keras_tuner.HyperParameters()
    _hypermodel(spec, input_shape, num_classes).build(hp)
    return hp


# --- progress ----------------------------------------------------------------------------------


class TrialProgress:
    """Prints ``[trial k/n]`` with the values tried, then the score and the best so far."""

    def __init__(self, total: int | None, quiet: bool = False, stream: TextIO | None = None):
        self.total = total
        self.quiet = quiet
        self.stream = stream or sys.stdout
        self.started = time.perf_counter()
        self._trial_started: dict[str, float] = {}
        self._resumed: set[str] = set()  # trials that went on from a checkpoint in this process
        self.ran: list[str] = []
        self.trial_seconds: list[float] = []

    def note(self, text: str) -> None:
        if not self.quiet:
            print(text, file=self.stream, flush=True)

    def epoch_finished(
        self, epoch: int, max_epochs: int, logs: dict, seconds: float, mean_seconds: float
    ) -> None:
        self.note(epoch_line(epoch, max_epochs, logs, seconds, mean_seconds, "trial"))

    def run_resumed(self, epochs_done: int, max_epochs: int) -> None:
        if self._trial_started:  # the trial begun last is the one this process trains
            self._resumed.add(list(self._trial_started)[-1])
        self.note(resumed_line(epochs_done, max_epochs))

    def began(self, trial: Any) -> None:
        self._trial_started[trial.trial_id] = time.perf_counter()
        of = f"/{self.total}" if self.total else ""
        values = format_values(_searched(trial.hyperparameters.values))
        number = trial_number(trial.trial_id)
        left = ""
        if self.total and self.trial_seconds and number.isdigit():
            # as long again as the trials this process has seen finish, on average
            mean = sum(self.trial_seconds) / len(self.trial_seconds)
            left = f" | ~{format_duration(mean * (self.total - int(number) + 1))} left"
        self.note(
            f"[trial {number}{of}] {values or 'defaults'} | "
            f"elapsed {format_duration(time.perf_counter() - self.started)}{left}"
        )

    def ended(self, trial: Any, best: Any) -> None:
        self.ran.append(trial.trial_id)
        seconds = time.perf_counter() - self._trial_started.pop(trial.trial_id, self.started)
        resumed = trial.trial_id in self._resumed
        if not resumed:  # part of a trial would make the estimate of those left too short
            self.trial_seconds.append(seconds)
        if trial.score is None or trial.status != "COMPLETED":
            reason = (trial.message or "").strip().splitlines()[-1:] or ["no score"]
            outcome = f"{trial.status.lower()}: {reason[0][:200]}"
        else:
            outcome = f"{OBJECTIVE} {trial.score:.4f}"
        so_far = (
            f"best so far {best.score:.4f} (trial {trial_number(best.trial_id)})"
            if best is not None and best.score is not None
            else "no best yet"
        )
        number = trial_number(trial.trial_id)
        self.note(f"    trial {number}: {outcome} {took(seconds, resumed)} | {so_far}")


def trial_number(trial_id: str) -> str:
    """keras-tuner numbers trials from 0 in the order they start; people count from 1."""
    return str(int(trial_id) + 1) if str(trial_id).isdigit() else str(trial_id)


def format_values(values: dict[str, Any]) -> str:
    return " ".join(f"{k}={_short(v)}" for k, v in sorted(values.items()))


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _searched(values: dict[str, Any]) -> dict[str, Any]:
    """The hyperparameters proper, without hyperband's bookkeeping (``tuner/epochs``...)."""
    return {k: v for k, v in values.items() if not k.startswith("tuner/")}


# --- the search ----------------------------------------------------------------------------


class _BudgetSpent(Exception):
    """Raised before a new trial would start after the time budget ran out."""


def _tuner_class(kind: str) -> type:
    """keras-tuner's tuner of that kind, taught to report progress and keep a time budget."""
    import keras_tuner

    base = {
        "random": keras_tuner.RandomSearch,
        "hyperband": keras_tuner.Hyperband,
        "bayesian": keras_tuner.BayesianOptimization,
    }[kind]

    class BenchTuner(base):
        def __init__(
            self,
            *args,
            progress: TrialProgress,
            deadline: float | None,
            save_best: Callable[[Any], Any] | None = None,
            **kwargs,
        ):
            self._progress = progress
            self._deadline = deadline
            self._save_best = save_best
            super().__init__(*args, **kwargs)

        def _configure_tensorboard_dir(self, callbacks, trial, execution=0):
            # keras-tuner imports tensorboard here on every trial to patch TensorBoard
            # callbacks; trials get none, and tensorboard need not be installed.
            return None

        def run_trial(self, trial, *args, **kwargs):
            from bench.train.checkpoint import PARTIAL

            folder = Path(self.get_trial_dir(trial.trial_id)) / PARTIAL
            return super().run_trial(trial, *args, **kwargs, **{CHECKPOINT_FOLDER: folder})

        def pre_create_trial(self):
            if self._deadline is not None and time.monotonic() >= self._deadline:
                raise _BudgetSpent
            super().pre_create_trial()

        def on_trial_begin(self, trial):
            super().on_trial_begin(trial)
            self._progress.began(trial)

        def on_trial_end(self, trial):
            super().on_trial_end(trial)
            if self._save_best is not None:  # so that a search cut off later keeps it
                self._save_best(self.oracle)
            self._progress.ended(self.oracle.get_trial(trial.trial_id), best_trial(self.oracle))

    BenchTuner.__name__ = f"Bench{base.__name__}"
    return BenchTuner


def distributed_role() -> str:
    """``local``, ``chief`` or ``worker``, from keras-tuner's environment variables."""
    if _ENV_IP not in os.environ:
        return "local"
    missing = [name for name in (_ENV_PORT, _ENV_ID) if not os.environ.get(name)]
    if missing:
        raise BenchError(
            f"{_ENV_IP} is set but {' and '.join(missing)} not; set all three, or use "
            "--distributed chief|worker --oracle HOST:PORT"
        )
    return "chief" if "chief" in os.environ[_ENV_ID] else "worker"


def distributed_env(role: str, oracle: str, worker_id: int | None) -> dict[str, str]:
    """keras-tuner's variables for ``--distributed ROLE --oracle HOST:PORT [--worker-id N]``."""
    host, sep, port = oracle.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise BenchError(f"--oracle {oracle}: expected HOST:PORT, such as 127.0.0.1:8000")
    if role == "worker" and worker_id is None:
        raise BenchError("--distributed worker needs --worker-id N, different for each worker")
    if role == "chief" and worker_id is not None:
        raise BenchError("--worker-id goes with --distributed worker, not with the chief")
    return {
        _ENV_IP: host.strip("[]"),
        _ENV_PORT: port,
        _ENV_ID: "chief" if role == "chief" else f"tuner{worker_id}",
    }


def search(
    spec: RunSpec,
    splits: Splits,
    out_dir: str | os.PathLike,
    settings: SearchSettings,
) -> SearchOutcome:
    """Search ``spec.arch``'s hyperparameters, continuing an earlier search of the same setup.

    Trials train on ``splits``' training arrays and are scored on its validation arrays; the
    test arrays are not read. Locally and on the chief the best configuration is saved as
    ``best.json``; workers only run trials.
    """
    started = time.monotonic()
    deadline = (
        None
        if settings.time_budget_minutes is None
        else started + 60 * settings.time_budget_minutes
    )
    if settings.tuner not in TUNERS:
        raise BenchError(f"unknown tuner '{settings.tuner}'; choose from: {', '.join(TUNERS)}")
    role = distributed_role()
    if role == "worker" and deadline is not None:
        raise BenchError(
            "--time-budget belongs to the chief, which stops handing out trials; "
            "drop it on the workers"
        )
    max_trials = settings.max_trials
    if max_trials is None and settings.tuner != "hyperband":
        max_trials = DEFAULT_MAX_TRIALS

    import keras_tuner

    directory = arch_dir(out_dir, spec.dataset, spec.arch)
    project = project_name(spec, settings.tuner)
    tuner_id = os.environ.get(_ENV_ID, "tuner0")  # keras-tuner's own default
    _adopt_existing_search(directory / project, tuner_id, role)
    progress = TrialProgress(max_trials, settings.quiet)
    common = dict(
        hypermodel=_hypermodel(
            spec, splits.input_shape, splits.num_classes, progress, len(splits.x_train)
        ),
        objective=keras_tuner.Objective(OBJECTIVE, direction="max"),
        seed=spec.seed + 1,  # keras-tuner takes a seed of 0 as "pick one at random"
        directory=str(directory),
        project_name=project,
        overwrite=False,  # continue the search found there
        progress=progress,
        deadline=deadline,
        save_best=None
        if role == "worker"
        else lambda oracle: _save_best(oracle, directory, spec, splits, settings.tuner, project),
    )
    if settings.tuner == "hyperband":
        tuner = _tuner_class("hyperband")(max_epochs=spec.epochs, factor=3, **common)
        if max_trials is not None:
            # Brackets repeat until max_trials; set after construction, as a reloaded
            # search would otherwise keep the iteration count it was started with.
            tuner.oracle.hyperband_iterations = float("inf")
            tuner.oracle.max_trials = max_trials
    else:
        tuner = _tuner_class(settings.tuner)(max_trials=max_trials, **common)

    state = directory / project
    cut_off = _cut_off_trials(state)
    if role != "worker" and (tuner.oracle.trials or cut_off):
        done = len(_finished_trials(tuner.oracle))
        left = "" if max_trials is None else f", {max(max_trials - done, 0)} to run"
        resumes = (
            "; 1 trial cut off part-way goes on from its checkpoint"
            if cut_off == 1
            else f"; {cut_off} trials cut off part-way go on from their checkpoints"
            if cut_off
            else ""
        )
        progress.note(
            f"{spec.arch}: continuing the search in {state}: {done} trials finished{left}{resumes}"
        )
    elif role != "worker":
        progress.note(f"{spec.arch}: new search in {state}")
    outcome = SearchOutcome(spec.arch, role, progress.ran, 0, None, None)
    if role == "chief":
        _stop_handing_out_trials_at(tuner.oracle, deadline)
        watcher = _TrialWatcher(tuner.oracle, progress)
    try:
        tuner.search(
            splits.x_train,
            splits.y_train,
            validation_data=(splits.x_val, splits.y_val),
            verbose=0,  # keras-tuner prints nothing; TrialProgress reports instead
        )
    except _BudgetSpent:
        outcome.stopped_by_budget = True
    except RuntimeError as exc:  # keras-tuner gives up after consecutive failed trials
        lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
        last = f" Last error: {lines[-1]}" if len(lines) > 1 else ""
        outcome.error = f"{lines[0] if lines else type(exc).__name__}{last}"[:500]
    if role == "chief":
        watcher.finish()
    if role == "worker":
        outcome.trials_total = len(progress.ran)
        return outcome
    outcome.trials_total = len(tuner.oracle.trials)
    best = _save_best(tuner.oracle, directory, spec, splits, settings.tuner, project)
    if best is not None:
        outcome.best = best
        outcome.best_path = directory / BEST
    return outcome


def _save_best(
    oracle: Any, directory: Path, spec: RunSpec, splits: Splits, tuner: str, project: str
) -> BestConfig | None:
    best = _best_config(oracle, spec, splits, tuner, project)
    if best is not None:
        results.write_json(directory / BEST, dataclasses.asdict(best))
    return best


def _cut_off_trials(project_dir: Path) -> int:
    from bench.train.checkpoint import PARTIAL, STATE

    return sum(1 for _ in project_dir.glob(f"trial_*/{PARTIAL}/{STATE}"))


def _adopt_existing_search(project_dir: Path, tuner_id: str, role: str) -> None:
    """Let a search started locally go on as the chief's and the other way round.

    keras-tuner reloads a search only when it finds the state file of its own tuner id; the
    local tuner and the chief both hold the oracle, so either one's state will do.
    """
    if role == "worker" or not (project_dir / "oracle.json").exists():
        return
    own = project_dir / f"{tuner_id}.json"
    other = project_dir / ("chief.json" if tuner_id != "chief" else "tuner0.json")
    if not own.exists() and other.exists():
        results.write_text(own, other.read_text())


class _TrialWatcher:
    """On the chief, which runs no trials itself: reports the workers' trials as they go."""

    def __init__(self, oracle: Any, progress: TrialProgress, every: float = 0.5):
        import threading

        self.oracle = oracle
        self.progress = progress
        self.every = every
        self.seen = {trial_id: _finished(t) for trial_id, t in list(oracle.trials.items())}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="trial-watch")
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.poll()

    def poll(self) -> None:
        try:
            trials = sorted(self.oracle.trials.items())
        except RuntimeError:  # the dict changed while being read; look again next time
            return
        for trial_id, trial in trials:
            if trial_id not in self.seen:
                self.progress.began(trial)
                self.seen[trial_id] = False
            if not self.seen[trial_id] and _finished(trial):
                self.progress.ended(trial, best_trial(self.oracle))
                self.seen[trial_id] = True

    def finish(self) -> None:
        self._stop.set()
        self._thread.join()
        self.poll()


def _finished(trial: Any) -> bool:
    return trial.status == "FAILED" or _scored(trial)


def _scored(trial: Any) -> bool:
    # The oracle sets the status before the score; a completed trial counts once scored.
    return trial.status == "COMPLETED" and trial.score is not None


def _stop_handing_out_trials_at(oracle: Any, deadline: float | None) -> None:
    """On the chief: once the budget is spent, the oracle ends the search for every worker."""
    if deadline is None:
        return
    import threading

    def stop() -> None:
        # Trials already running finish; a max_trials of 0 would mean "no limit".
        oracle.max_trials = max(len(oracle.trials), 1)

    timer = threading.Timer(max(0.0, deadline - time.monotonic()), stop)
    timer.daemon = True
    timer.start()


def _finished_trials(oracle: Any) -> list:
    """Trials that will not run again: not one cut off part-way (still RUNNING in the oracle),
    nor one keras-tuner will retry (INVALID until its last try makes it FAILED)."""
    return [t for t in oracle.trials.values() if t.status in ("COMPLETED", "FAILED")]


_EVERY_TRIAL = 2**31  # as many trials as a search can hold


def best_trial(oracle: Any) -> Any | None:
    """The scored trial with the best validation accuracy; of equal scores, the one begun first.

    keras-tuner breaks ties by the order of its trials dict, which is not the same once a search
    has been reloaded, so a later sitting of the same search could name another best trial.
    """
    try:
        trials = list(oracle.trials.values())
    except AttributeError:  # a worker's client of the chief's oracle, which sends every trial
        trials = oracle.get_best_trials(_EVERY_TRIAL)
    scored = [t for t in trials if _scored(t)]
    if not scored:
        return None
    return max(scored, key=lambda t: (t.score, -_begun(t.trial_id)))


def _begun(trial_id: str) -> float:
    """Where a trial stands in the order trials began (keras-tuner's ids count up from 0)."""
    return int(trial_id) if str(trial_id).isdigit() else float("inf")


def _best_config(
    oracle: Any, spec: RunSpec, splits: Splits, tuner: str, project: str
) -> BestConfig | None:
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
        project=project,
        objective=OBJECTIVE,
        trials=len(_finished_trials(oracle)),
        best_trial=trial.trial_id,
        best_val_accuracy=float(trial.score),
        hyperparameters=_searched(trial.hyperparameters.values),
        arch_digest=spec.arch_digest,
        input_shape=list(splits.input_shape),
        num_classes=splits.num_classes,
        updated=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    )
    best.network = _network(
        spec.arch, splits.input_shape, splits.num_classes, best.architecture_values
    )
    return best


def _network(
    arch: str, input_shape: tuple[int, ...], num_classes: int, values: dict[str, Any]
) -> str | None:
    """The fingerprint of what ``arch``'s builder makes of ``values`` (bench.identity)."""
    from bench.identity import model_fingerprint

    return model_fingerprint(build_model(arch, input_shape, num_classes, values))


# --- tuned runs --------------------------------------------------------------------------------


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
    import architectures
    from bench.config import augment_tag, plan

    if overrides.pop("learning_rate", None) is not None:
        raise BenchError("--tuned trains with the tuned learning rate; drop --learning-rate")
    specs = []
    for arch in archs:
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
        if announce is not None:
            announce(
                f"{arch}: tuned by the {best.profile} {best.tuner} search "
                f"({augment_tag(best.augment)}, seed {best.seed}, {best.trials} trials, "
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
