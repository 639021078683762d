"""What the README and docs name exists: every dotted module or function name in backticks
(``bench.measure.folding``, ``bench.load_results``) imports, and every file path they give is
in the repository."""

from __future__ import annotations

import argparse
import importlib
import re
import shlex
from pathlib import Path

import pytest

from bench.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PACKAGES = "bench|architectures|report"
# a dotted name, not a file name such as report.html nor part of a path
DOTTED = re.compile(rf"(?<![\w/.-])((?:{PACKAGES})(?:\.[A-Za-z_]\w*)+)(?![\w/-])")
FILE_SUFFIXES = (".html", ".png", ".md", ".py", ".csv", ".json", ".j2", ".npz", ".keras")
PATH = re.compile(rf"(?<![\w/.-])((?:{PACKAGES}|benchmarks|tests|docs)/[\w./-]*\w\.(?:py|md|j2))")


def _mentions(pattern: re.Pattern) -> list[tuple[str, str]]:
    return sorted({(doc.name, found) for doc in DOCS for found in pattern.findall(doc.read_text())})


def _resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for name in parts[cut:]:
                target = getattr(target, name)
        except AttributeError:
            return False
        return True
    return False


@pytest.mark.parametrize(
    ("doc", "dotted"), [(d, n) for d, n in _mentions(DOTTED) if not n.endswith(FILE_SUFFIXES)]
)
def test_every_dotted_name_the_docs_give_exists(doc, dotted):
    assert _resolves(dotted), f"{doc} names {dotted}, which does not exist"


@pytest.mark.parametrize(("doc", "path"), _mentions(PATH))
def test_every_file_the_docs_give_exists(doc, path):
    assert (ROOT / path).exists(), f"{doc} names {path}, which is not in the repository"


def test_the_docs_name_some_modules_and_files():
    assert len(_mentions(DOTTED)) > 10 and len(_mentions(PATH)) > 5


def _readme_commands() -> list[str]:
    """Every ``python -m bench`` line of the README's bash blocks, less its comment."""
    blocks = re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    lines = [line.split("  #")[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line.startswith("python -m bench ")]


@pytest.mark.parametrize("command", _readme_commands())
def test_every_bench_command_in_the_readme_is_one_the_command_line_takes(command):
    # Parsing checks the command, its flags and their values; what they do is tested elsewhere.
    args = shlex.split(command)[3:]
    try:
        parsed = build_parser().parse_args(args)
    except SystemExit as exited:
        assert exited.code == 0 and "--help" in args, command
        return
    assert callable(parsed.handler), command


def test_the_readme_shows_the_smoke_run_and_the_main_job():
    commands = _readme_commands()
    assert any("--profile smoke" in c and "--all" in c for c in commands)
    assert any(c.startswith("python -m bench run --all --data-dir") for c in commands)
    assert len((ROOT / "README.md").read_text().splitlines()) <= 250  # README stays short


def test_the_option_reference_in_the_usage_guide_is_the_command_lines():
    from bench.cli.reference import markdown

    usage = (ROOT / "docs" / "usage.md").read_text()
    written = usage.split("<!-- cli-reference -->\n")[1].split("<!-- /cli-reference -->")[0]
    assert written == markdown()


def test_every_option_takes_the_same_kind_of_value_in_every_command():
    from bench.cli.reference import commands

    kinds: dict[str, set[str]] = {}
    for parser in commands(build_parser()).values():
        for action in parser._actions:
            if action.help == argparse.SUPPRESS:  # an old spelling, kept for a release
                continue
            for flag in action.option_strings:
                kinds.setdefault(flag, set()).add(str(action.metavar or action.nargs))
    assert {flag: found for flag, found in kinds.items() if len(found) > 1} == {}
