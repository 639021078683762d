"""The protocol search's verdict as docs/protocol.md's tables, from the records themselves.

Reads the JSON lines ``protocol_search.py`` appends (``--log``) and, with ``--runs``, the
runs of a results folder (their ``history.csv``: the validation accuracy after every epoch).
Each configuration (architecture, augmentation, epochs, peak rate, batch, warm-up, label
smoothing, weight average, precision) is pooled over its seeds: the last epoch's validation
accuracy per seed and their mean. For each architecture and augmentation setting, a shorter
budget *holds* when its mean is at least the mean at the architecture's registered budget
(``architectures``' ``train=dict(epochs=...)``), compared within one precision: the rule
docs/protocol.md states. Nothing here reads a test image or a test figure.

    python benchmarks/protocol_table.py --log results/reference/protocol-search/search.jsonl \\
        --runs results/reference/robustness/runs

``--docs docs/protocol.md`` rewrites the section between that file's markers instead.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import os
import statistics
from collections.abc import Iterable
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before the networks load TensorFlow

import architectures  # noqa: E402

VALIDATION_IMAGES = 5000  # the standard profile's validation split


@dataclasses.dataclass(frozen=True)
class Setting:
    """What a search line or a run trained with, less its seed."""

    arch: str
    augment: bool
    epochs: int
    learning_rate: float
    batch_size: int
    warmup: float
    label_smoothing: float
    ema: float
    precision: str
    source: str  # "search", or the runs folder's name


@dataclasses.dataclass(frozen=True)
class Trained:
    setting: Setting
    seed: int
    last: float  # validation accuracy of the weights kept
    seconds: float


def from_log(path: Path) -> list[Trained]:
    found = []
    for line in path.read_text().splitlines():
        row = json.loads(line)
        setting = Setting(
            row["arch"], row["augment"], row["epochs"], row["learning_rate"], row["batch_size"],
            row["warmup"], row.get("label_smoothing", 0.0), row.get("ema", 0.0),
            row.get("precision", "auto"), "search",
        )  # fmt: skip
        found.append(Trained(setting, row["seed"], row["last"], row["seconds"]))
    return found


def from_runs(folder: Path) -> list[Trained]:
    """The finished standard-profile runs of ``folder``, one per run folder."""
    found = []
    for record_path in sorted(folder.glob("*/record.json")):
        record = json.loads(record_path.read_text())
        spec = record["spec"]
        history = record_path.with_name("history.csv")
        if record["status"] != "ok" or spec["profile"] != "standard" or not history.exists():
            continue
        with history.open() as rows:
            last = float(list(csv.DictReader(rows))[-1]["val_accuracy"])
        setting = Setting(
            spec["arch"], spec["augment"], spec["epochs"], spec["learning_rate"],
            spec["batch_size"], spec["warmup"], spec.get("label_smoothing", 0.0),
            spec.get("ema", 0.0), spec["precision"], folder.parent.name,
        )  # fmt: skip
        found.append(Trained(setting, spec["seed"], last, record["metrics"]["train_seconds"]))
    return found


def pooled(trained: Iterable[Trained]) -> dict[Setting, list[Trained]]:
    groups: dict[Setting, list[Trained]] = {}
    for run in trained:
        groups.setdefault(run.setting, []).append(run)
    return {s: sorted(runs, key=lambda r: r.seed) for s, runs in sorted(groups.items(), key=_order)}


def _order(item: tuple[Setting, list]) -> tuple:
    s = item[0]
    return (s.arch, s.augment, s.precision, s.source, s.epochs, s.learning_rate, s.ema)


def mean_last(runs: list[Trained]) -> float:
    return statistics.fmean(run.last for run in runs)


def budget(arch: str) -> int | None:
    """The epochs the architecture trains for by its registration (None: not registered)."""
    if arch not in architectures.names():
        return None
    return architectures.get(arch).train.get("epochs")


def table(groups: dict[Setting, list[Trained]]) -> str:
    rows = [
        "| arch | aug | epochs | peak | smoothing | EMA | precision | source | last, by seed | "
        "mean | vs budget | s/epoch |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for setting, runs in groups.items():
        base = _at_budget(groups, setting)
        shorter = base is not None and setting.epochs != budget(setting.arch)
        versus = f"{(mean_last(runs) - base) * VALIDATION_IMAGES:+.1f}" if shorter else ""
        per_epoch = statistics.median(run.seconds / setting.epochs for run in runs)
        seeds = " ".join(f"{run.last:.4f}" for run in runs)
        rows.append(
            f"| {setting.arch} | {'on' if setting.augment else 'off'} | {setting.epochs} | "
            f"{setting.learning_rate:g} | {setting.label_smoothing:g} | {setting.ema:g} | "
            f"{setting.precision} | {setting.source} | {seeds} | {mean_last(runs):.4f} | "
            f"{versus} | {per_epoch:.0f} |"
        )
    return "\n".join(rows) + "\n"


def _at_budget(groups: dict[Setting, list[Trained]], setting: Setting) -> float | None:
    """The mean at the registered budget with everything else as ``setting`` has it."""
    at = dataclasses.replace(setting, epochs=budget(setting.arch))
    return mean_last(groups[at]) if at in groups else None


def verdicts(groups: dict[Setting, list[Trained]], seeds: int) -> str:
    """Per architecture and augmentation: the fewest epochs, among settings searched on
    ``seeds`` or more seeds, whose mean holds the registered budget's; only where both the
    budget and something shorter were trained on as many seeds, alike otherwise."""
    lines = []
    for setting, runs in groups.items():
        base = _at_budget(groups, setting)
        if setting.epochs != budget(setting.arch) or base is None or len(runs) < seeds:
            continue
        shorter = [
            (other.epochs, mean_last(more))
            for other, more in groups.items()
            if dataclasses.replace(other, epochs=setting.epochs) == setting
            and other.epochs < setting.epochs
            and len(more) >= seeds
        ]
        if not shorter:
            continue
        held = [epochs for epochs, mean in shorter if mean >= base]
        tried = ", ".join(f"{e} epochs {m:.4f}" for e, m in sorted(shorter))
        answer = f"{min(held)} epochs hold it" if held else "nothing shorter holds it"
        lines.append(
            f"- {setting.arch}, augmentation {'on' if setting.augment else 'off'}, "
            f"{setting.precision} ({setting.source}): {setting.epochs} epochs {base:.4f}, "
            f"{tried}: **{answer}**"
        )
    return "".join(line + "\n" for line in lines)


def markdown(logs: Iterable[Path], runs: Iterable[Path] = (), seeds: int = 3) -> str:
    """The table and the verdicts; docs/protocol.md holds them for the committed log."""
    trained = [run for path in logs for run in from_log(path)]
    trained += [run for folder in runs for run in from_runs(folder)]
    groups = pooled(trained)
    said = verdicts(groups, seeds).strip() or f"No budget and shorter setting on {seeds} seeds yet."
    return f"{table(groups)}\n{said}\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", type=Path, nargs="+", default=[], help="protocol_search logs")
    parser.add_argument("--runs", type=Path, nargs="+", default=[], help="results folders")
    parser.add_argument("--seeds", type=int, default=3, help="seeds a verdict needs")
    parser.add_argument("--docs", type=Path, help="rewrite this file's marked section instead")
    args = parser.parse_args()
    text = markdown(args.log, args.runs, args.seeds)
    if args.docs is None:
        print(text, end="")
        return
    before, rest = args.docs.read_text().split(BEGIN, 1)
    args.docs.write_text(before + BEGIN + text + END + rest.split(END, 1)[1])
    print(f"rewrote the table in {args.docs}")


BEGIN, END = "<!-- protocol-search -->\n", "<!-- /protocol-search -->"


if __name__ == "__main__":
    main()
