"""The command line's options, each once: ``python -m bench.cli.reference`` prints the
Markdown table docs/usage.md holds (a test keeps the two the same)."""

from __future__ import annotations

import argparse
import dataclasses

from bench.cli.main import build_parser
from bench.cli.measure import DEPRECATED


@dataclasses.dataclass
class Option:
    """One option of the command line, as every command that takes it takes it."""

    flags: str  # "--out DIR"
    help: str
    commands: list[str] = dataclasses.field(default_factory=list)


def commands(
    parser: argparse.ArgumentParser, prefix: str = ""
) -> dict[str, argparse.ArgumentParser]:
    """Every command by its words (``measure exports``), the deprecated ones left out."""
    found = {}
    for action in parser._actions:  # argparse keeps subcommands nowhere public
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                if not prefix and name in DEPRECATED:
                    continue
                words = f"{prefix} {name}".strip()
                nested = commands(sub, words)
                found.update(nested or {words: sub})
    return found


def options() -> list[Option]:
    """Each option once, in the order the commands first take it."""
    found: dict[str, Option] = {}
    for words, parser in commands(build_parser()).items():
        for action in parser._actions:
            if not action.option_strings or action.help == argparse.SUPPRESS:
                continue
            name = max(action.option_strings, key=len)
            if name == "--help":
                continue
            metavar = "" if action.nargs == 0 else f" {action.metavar or action.dest.upper()}"
            meaning = " ".join(action.help.split()).replace("%%", "%")
            option = found.setdefault(name, Option(name + metavar, meaning))
            option.commands.append(words)
    return list(found.values())


def markdown() -> str:
    rows = ["| option | commands | meaning |", "| --- | --- | --- |"]
    for option in options():
        used = ", ".join(f"`{c}`" for c in option.commands)
        rows.append(f"| `{option.flags}` | {used} | {option.help.replace('|', '/')} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
