"""Reading a search's trials from its oracle: which are finished, and which is best."""

from __future__ import annotations

from typing import Any

_EVERY_TRIAL = 2**31  # as many trials as a search can hold


def searched_values(values: dict[str, Any]) -> dict[str, Any]:
    """The hyperparameters proper, without hyperband's bookkeeping (``tuner/epochs``...)."""
    return {k: v for k, v in values.items() if not k.startswith("tuner/")}


def finished(trial: Any) -> bool:
    return trial.status == "FAILED" or scored(trial)


def scored(trial: Any) -> bool:
    # The oracle sets the status before the score; a completed trial counts once scored.
    return trial.status == "COMPLETED" and trial.score is not None


def finished_trials(oracle: Any) -> list:
    """Trials that will not run again: not one cut off part-way (still RUNNING in the oracle),
    nor one keras-tuner will retry (INVALID until its last try makes it FAILED)."""
    return [t for t in oracle.trials.values() if t.status in ("COMPLETED", "FAILED")]


def best_trial(oracle: Any) -> Any | None:
    """The scored trial with the best validation accuracy; of equal scores, the one begun first.

    keras-tuner breaks ties by the order of its trials dict, which is not the same once a search
    has been reloaded, so a later sitting of the same search could name another best trial.
    """
    try:
        trials = list(oracle.trials.values())
    except AttributeError:  # a worker's client of the chief's oracle, which sends every trial
        trials = oracle.get_best_trials(_EVERY_TRIAL)
    scored_trials = [t for t in trials if scored(t)]
    if not scored_trials:
        return None
    return max(scored_trials, key=lambda t: (t.score, -_begun(t.trial_id)))


def _begun(trial_id: str) -> float:
    """Where a trial stands in the order trials began (keras-tuner's ids count up from 0)."""
    return int(trial_id) if str(trial_id).isdigit() else float("inf")
