"""The report's panels: a section each after-training measurement adds to the page.

A measurement's ``panel`` hook (``bench.plugins``) gets a ``PanelContext`` (the runs, their
table and leaderboard, and their data) and returns a ``Panel``: its section as HTML, rendered
from a template of its own package with ``render_panel``, and the charts drawn in it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from bench.data import Splits
from bench.store.records import RunRecord


@dataclasses.dataclass(frozen=True)
class PanelContext:
    """What a panel is made from."""

    runs: list[tuple[Path, RunRecord]]  # the finished runs, with their folders
    records: list[RunRecord]  # every run read, failed ones too
    frame: pd.DataFrame  # a row per run (``bench.store.results.load``)
    board: pd.DataFrame  # a row per configuration (``report.leaderboard.leaderboard``)
    splits: Callable[[RunRecord], Splits | str]  # a run's data, or why it cannot be reloaded
    check_profiles: list[str]  # the profiles whose runs are not compared


@dataclasses.dataclass(frozen=True)
class Panel:
    """A measurement's section of the page."""

    id: str  # the section's element id, linked from the page's navigation
    title: str  # its link in the navigation
    html: str  # the section, ``<section id="...">`` and all (``render_panel``)
    figures: dict[str, Any] = dataclasses.field(default_factory=dict)  # plotly, by element id
    method: str = ""  # a sentence for the page's method section: how it was measured


def environment(*folders: Path):
    """The page's Jinja environment: its templates (the shared macros among them) and those
    in ``folders``, HTML escaped, an unknown name an error."""
    from jinja2 import (
        ChoiceLoader,
        Environment,
        FileSystemLoader,
        PackageLoader,
        StrictUndefined,
        select_autoescape,
    )

    from report.significance import p_text

    env = Environment(
        loader=ChoiceLoader(
            [FileSystemLoader([str(f) for f in folders]), PackageLoader("report", "templates")]
        ),
        autoescape=select_autoescape(["html", "j2"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["p_text"] = p_text
    return env


def render_panel(template: Path, filters: dict[str, Callable] | None = None, **context) -> str:
    """The template file ``template`` rendered with ``context`` (and ``filters``)."""
    env = environment(template.parent)
    env.filters.update(filters or {})
    return env.get_template(template.name).render(**context)
