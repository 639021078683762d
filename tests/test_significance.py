"""The report's statistics: paired tests between architectures, the augmentation effect,
the seed spread and time to accuracy on the leaderboard."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bench.store import files, results
from report.leaderboard import leaderboard, markdown, table_csv
from report.significance import augmentation_effects, compare_groups, p_text

N_TEST = 2000


def _write_run(root, arch, seed, correct, augment=False):
    """A finished run folder whose predictions get exactly ``correct`` images right."""
    rng = np.random.default_rng(seed)
    y_true = np.arange(N_TEST) % 10
    y_pred = np.where(correct, y_true, (y_true + 1) % 10)
    folder = root / f"mnist-full-{arch}-{'aug' if augment else 'noaug'}-s{seed}"
    probs = rng.random((N_TEST, 10)).astype(np.float32)
    folder.mkdir(parents=True)
    np.savez(folder / results.PREDICTIONS, y_true=y_true, y_pred=y_pred, probabilities=probs)
    spec = {"dataset": "mnist", "profile": "full", "arch": arch, "augment": augment, "seed": seed}
    files.write_json(
        folder / results.RECORD,
        {
            "run_id": folder.name,
            "spec": spec,
            "status": "ok",
            "metrics": {"test_accuracy": float(np.mean(correct)), "best_val_accuracy": 0.985},
            "model": {"params": 1000, "flops": 2000},
        },
    )


@pytest.fixture
def three_architectures(tmp_path):
    """'strong' is right on 99% of the images; 'twin_a' and 'twin_b' on about 97%, with
    errors drawn independently, so their gap is noise."""
    rng = np.random.default_rng(0)
    for seed in (0, 1, 2):
        _write_run(tmp_path, "strong", seed, rng.random(N_TEST) < 0.99)
        _write_run(tmp_path, "twin_a", seed, rng.random(N_TEST) < 0.97)
        _write_run(tmp_path, "twin_b", seed, rng.random(N_TEST) < 0.97)
    return tmp_path


def test_a_clear_gap_is_marked_significant_and_noise_is_not(three_architectures):
    (group,) = compare_groups(list(results.iter_runs(three_architectures)))
    verdict = {(p.a, p.b): p.significant for p in group.comparisons}
    assert verdict == {
        ("strong", "twin_a"): True,
        ("strong", "twin_b"): True,
        ("twin_a", "twin_b"): False,
    }
    assert all(p.p_adjusted >= p.p_value for p in group.comparisons)
    assert all(len(p.seeds) == 3 for p in group.comparisons)


def test_the_leaderboard_says_whom_each_row_beats(three_architectures):
    runs = list(results.iter_runs(three_architectures))
    board = leaderboard(results.load(three_architectures), compare_groups(runs))
    beats = dict(zip(board["arch"], board["better_than"], strict=True))
    assert beats == {"strong": "twin_a, twin_b", "twin_a": "none", "twin_b": "none"}
    assert "significantly better than" in markdown(board).splitlines()[0]


def test_the_leaderboard_shows_the_seed_spread(three_architectures):
    board = leaderboard(results.load(three_architectures))
    row = board[board["arch"] == "strong"].iloc[0]
    low, high = row["accuracy_range"]
    assert row["seeds"] == 3 and low <= row["test_accuracy"] <= high
    assert row["accuracy_std"] > 0
    assert "std" in markdown(board).splitlines()[0]


def test_runs_on_other_test_images_are_not_paired(tmp_path):
    _write_run(tmp_path, "a", 0, np.ones(N_TEST, bool))
    other = tmp_path / "elsewhere"
    _write_run(other, "b", 0, np.ones(N_TEST, bool))
    np.savez(
        other / "mnist-full-b-noaug-s0" / results.PREDICTIONS,
        y_true=np.zeros(N_TEST, int),
        y_pred=np.zeros(N_TEST, int),
        probabilities=np.zeros((N_TEST, 10), np.float32),
    )
    assert compare_groups(list(results.iter_runs(tmp_path))) == []


def test_the_augmentation_effect_is_paired_by_seed(tmp_path):
    accuracy = {(False, 0): 0.97, (True, 0): 0.98, (False, 1): 0.95, (True, 1): 0.97}
    for (augment, seed), value in accuracy.items():
        correct = np.arange(N_TEST) < round(value * N_TEST)
        _write_run(tmp_path, "net", seed, correct, augment=augment)
    (effect,) = augmentation_effects(results.load(tmp_path))
    # differences 0.01 and 0.02: mean 0.015, std 0.00707, t(0.975, 1) = 12.706
    assert effect.difference.mean == pytest.approx(0.015)
    half = 12.7062 * (0.01 / math.sqrt(2)) / math.sqrt(2)
    assert effect.difference.low == pytest.approx(0.015 - half, rel=1e-4)


def test_time_to_accuracy_is_not_reached_when_any_seed_fell_short():
    import pandas as pd

    runs = pd.DataFrame(
        {
            "dataset": "mnist",
            "profile": "full",
            "arch": "net",
            "augment": False,
            "variant": "default",
            "seed": [0, 1],
            "status": "ok",
            "test_accuracy": [0.99, 0.99],
            "best_val_accuracy": [0.992, 0.989],
            "seconds_to_98": [10.0, 14.0],
            "seconds_to_99": [30.0, None],
        }
    )
    (row,) = leaderboard(runs).to_dict("records")
    assert row["seconds_to_98"] == 12.0
    assert math.isinf(row["seconds_to_99"])
    assert math.isinf(row["seconds_to_99_5"])  # no seed got there: not reached, not missing


def test_the_csv_leaderboard_splits_intervals_into_columns(three_architectures):
    text = table_csv(leaderboard(results.load(three_architectures)))
    header = text.splitlines()[0].split(",")
    assert {"interval_low", "interval_high", "accuracy_range_low", "test_accuracy"} <= set(header)
    assert len(text.splitlines()) == 4


def test_a_p_value_below_what_a_double_holds_is_printed_as_a_bound_not_as_0():
    assert p_text(0.0) == "< 1e-300"
    assert p_text(1e-157) == "1e-157"
    assert p_text(0.04321) == "0.0432"
