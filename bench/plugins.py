"""After-training measurements as plugins: subclass ``Measurement``, override its hooks,
``@register_measurement`` it.

A measurement is what a finished run is measured on once its record is written: its LiteRT
exports, its accuracy on corrupted digits, whatever comes next. Each lives in a package of
its own (``bench/measurements/<name>/``, or a user's module loaded with
``--measurement-module``) and declares there, in one class: its option of ``bench run`` and
``bench measure NAME``, what it computes from the saved model and the data, its typed
section of the record, its columns in the results table and the leaderboard, and its panel
of the report. The harness (``bench.train.after``, ``bench.revisit``), the store and the
report iterate over the registered measurements and know none of them by name, as they do
for architectures.

The built-in measurements are found on the first look at the registry, like the built-in
architectures: the core imports no measurement.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from architectures import import_file
from bench.errors import BenchError

if TYPE_CHECKING:
    import pandas as pd

# The hooks take the core's types (a ``bench.store.records.RunRecord``, a
# ``bench.train.after.FinishedRun``); the registry sits below both, so it names them only.
RunRecord = FinishedRun = Any

BUILT_IN = "bench.measurements"  # the package whose subpackages are the built-in ones


class Measurement:
    """One after-training measurement. Set the class attributes; override the hooks.

    Settings are the measurement's own (a frozen dataclass, say): what ``settings`` makes
    of the option's text, and what ``measure`` is given. A measurement asked for nothing
    (``asks`` false) is skipped.
    """

    name: ClassVar[str] = ""  # the record's key, the NAME of `bench measure NAME`
    title: ClassVar[str] = ""  # in messages: "no <title> made", a few words
    section: ClassVar[type]  # the record section: a dataclass with from_json and to_json
    # where the record's timing keeps its seconds; the name unless records said otherwise
    timing_key: ClassVar[str] = ""
    option: ClassVar[str] = ""  # its option of `bench run` and `bench measure`, "--exports"
    environment_variable: ClassVar[str] = ""  # the option's default for a shell or CI
    # the ``dest`` of each other option ``add_arguments`` adds ("keep_exports")
    other_options: ClassVar[tuple[str, ...]] = ()
    summary_headers: ClassVar[tuple[str, ...]] = ()  # its columns in `bench run`'s table

    # --- options and settings -------------------------------------------------------------

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Add the measurement's options; by default ``option``, taking text."""
        parser.add_argument(self.option, metavar="TEXT", help=self.description())

    def description(self) -> str:
        """One line for ``--help``: the class docstring's first line."""
        return (type(self).__doc__ or self.title).strip().splitlines()[0].rstrip(".")

    def profile_default(self, profile: str | None) -> str:
        """The option's text for a run of ``profile`` when nothing else says."""
        return ""

    def option_text(self, given: str | None, profile: str | None) -> str:
        """The option's text: ``given``, else the environment variable, else the profile's."""
        if given is not None:
            return given
        variable = self.environment_variable
        return (variable and os.environ.get(variable)) or self.profile_default(profile)

    def settings(self, given: Any, profile: str | None, options: dict[str, Any]) -> Any:
        """The settings of ``given`` (the option's text, None, or settings already made) for
        a run of ``profile``; ``options`` holds the values of the other options this
        measurement added, by their ``dest``. Raise ``BenchError`` for a bad value."""
        return self.option_text(given, profile)

    def asks(self, settings: Any) -> bool:
        """Whether ``settings`` ask for anything to be measured."""
        return bool(settings) and settings != "none"

    def missing(self, record: RunRecord, settings: Any, force: bool) -> Any:
        """What ``bench measure`` still has to do for ``record``: ``settings``, or None
        when the record has the section already (and not ``force``)."""
        return settings if force or record.section(self.name) is None else None

    # --- measuring -------------------------------------------------------------------------

    def measure(self, run: FinishedRun, settings: Any) -> Any:
        """The section of the finished ``run``: read its saved model and predictions, and
        its data's splits. Files it writes go in ``run.folder``, each whole or not at all."""
        raise NotImplementedError

    def merged(self, previous: Any, measured: Any) -> Any:
        """The record's section once ``measured`` is added to the ``previous`` one."""
        return measured

    def said(self, section: Any) -> str:
        """A few words on a run's section, for progress lines ("" says nothing)."""
        return ""

    def summary(self, section: Any) -> dict[str, str]:
        """A run's cells under ``summary_headers`` in the table `bench run` ends with."""
        return {}

    # --- tables ------------------------------------------------------------------------------
    # Where a measurement keeps its tables in a module of their own, ``table`` names it and
    # the hooks below read it: ``run_columns(section)``, ``board_figures(group)``,
    # ``COLUMNS``, ``hidden_columns(board)`` and ``csv_columns(board)``.
    table: ClassVar[Any] = None

    def columns(self, section: Any) -> dict[str, Any]:
        """A run's columns in the results table (``bench.store.results.load``); ``section``
        None for a run without it. Name them after the measurement."""
        return self.table.run_columns(section) if self.table else {}

    def board_figures(self, group: pd.DataFrame) -> dict[str, Any]:
        """One configuration's figures in the leaderboard, from its seeds' rows."""
        return self.table.board_figures(group) if self.table else {}

    def board_columns(self) -> list[Any]:
        """The leaderboard's columns of this measurement (``report.columns.Column``)."""
        return self.table.COLUMNS if self.table else []

    def hidden_columns(self, board: pd.DataFrame) -> set[str]:
        """The keys of its board columns not worth showing for ``board`` (none measured)."""
        return self.table.hidden_columns(board) if self.table else set()

    def csv_columns(self, board: pd.DataFrame) -> pd.DataFrame:
        """``board`` as the CSV writes this measurement's columns: pairs split, say."""
        return self.table.csv_columns(board) if self.table else board

    # --- report ------------------------------------------------------------------------------

    def questions(self, board: pd.DataFrame) -> list[Any]:
        """Its rows of the "which to pick" table (``report.picks.Question``): constraints on
        its figures, each with the board's rows that meet it and the column that ranks them.
        ``board`` holds no rows of check profiles."""
        return []

    def panel(self, context: Any) -> Any:
        """Its section of the report (``report.panels.Panel``), or None for nothing to show;
        ``context`` is a ``report.panels.PanelContext``."""
        return None


_REGISTRY: dict[str, Measurement] = {}
_DISCOVERED: list[bool] = []


def register_measurement(cls: type[Measurement]) -> type[Measurement]:
    """Class decorator: register an instance of ``cls`` under ``cls.name``."""
    if not cls.name or not cls.name.isidentifier():
        raise BenchError(f"measurement {cls.__name__}: its name must be an identifier")
    known = _REGISTRY.get(cls.name)
    if known is not None and type(known).__qualname__ != cls.__qualname__:
        raise BenchError(f"measurement '{cls.name}' is registered already ({type(known).__name__})")
    _REGISTRY[cls.name] = cls()
    return cls


def _discover() -> None:
    if _DISCOVERED:
        return
    _DISCOVERED.append(True)
    package = importlib.import_module(BUILT_IN)
    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{BUILT_IN}.{info.name}")


def measurements() -> list[Measurement]:
    """The registered measurements, built-in ones first, in the order they are made."""
    _discover()
    return list(_REGISTRY.values())


def measurement_names() -> list[str]:
    return [m.name for m in measurements()]


def get_measurement(name: str) -> Measurement:
    """The measurement registered as ``name``; ``BenchError`` naming the known ones."""
    _discover()
    if name not in _REGISTRY:
        raise BenchError(f"unknown measurement '{name}'; known: {', '.join(_REGISTRY)}")
    return _REGISTRY[name]


def section_type(name: str) -> type | None:
    """The record section type of the measurement ``name``; None when none is registered."""
    _discover()
    found = _REGISTRY.get(name)
    return found.section if found is not None else None


def load_measurement_module(path: str | Path) -> None:
    """Import a Python file so that the measurements it registers become available; a file
    imported already is not imported again."""
    module_name = f"_bench_measurement_{Path(path).stem}"
    if module_name not in sys.modules:
        import_file(path, module_name, "--measurement-module", BenchError)
