"""Which to pick: each constraint answered by a rule on the leaderboard, with the networks
that meet it too and that the paired tests cannot tell apart from the pick."""

from __future__ import annotations

import math

import pandas as pd

from bench.measure.stats import PairComparison
from report.picks import Question, answer, markdown, picks
from report.significance import ComparisonGroup

KB = 1024


def _row(arch: str, accuracy: float, **figures) -> dict:
    return {
        "dataset": "mnist", "profile": "standard", "arch": arch, "augment": False,
        "variant": "default", "seeds": 3, "test_accuracy": accuracy, **figures,
    }  # fmt: skip


def _board(*rows: dict) -> pd.DataFrame:
    board = pd.DataFrame(list(rows))
    return board.sort_values("test_accuracy", ascending=False, ignore_index=True)


def _group(*pairs: tuple[str, str, bool]) -> list[ComparisonGroup]:
    compared = [PairComparison(a, b, (0, 1, 2), 0.001, (), 0.5, 0.5, told) for a, b, told in pairs]
    return [ComparisonGroup("mnist", "standard", False, "default", compared)]


def test_the_best_overall_is_the_most_accurate_with_the_nets_the_tests_cannot_tell_from_it():
    board = _board(_row("vgg_lite", 0.9968), _row("custom_cnn", 0.9961), _row("lenet5", 0.9890))
    comparisons = _group(("custom_cnn", "vgg_lite", False), ("lenet5", "vgg_lite", True))
    (best,) = [p for p in picks(board, comparisons) if p.question == "Best accuracy overall"]
    assert best.pick == "vgg_lite (no aug)"
    assert best.figures == "test accuracy 0.9968"
    assert best.tied == ("custom_cnn (no aug)",)


def test_a_latency_budget_picks_the_most_accurate_net_within_it():
    board = _board(
        _row("inception_lite", 0.9970, latency_p50_ms=3.2),
        _row("custom_cnn", 0.9960, latency_p50_ms=1.7),
        _row("lenet5", 0.9890, latency_p50_ms=0.5),
    )
    found = {p.question: p for p in picks(board)}
    assert found["Answers one image within 1 ms on this CPU"].pick == "lenet5 (no aug)"
    assert found["Answers one image within 2 ms on this CPU"].pick == "custom_cnn (no aug)"
    assert found["Answers one image within 2 ms on this CPU"].figures.endswith("1.70 ms")


def test_the_cheapest_to_train_to_99_percent_is_the_fewest_seconds_among_those_that_reached_it():
    board = _board(
        _row("vgg_lite", 0.9968, seconds_to_99=300.0),
        _row("custom_cnn", 0.9961, seconds_to_99=60.0),
        _row("mlp", 0.9830, seconds_to_99=math.inf),  # a seed never reached 99%
    )
    (cheapest,) = [p for p in picks(board) if p.question == "Cheapest to train to 99%"]
    assert cheapest.pick == "custom_cnn (no aug)"
    assert cheapest.figures.startswith("60 s to 99%")


def test_a_microcontroller_budget_counts_tfls_arena_and_says_when_none_fits():
    int8 = {"int8_status": "ok", "int8_peak_activation_bytes": 9 * KB}
    board = _board(
        _row("vgg_lite", 0.9968, **int8, int8_accuracy=0.9966, int8_bytes=600 * KB,
             int8_arena_bytes=60 * KB),
        _row("lenet5", 0.9890, **int8, int8_accuracy=0.9888, int8_bytes=60 * KB,
             int8_arena_bytes=15 * KB),
    )  # fmt: skip
    found = {p.question.split(":")[0]: p for p in picks(board)}
    assert found["Runs on a STM32F103C8 (Cortex-M3; 20 KB RAM)"].pick == "lenet5 (no aug)"
    assert found["Runs on a STM32F746 (Cortex-M7), MCUNet's board"].pick == "vgg_lite (no aug)"
    assert "60 KB RAM" in found["Runs on a STM32F746 (Cortex-M7), MCUNet's board"].figures

    board["int8_arena_bytes"] = [600 * KB, 300 * KB]  # neither fits 16 KB of RAM now
    tiny = {p.question.split(":")[0]: p for p in picks(board)}
    assert tiny["Runs on a STM32F103C8 (Cortex-M3; 20 KB RAM)"].pick is None
    assert "| none meets it |" in markdown(list(tiny.values()))


def test_corrupted_digits_are_answered_without_claiming_the_clean_tests_tie():
    board = _board(
        _row("vgg_lite", 0.9968, corruption_accuracy=0.80),
        _row("custom_cnn", 0.9961, corruption_accuracy=0.85),
    )
    (robust,) = [p for p in picks(board) if p.question == "Reads corrupted digits best"]
    assert robust.pick == "custom_cnn (no aug)"
    assert robust.tied is None and robust.tied_text == "not tested on these images"


def test_runs_of_a_check_profile_are_never_picked():
    smoke = {**_row("lenet5", 0.999), "profile": "smoke"}
    assert picks(_board(smoke)) == []
    found = picks(_board(smoke, _row("custom_cnn", 0.9961)))
    assert found[0].pick == "custom_cnn (no aug)"


def test_a_question_no_row_meets_has_no_pick_and_no_tied_text():
    empty = pd.DataFrame(columns=["arch", "test_accuracy"])
    found = answer(Question("Fits nowhere", "none", empty, "test_accuracy", str))
    assert found.pick is None and found.tied_text == ""


def test_bench_report_prints_which_to_pick_as_markdown(capsys):
    from pathlib import Path

    from bench.cli.main import main

    plateau = Path(__file__).parents[1] / "results" / "reference" / "plateau" / "runs"
    assert main(["report", "--results", str(plateau), "--format", "md", "--table", "picks"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("| if you need | rule | pick | its figures |")
    assert "| Best accuracy overall | highest mean test accuracy | vgg_lite (no aug) |" in printed
