"""Hyperparameter search with keras-tuner, locally or as chief and workers.

``settings`` says what a search is and where its state lives, ``search`` runs one,
``hypermodel`` and ``tuners`` hold what keras-tuner trains and how, ``roles`` the chief and
its workers, ``progress`` the lines printed, ``trials`` reads the oracle's trials, and
``best`` keeps the best configuration in ``best.json`` for ``bench run --tuned``.

Importing this package loads neither TensorFlow nor keras-tuner; a search loads them. The
search itself is ``bench.tune.search.search``.
"""

from bench.tune.best import BestConfig, SearchOutcome, read_best, tuned_specs
from bench.tune.progress import format_values, trial_number
from bench.tune.roles import distributed_env, distributed_role
from bench.tune.settings import (
    BEST,
    DEFAULT_MAX_TRIALS,
    OBJECTIVE,
    TUNERS,
    TUNING_DIR,
    SearchSettings,
    arch_dir,
)

__all__ = [
    "BEST",
    "DEFAULT_MAX_TRIALS",
    "OBJECTIVE",
    "TUNERS",
    "TUNING_DIR",
    "BestConfig",
    "SearchOutcome",
    "SearchSettings",
    "arch_dir",
    "distributed_env",
    "distributed_role",
    "format_values",
    "read_best",
    "trial_number",
    "tuned_specs",
]
