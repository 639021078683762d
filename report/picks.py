"""Which to pick: the constraints people bring, each answered by a rule applied to the
leaderboard, never typed by hand.

A ``Question`` names a constraint, the rows of the board that meet it and the figure that
ranks them; its pick is the best-ranked row, and beside it stand the rows that meet the same
constraint and that the paired tests on the test images (``report.significance``) cannot tell
from it. The core asks about accuracy, batch-1 latency and training time; each measurement adds
its own questions (``Measurement.questions``: the microcontroller budgets, corrupted digits).
Rows of check profiles (``smoke``) are never picked: their accuracies mean nothing.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import pandas as pd

from bench.config import is_check
from bench.plugins import measurements
from report.charts import config_label
from report.significance import ComparisonGroup, group_key, group_of

LATENCY_BUDGETS_MS = (1.0, 2.0)  # batch-1 p50 through the compiled Keras path, on this CPU


@dataclasses.dataclass(frozen=True)
class Question:
    """A constraint as a rule: among ``candidates`` (the board's rows that meet it), the one
    with the highest ``score`` (the lowest with ``lowest``) is the pick; ``figures`` says the
    pick's figures that answer the question."""

    question: str
    rule: str
    candidates: pd.DataFrame
    score: str
    figures: Callable[[pd.Series], str]
    lowest: bool = False
    # whether the paired tests on the clean test images answer "cannot be told apart" here
    # (not for a figure of other images, such as the corrupted digits)
    paired: bool = True


@dataclasses.dataclass(frozen=True)
class Pick:
    """One row of the table: the answer to a question, or ``pick`` None when no row meets it."""

    question: str
    rule: str
    pick: str | None = None
    figures: str = ""
    tied: tuple[str, ...] | None = ()  # meet it too, the tests cannot tell (None: not tested)

    @property
    def tied_text(self) -> str:
        if self.pick is None:
            return ""
        if self.tied is None:
            return "not tested on these images"
        return ", ".join(self.tied) or "none"


def picks(board: pd.DataFrame, comparisons: list[ComparisonGroup] = ()) -> list[Pick]:
    """Every question's answer for ``board`` (``report.leaderboard``), the core's first."""
    measured = board[~board["profile"].map(is_check)].reset_index(drop=True)
    if measured.empty:
        return []
    questions = core_questions(measured)
    for measurement in measurements():
        questions += measurement.questions(measured)
    return [answer(q, comparisons) for q in questions]


def core_questions(board: pd.DataFrame) -> list[Question]:
    latency, to_99 = _numbers(board, "latency_p50_ms"), _numbers(board, "seconds_to_99")
    found = [
        Question(
            "Best accuracy overall", "highest mean test accuracy", board, "test_accuracy",
            _accuracy,
        )
    ]  # fmt: skip
    if latency.notna().any():
        found += [
            Question(
                f"Answers one image within {budget:g} ms on this CPU",
                f"highest test accuracy with batch-1 p50 at most {budget:g} ms",
                board[latency <= budget], "test_accuracy",
                lambda row: f"{_accuracy(row)}, {row['latency_p50_ms']:.2f} ms",
            )
            for budget in LATENCY_BUDGETS_MS
        ]  # fmt: skip
    if to_99.notna().any():
        reached = board[to_99.notna() & (to_99 != math.inf)]
        found.append(
            Question(
                "Cheapest to train to 99%", "fewest training seconds to 99% validation accuracy",
                reached, "seconds_to_99",
                lambda row: f"{row['seconds_to_99']:,.0f} s to 99%, {_accuracy(row)}",
                lowest=True,
            )
        )  # fmt: skip
    return found


def _numbers(board: pd.DataFrame, column: str) -> pd.Series:
    """The column as numbers; all NaN where the board has no such column."""
    if column not in board:
        return pd.Series(math.nan, index=board.index)
    return pd.to_numeric(board[column], errors="coerce")


def _accuracy(row: pd.Series) -> str:
    return f"test accuracy {row['test_accuracy']:.4f}"


def answer(question: Question, comparisons: list[ComparisonGroup] = ()) -> Pick:
    """The question's pick, its figures and the candidates tied with it."""
    ranked = question.candidates.dropna(subset=[question.score]).sort_values(
        question.score, ascending=question.lowest, kind="stable"
    )
    if ranked.empty:
        return Pick(question.question, question.rule)
    best = ranked.iloc[0]
    tied = tied_with(best, ranked.iloc[1:], comparisons) if question.paired else None
    return Pick(question.question, question.rule, config_label(best), question.figures(best), tied)


def tied_with(
    row: pd.Series, others: pd.DataFrame, comparisons: list[ComparisonGroup]
) -> tuple[str, ...]:
    """The rows of ``others`` in ``row``'s comparison group (same dataset, profile,
    augmentation and variant) whose paired test against it is not significant."""
    group = group_of(row, comparisons)
    if group is None:
        return ()
    untold = set(group.untold_from(row["arch"]))
    return tuple(
        config_label(other)
        for _, other in others.iterrows()
        if group_key(other) == group.key and other["arch"] in untold
    )


def markdown(found: list[Pick]) -> str:
    """The table as GitHub Markdown, as the README holds it."""
    rows = ["| if you need | rule | pick | its figures | cannot be told apart from it |"]
    rows.append("| --- | --- | --- | --- | --- |")
    for p in found:
        rows.append(
            f"| {p.question} | {p.rule} | {p.pick or 'none meets it'} | {p.figures} | "
            f"{p.tied_text} |"
        )
    return "\n".join(rows) + "\n"
