"""One search of an architecture's hyperparameters, locally or as keras-tuner's chief or a
worker, continuing an earlier search of the same setup (a trial cut off part-way goes on
from its last epoch's checkpoint in its trial folder, as a run does)."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.errors import BenchError
from bench.tune.best import SearchOutcome, save_best
from bench.tune.progress import TrialProgress
from bench.tune.roles import (
    TrialWatcher,
    adopt_existing_search,
    distributed_role,
    stop_handing_out_trials_at,
)
from bench.tune.settings import BEST, BudgetSpent, SearchSettings, arch_dir, project_name
from bench.tune.trials import finished_trials
from bench.words import counted

if TYPE_CHECKING:
    from bench.config import RunSpec
    from bench.data import Splits


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
    deadline = settings.deadline()
    role = distributed_role()
    if role == "worker" and deadline is not None:
        raise BenchError(
            "--time-budget belongs to the chief, which stops handing out trials; "
            "drop it on the workers"
        )
    state = arch_dir(out_dir, spec.dataset, spec.arch) / project_name(spec, settings.tuner)
    adopt_existing_search(state, role)
    progress = TrialProgress(settings.trials, settings.quiet)
    save = None
    if role != "worker":
        save = functools.partial(
            save_best, state=state, spec=spec, splits=splits, tuner=settings.tuner
        )
    tuner, cut_off = _open(spec, splits, state, settings.tuner, progress, deadline, save)
    if role != "worker":
        progress.note(_opening_line(spec.arch, state, tuner.oracle, settings.trials, cut_off))
    outcome = SearchOutcome(spec.arch, role, progress.ran, 0, None, None)
    _run(tuner, splits, outcome, deadline, progress)
    if role == "worker":
        outcome.trials_total = len(progress.ran)
        return outcome
    outcome.trials_total = len(tuner.oracle.trials)
    outcome.best = save_best(tuner.oracle, state, spec, splits, settings.tuner)
    if outcome.best is not None:
        outcome.best_path = state.parent / BEST
    return outcome


def _open(spec, splits, state, kind, progress, deadline, save) -> tuple[Any, int]:
    """The tuner of the search in ``state``, and how many of its trials were cut off."""
    # keras-tuner and TensorFlow load only here, when a search runs
    from bench.tune.hypermodel import BenchHyperModel
    from bench.tune.tuners import cut_off_trials, make_tuner

    hypermodel = BenchHyperModel(
        spec, splits.input_shape, splits.num_classes, progress, len(splits.x_train)
    )
    tuner = make_tuner(
        kind,
        hypermodel,
        state,
        seed=spec.seed + 1,  # keras-tuner takes a seed of 0 as "pick one at random"
        max_trials=progress.total,
        progress=progress,
        deadline=deadline,
        save_best=save,
    )
    return tuner, cut_off_trials(state)


def _opening_line(arch: str, state: Path, oracle: Any, max_trials: int | None, cut_off: int) -> str:
    """Whether the search is new or goes on, and with what."""
    if not (oracle.trials or cut_off):
        return f"{arch}: new search in {state}"
    done = len(finished_trials(oracle))
    left = "" if max_trials is None else f", {max(max_trials - done, 0)} to run"
    resumes = (
        "; 1 trial cut off part-way goes on from its checkpoint"
        if cut_off == 1
        else f"; {cut_off} trials cut off part-way go on from their checkpoints"
        if cut_off
        else ""
    )
    finished = counted(done, "trial")
    return f"{arch}: continuing the search in {state}: {finished} finished{left}{resumes}"


def _run(
    tuner: Any,
    splits: Splits,
    outcome: SearchOutcome,
    deadline: float | None,
    progress: TrialProgress,
) -> None:
    """Run the trials, noting in ``outcome`` why the search stopped early, if it did."""
    if outcome.role == "chief":
        stop_handing_out_trials_at(tuner.oracle, deadline)
        watcher = TrialWatcher(tuner.oracle, progress)
    try:
        tuner.search(
            splits.x_train,
            splits.y_train,
            validation_data=(splits.x_val, splits.y_val),
            verbose=0,  # keras-tuner prints nothing; TrialProgress reports instead
        )
    except BudgetSpent:
        outcome.stopped_by_budget = True
    except RuntimeError as exc:  # keras-tuner gives up after consecutive failed trials
        lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
        last = f" Last error: {lines[-1]}" if len(lines) > 1 else ""
        outcome.error = f"{lines[0] if lines else type(exc).__name__}{last}"[:500]
    if outcome.role == "chief":
        watcher.finish()
