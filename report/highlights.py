"""The page's first words: a few plain sentences that answer its question before the
tables do, none of them about runs of a check profile (``smoke``), whose accuracies mean
nothing and which the page says so of at its top instead."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from bench.config import PROFILES, Profile, is_check
from bench.words import counted
from report.significance import ComparisonGroup, group_of


def check_profiles(names: Iterable[str]) -> list[Profile]:
    """The check profiles among ``names``, each once, by name."""
    return [PROFILES[name] for name in sorted(set(names)) if is_check(name)]


def highlights(
    board: pd.DataFrame, comparisons: list[ComparisonGroup] = (), margin: float = 0.002
) -> list[str]:
    """A few plain sentences that answer the page's question before the tables do; rows
    of check profiles are left out, so with nothing else there is nothing to say."""
    board = board[~board["profile"].map(is_check)].reset_index(drop=True)
    if board.empty:
        return []

    best = board.iloc[0]
    lines = [f"Most accurate: {_name(best)}, test accuracy {best['test_accuracy']:.4f}."]
    close = board[board["test_accuracy"] >= best["test_accuracy"] - margin]
    smallest = close.sort_values("params").iloc[0]
    if smallest["arch"] != best["arch"]:
        lines.append(
            f"Smallest within {100 * margin:.1f} points of it: {_name(smallest)}, "
            f"{smallest['params']:,.0f} parameters against {best['params']:,.0f}, "
            f"test accuracy {smallest['test_accuracy']:.4f}."
        )
    defaults = board[board["variant"] == "default"]
    paired = defaults.pivot_table(index="arch", columns="augment", values="test_accuracy")
    if {False, True} <= set(paired.columns):
        gain = (paired[True] - paired[False]).dropna()
        if len(gain):
            lines.append(
                f"Augmentation raised test accuracy for {(gain > 0).sum()} of "
                f"{counted(len(gain), 'architecture')} "
                f"(change from {gain.min():+.4f} to {gain.max():+.4f})."
            )
    lines += _significance_lines(best, comparisons)
    lines += _robustness_lines(board)
    if board["seeds"].max() <= 1:
        lines.append(
            "One seed per configuration: differences of a few tenths of a percent may be "
            "seed-to-seed noise; run with more seeds before ranking close results."
        )
    return lines


def _name(row: pd.Series) -> str:
    return f"{row['arch']} (augmentation {'on' if row['augment'] else 'off'})"


def _robustness_lines(board: pd.DataFrame) -> list[str]:
    """The most accurate configuration on corrupted digits, where some were measured."""
    measured = board[pd.to_numeric(board["corruption_accuracy"], errors="coerce").notna()]
    if measured.empty:
        return []
    best = measured.sort_values("corruption_accuracy", ascending=False, kind="stable").iloc[0]
    return [
        f"Most accurate on corrupted digits: {_name(best)}, accuracy "
        f"{best['corruption_accuracy']:.4f} over every corruption and severity against "
        f"{best['test_accuracy']:.4f} on the clean test images."
    ]


def _significance_lines(best: pd.Series, comparisons: list[ComparisonGroup]) -> list[str]:
    """What the paired tests say about the most accurate configuration's group."""
    group = group_of(best, comparisons)
    if group is None:
        return []
    beaten = group.better_than(best["arch"])
    tied = group.untold_from(best["arch"])
    line = f"Paired tests on the same test images ({group.title}): {best['arch']} "
    line += f"is significantly better than {', '.join(beaten)}" if beaten else "beats no one"
    if tied:
        line += f"; it is not distinguishable from {', '.join(tied)}"
    return [line + " (McNemar mid-p per seed, Holm-corrected, 0.05)."]
