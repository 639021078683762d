"""The robustness panel of the report: accuracy on corrupted copies of the test digits
(MNIST-C style, ``corruptions``), shown only when some finished run was measured on them.

What augmentation does to it is paired over seeds, as on the clean digits, and tested image
by image with McNemar's test on the default corrupted sets pooled (``report.significance``);
a gallery shows one test digit under every corruption and severity.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from bench.config import is_check
from bench.data import Splits
from bench.measure.stats import Interval
from bench.measurements.robustness import corruptions
from bench.measurements.robustness.charts import MEAN, corruption_heatmap, severity_curves
from bench.measurements.robustness.evaluate import PREDICTED, set_key
from bench.measurements.robustness.section import robustness_of
from bench.store.records import RunRecord
from report.charts import config_label, network_name
from report.images import data_uri
from report.leaderboard import GROUP_KEYS
from report.panels import Panel, PanelContext, render_panel
from report.picks import Question
from report.significance import (
    AugmentationTest,
    augmentation_effects,
    augmentation_tests,
)

GALLERY_CLASS = 3  # the digit the gallery corrupts: its first test image
TEMPLATE = Path(__file__).with_name("panel.html.j2")


@dataclasses.dataclass(frozen=True)
class EffectRow:
    """Augmentation's effect (on minus off, paired by seed) on one architecture's clean and
    corrupted accuracy, over the same seeds: those measured on corrupted digits both ways."""

    arch: str
    dataset: str
    profile: str
    variant: str
    clean: Interval
    corrupted: Interval

    @property
    def note(self) -> str:
        return "" if self.corrupted.n > 1 else "one paired seed: no interval"


@dataclasses.dataclass(frozen=True)
class GalleryRow:
    """One corruption applied to the gallery's digit: the clean image, then a severity each."""

    name: str
    kind: str
    unit: str
    images: list[tuple[str, str]]  # (data URI, caption: "clean" or the level)


@dataclasses.dataclass
class RobustnessView:
    """What the page's robustness section shows; notes say why a part is missing."""

    corruptions: list[str]  # those measured, in corruptions.CORRUPTIONS' order
    runs: int  # finished runs measured on them
    unmeasured: int  # finished runs that were not
    seeds: list[int]  # the corruptions' random seeds
    heatmap: go.Figure
    severity: go.Figure | None  # None without geometric corruptions
    effects: list[EffectRow]
    tests: list[AugmentationTest]
    gallery: list[GalleryRow]
    gallery_note: str = ""
    gallery_label: int | None = None  # the class of the gallery's digit

    @property
    def figures(self) -> dict[str, go.Figure]:
        """The section's charts by the id of the element that shows each."""
        found = {"chart-robustness": self.heatmap, "chart-robustness-severity": self.severity}
        return {chart_id: figure for chart_id, figure in found.items() if figure is not None}


def panel(context: PanelContext) -> Panel | None:
    """The page's robustness section; None when no run was measured on corrupted digits."""
    view = robustness_view(context.runs, context.frame, context.splits)
    if view is None:
        return None
    html = render_panel(TEMPLATE, robustness=view, check_profiles=context.check_profiles)
    return Panel("robustness", "Robustness", html, view.figures)


def robustness_view(
    runs: list[tuple[Path, RunRecord]],
    frame: pd.DataFrame,
    splits: Callable[[RunRecord], Splits | str],
) -> RobustnessView | None:
    """The section for the finished ``runs`` and their table ``frame``
    (``bench.store.results.load``); ``splits`` reloads a run's data for the gallery, or says
    why it cannot. None when no run was measured on corrupted digits."""
    measured = [
        (folder, r) for folder, r in runs if r.ok and robustness_of(r) and robustness_of(r).accuracy
    ]
    if not measured:
        return None
    accuracy = accuracy_frame([record for _, record in measured])
    names = [name for name in corruptions.CORRUPTIONS if name in set(accuracy["corruption"])]
    geometric = [c for c in map(corruptions.CORRUPTIONS.get, names) if c.kind == "geometry"]
    # runs of a check profile are not compared, as on the clean digits
    compared = [run for run in measured if not is_check(run[1].spec.profile)]
    first = measured[0][1]
    gallery, note, label = corruption_gallery(splits(first), names, robustness_of(first).seed)
    return RobustnessView(
        corruptions=names,
        runs=len(measured),
        unmeasured=sum(1 for _, r in runs if r.ok) - len(measured),
        seeds=sorted({robustness_of(record).seed for _, record in measured}),
        heatmap=corruption_heatmap(heatmap_table(accuracy, names)),
        severity=severity_curves(severity_means(accuracy), geometric) if geometric else None,
        effects=effect_rows(frame),
        tests=augmentation_tests(compared, read=pooled_corrupted),
        gallery=gallery,
        gallery_note=note,
        gallery_label=label,
    )


def accuracy_frame(records: list[RunRecord]) -> pd.DataFrame:
    """A row per (run, corruption, severity) with its ``accuracy``, and severity 0 for the
    clean test images, with the run's configuration (``GROUP_KEYS``) and seed."""
    rows = []
    for record in records:
        spec, robustness = record.spec, robustness_of(record)
        config = {key: getattr(spec, key) for key in GROUP_KEYS} | {"seed": spec.seed}
        clean = robustness.clean_accuracy
        if clean is None:
            clean = record.metrics.test_accuracy
        for name, by_severity in robustness.accuracy.items():
            rows.append({**config, "corruption": name, "severity": 0, "accuracy": clean})
            rows += [
                {**config, "corruption": name, "severity": int(level), "accuracy": value}
                for level, value in by_severity.items()
            ]
    frame = pd.DataFrame(rows)
    frame["accuracy"] = pd.to_numeric(frame["accuracy"], errors="coerce")
    return frame


def _labels(frame: pd.DataFrame) -> pd.Series:
    """Each row's configuration as the charts name it, with its dataset and profile where
    the page holds several."""
    labels = frame.apply(config_label, axis=1)
    if len(frame[["dataset", "profile"]].drop_duplicates()) > 1:
        labels += ", " + frame["dataset"] + " " + frame["profile"]
    return labels


def heatmap_table(accuracy: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Mean accuracy over severities and seeds: a row per configuration (architecture, then
    augmentation off and on), a column per corruption of ``names``, then ``MEAN`` over all."""
    corrupted = accuracy[accuracy["severity"] > 0]
    table = corrupted.pivot_table(index=GROUP_KEYS, columns="corruption", values="accuracy")
    table[MEAN] = corrupted.groupby(GROUP_KEYS)["accuracy"].mean()
    table = table.reindex(columns=[*names, MEAN])
    table = table.sort_index(level=["dataset", "profile", "arch", "variant", "augment"])
    table.index = _labels(table.index.to_frame(index=False))
    return table


def severity_means(accuracy: pd.DataFrame) -> pd.DataFrame:
    """Mean accuracy over seeds per configuration, corruption and severity, each row named
    by ``label`` and ``network`` (its colour in a chart)."""
    means = accuracy.groupby([*GROUP_KEYS, "corruption", "severity"], as_index=False)[
        "accuracy"
    ].mean()
    networks = [network_name(a, v) for a, v in zip(means["arch"], means["variant"], strict=True)]
    return means.assign(label=_labels(means), network=networks)


def effect_rows(frame: pd.DataFrame) -> list[EffectRow]:
    """Augmentation's effect on clean and on corrupted accuracy, per architecture, over the
    runs measured on corrupted digits."""
    measured = frame[pd.to_numeric(frame["corruption_accuracy"], errors="coerce").notna()]
    clean = {
        (e.arch, e.dataset, e.profile, e.variant): e.difference
        for e in augmentation_effects(measured)
    }
    return [
        EffectRow(e.arch, e.dataset, e.profile, e.variant, clean[key], e.difference)
        for e in augmentation_effects(measured, "corruption_accuracy")
        if (key := (e.arch, e.dataset, e.profile, e.variant)) in clean
    ]


def pooled_corrupted(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """A run's labels and predicted classes on every default corrupted set, one set after
    another, so that runs evaluated on more sets are compared on the same images; a run
    without all of them raises KeyError (left out of the comparisons). The labels are those
    of the test images the sets were made of (``y_true`` in the file: a fixed sample)."""
    with np.load(folder / PREDICTED) as saved:
        labels = saved["y_true"]
        predicted = [
            saved[set_key(name, severity)]
            for name in corruptions.names("default")
            for severity in corruptions.SEVERITIES
        ]
    return np.tile(labels, len(predicted)), np.concatenate(predicted)


def corruption_gallery(
    splits: Splits | str, names: list[str], seed: int
) -> tuple[list[GalleryRow], str, int | None]:
    """The first test image of ``GALLERY_CLASS`` (else the first) under each corruption of
    ``names`` at each severity, its class, or no rows and why when the images could not be
    reloaded. Each corruption's random choices (a direction, a position) are drawn for this
    image alone, so they may differ from those its copy in the corrupted sets met."""
    if isinstance(splits, str):
        return [], splits, None
    wanted = np.flatnonzero(splits.y_test == GALLERY_CLASS)
    index = int(wanted[0]) if len(wanted) else 0
    image = splits.x_test[index : index + 1]
    clean = data_uri(image[0])
    rows = []
    for name in names:
        corruption = corruptions.CORRUPTIONS[name]
        images = [(clean, "clean")] + [
            (data_uri(corruptions.corrupt(image, name, severity, seed)[0]), f"{level:g}")
            for severity, level in zip(corruptions.SEVERITIES, corruption.levels, strict=True)
        ]
        rows.append(GalleryRow(name, corruption.kind, corruption.unit, images))
    return rows, "", int(splits.y_test[index])


def corruption_questions(board: pd.DataFrame) -> list[Question]:
    """ "Which to pick" for digits that come in worse than the test set's."""
    if "corruption_accuracy" not in board:
        return []
    measured = board[pd.to_numeric(board["corruption_accuracy"], errors="coerce").notna()]
    if measured.empty:
        return []
    return [
        Question(
            "Reads corrupted digits best",
            "highest mean accuracy over every corruption and severity",
            measured,
            "corruption_accuracy",
            lambda row: (
                f"corrupted {row['corruption_accuracy']:.4f}, clean {row['test_accuracy']:.4f}"
            ),
            paired=False,  # the paired tests compare the clean test images
        )
    ]
