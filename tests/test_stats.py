"""Paired comparisons of architectures: McNemar tests, their combination over seeds, Holm's
adjustment across pairs and paired differences of per-seed accuracies."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from bench.measure.stats import (
    McNemar,
    PairComparison,
    combine_seeds,
    compare_pairs,
    holm,
    mcnemar,
    paired_difference,
)

N_IMAGES = 2_000


def correctness(only_a: int, only_b: int, both: int = 0, neither: int = 0):
    """Correctness arrays of two models with the given counts of each agreement pattern."""
    a = [True] * only_a + [False] * only_b + [True] * both + [False] * neither
    b = [False] * only_a + [True] * only_b + [True] * both + [False] * neither
    return np.array(a), np.array(b)


def test_counts_come_from_the_images_only_one_model_gets_right():
    a = [True, True, False, False, True, False]
    b = [True, False, True, False, False, False]

    result = mcnemar(a, b)

    assert (result.only_a, result.only_b, result.discordant) == (2, 1, 3)


def test_zero_one_integers_count_as_booleans():
    assert mcnemar([1, 0, 1], [0, 0, 1]).only_a == 1


def test_values_other_than_booleans_are_rejected():
    with pytest.raises(ValueError, match="booleans"):
        mcnemar([3, 7, 1], [3, 2, 1])


@pytest.mark.parametrize(("only_a", "only_b"), [(10, 2), (2, 10), (5, 5), (3, 0), (530, 470)])
def test_exact_mcnemar_matches_scipys_two_sided_binomial_test(only_a, only_b):
    result = mcnemar(*correctness(only_a, only_b, both=50, neither=7), method="exact")

    n = only_a + only_b
    expected = stats.binomtest(min(only_a, only_b), n, 0.5).pvalue
    assert result.p_value == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("method", ["exact", "midp"])
def test_no_discordant_images_gives_p_of_one(method):
    assert mcnemar(*correctness(0, 0, both=20, neither=3), method=method).p_value == 1.0


def test_exact_and_mid_p_match_a_hand_computation():
    a, b = correctness(3, 0)

    # P(X <= 0) = P(X = 0) = 0.5**3 for X ~ Binomial(3, 1/2)
    assert mcnemar(a, b, method="exact").p_value == pytest.approx(2 * 0.5**3)
    assert mcnemar(a, b, method="midp").p_value == pytest.approx(2 * 0.5**3 - 0.5**3)


def test_mid_p_is_one_when_both_models_win_equally_often():
    assert mcnemar(*correctness(5, 5), method="midp").p_value == pytest.approx(1.0)


def test_mid_p_is_the_default():
    assert mcnemar(*correctness(3, 0)).method == "midp"


def test_mid_p_lies_in_the_unit_interval_and_never_exceeds_the_exact_p():
    for only_a in range(25):
        for only_b in range(25):
            a, b = correctness(only_a, only_b)
            exact = mcnemar(a, b, method="exact").p_value
            mid = mcnemar(a, b, method="midp").p_value
            assert 0 <= mid <= exact <= 1, (only_a, only_b)


def test_arrays_of_unequal_length_are_rejected():
    with pytest.raises(ValueError, match="equal-length"):
        mcnemar([True, False], [True, False, True])


def test_an_unknown_method_is_rejected_naming_the_known_ones():
    with pytest.raises(ValueError, match="exact.*midp"):
        mcnemar([True], [False], method="chi2")


def test_seeds_agreeing_in_direction_combine_to_the_largest_p():
    tests = [McNemar(10, 2, 0.04, "midp"), McNemar(8, 1, 0.02, "midp"), McNemar(9, 3, 0.03, "midp")]

    assert combine_seeds(tests) == 0.04


def test_seeds_agreeing_that_b_is_better_also_combine_to_the_largest_p():
    assert combine_seeds([McNemar(2, 10, 0.04, "midp"), McNemar(1, 8, 0.02, "midp")]) == 0.04


def test_seeds_disagreeing_in_direction_combine_to_one():
    assert combine_seeds([McNemar(10, 2, 0.04, "midp"), McNemar(1, 9, 0.02, "midp")]) == 1.0


def test_a_seed_with_a_tie_makes_the_combined_p_one():
    assert combine_seeds([McNemar(10, 2, 0.04, "midp"), McNemar(4, 4, 1.0, "midp")]) == 1.0


def test_combining_no_seeds_is_an_error():
    with pytest.raises(ValueError):
        combine_seeds([])


def test_holm_matches_a_hand_computation_in_input_order():
    # sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, max(0.06, 0.04*1) = 0.06
    adjusted = holm([0.01, 0.04, 0.03, 0.005])

    assert adjusted == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_holm_keeps_the_order_of_the_raw_p_values_and_never_lowers_them():
    raw = np.random.default_rng(7).uniform(size=12).tolist()

    adjusted = holm(raw)

    by_raw = [adjusted[i] for i in np.argsort(raw)]
    assert by_raw == sorted(by_raw)
    assert all(a >= r for a, r in zip(adjusted, raw, strict=True))
    assert max(adjusted) <= 1


def test_holm_of_nothing_is_nothing():
    assert holm([]) == []


def test_holm_rejects_values_that_are_not_p_values():
    with pytest.raises(ValueError):
        holm([0.2, 1.5])


def correct_runs(accuracy: float, rng: np.random.Generator) -> np.ndarray:
    return rng.random(N_IMAGES) < accuracy


@pytest.fixture
def three_architectures():
    """``strong`` is clearly better; ``twin_1`` and ``twin_2`` differ only by noise."""
    rng = np.random.default_rng(2024)
    return {
        name: {seed: correct_runs(accuracy, rng) for seed in (1, 2)}
        for name, accuracy in [("strong", 0.99), ("twin_1", 0.95), ("twin_2", 0.95)]
    }


def test_pairs_come_in_the_order_of_the_mapping(three_architectures):
    pairs = compare_pairs(three_architectures)

    assert [(p.a, p.b) for p in pairs] == [
        ("strong", "twin_1"),
        ("strong", "twin_2"),
        ("twin_1", "twin_2"),
    ]


def test_a_clearly_better_architecture_is_significant(three_architectures):
    pairs = {(p.a, p.b): p for p in compare_pairs(three_architectures)}

    assert pairs["strong", "twin_1"].significant
    assert pairs["strong", "twin_2"].significant
    assert pairs["strong", "twin_1"].accuracy_difference > 0.02


def test_architectures_equal_up_to_noise_are_not_significant(three_architectures):
    pairs = {(p.a, p.b): p for p in compare_pairs(three_architectures)}

    assert not pairs["twin_1", "twin_2"].significant


def test_holm_adjusts_the_combined_p_values_across_all_pairs(three_architectures):
    pairs = compare_pairs(three_architectures)

    assert [p.p_adjusted for p in pairs] == holm([p.p_value for p in pairs])
    assert all(p.p_adjusted >= p.p_value for p in pairs)
    assert all(p.significant == (p.p_adjusted < 0.05) for p in pairs)


def test_each_pair_is_tested_once_per_seed_and_combined_over_seeds(three_architectures):
    pair = compare_pairs(three_architectures, method="exact")[0]

    assert pair.seeds == (1, 2)
    assert [t.method for t in pair.tests] == ["exact", "exact"]
    assert pair.p_value == combine_seeds(pair.tests)


def test_accuracy_difference_is_the_mean_over_seeds(three_architectures):
    strong, twin = three_architectures["strong"], three_architectures["twin_1"]

    pair = compare_pairs(three_architectures)[0]

    expected = np.mean([strong[s].mean() - twin[s].mean() for s in (1, 2)])
    assert pair.accuracy_difference == pytest.approx(expected)


def test_only_seeds_both_architectures_have_are_used_in_sorted_order():
    rng = np.random.default_rng(3)
    correct = {
        "lenet5": {3: correct_runs(0.98, rng), 1: correct_runs(0.98, rng)},
        "vgg_lite": {seed: correct_runs(0.97, rng) for seed in (1, 2, 3)},
    }

    [pair] = compare_pairs(correct)

    assert pair.seeds == (1, 3)
    assert len(pair.tests) == 2


def test_pairs_with_no_common_seed_are_skipped(three_architectures):
    three_architectures["loner"] = {7: correct_runs(0.9, np.random.default_rng(5))}

    pairs = compare_pairs(three_architectures)

    assert len(pairs) == 3
    assert all("loner" not in (p.a, p.b) for p in pairs)


def test_correctness_arrays_of_different_lengths_name_the_pair_and_the_seed():
    correct = {
        "lenet5": {1: np.ones(10, dtype=bool)},
        "vgg_lite": {1: np.ones(12, dtype=bool)},
    }

    with pytest.raises(ValueError, match=r"lenet5 and vgg_lite.*seed 1"):
        compare_pairs(correct)


def comparison(accuracy_difference: float, p_adjusted: float, significant: bool):
    return PairComparison(
        a="lenet5",
        b="vgg_lite",
        seeds=(1, 2),
        accuracy_difference=accuracy_difference,
        tests=(),
        p_value=p_adjusted / 3,
        p_adjusted=p_adjusted,
        significant=significant,
    )


def test_a_significant_conclusion_names_the_more_accurate_architecture_first():
    assert comparison(0.01, 0.003, True).conclusion() == (
        "lenet5 is more accurate than vgg_lite (p = 0.003, Holm-adjusted)"
    )
    assert comparison(-0.01, 0.003, True).conclusion() == (
        "vgg_lite is more accurate than lenet5 (p = 0.003, Holm-adjusted)"
    )


def test_a_non_significant_conclusion_says_the_two_are_not_distinguishable():
    assert comparison(0.001, 0.4123, False).conclusion() == (
        "lenet5 and vgg_lite are not distinguishable on this data (p = 0.41, Holm-adjusted)"
    )


def test_tiny_p_values_are_written_as_below_one_in_a_thousand():
    assert "(p < 0.001, Holm-adjusted)" in comparison(0.02, 1e-9, True).conclusion()


def test_paired_difference_matches_a_hand_computation():
    # differences 0.02, 0.01, 0.01: mean 0.04 / 3, sample std 0.01 / sqrt(3)
    interval = paired_difference([0.99, 0.98, 0.97], [0.97, 0.97, 0.96])

    half = 4.302653 * (0.01 / math.sqrt(3)) / math.sqrt(3)  # t(0.975, 2 df) from a table
    assert interval.mean == pytest.approx(0.04 / 3)
    assert interval.std == pytest.approx(0.01 / math.sqrt(3))
    assert (interval.low, interval.high) == pytest.approx(
        (0.04 / 3 - half, 0.04 / 3 + half), rel=1e-6
    )
    assert interval.n == 3


def test_paired_difference_of_one_pair_has_nan_bounds():
    interval = paired_difference([0.99], [0.98])

    assert interval.mean == pytest.approx(0.01)
    assert math.isnan(interval.low) and math.isnan(interval.high)


def test_paired_difference_rejects_unequal_lengths():
    with pytest.raises(ValueError, match="equal lengths"):
        paired_difference([0.99, 0.98], [0.97])
