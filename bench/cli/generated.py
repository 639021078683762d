"""Sections of a Markdown file that a ``bench`` command prints, kept as it prints them.

A section starts with a marker naming the command, ``<!-- bench: report --results DIR
--format md --table picks -->``, and ends with ``<!-- /bench -->``. ``python -m
bench.cli.generated FILE ...`` runs each section's command (in this process, through
``bench.cli.main.main``, never a shell) and writes what it printed between the markers;
``--check`` writes nothing and exits 1 naming each section that differs (a test runs it on the
README), so a table there is the committed records' and never typed by hand.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import shlex
import sys
from pathlib import Path

from bench.errors import BenchError

SECTION = re.compile(r"<!-- bench: (?P<command>.+?) -->\n(?P<body>.*?)<!-- /bench -->", re.S)


def printed(command: str) -> str:
    """What ``python -m bench COMMAND`` prints (``BenchError`` when it fails)."""
    from bench.cli.main import main

    with contextlib.redirect_stdout(io.StringIO()) as out:
        code = main(shlex.split(command))
    if code != 0:
        raise BenchError(f"`bench {command}` exited with {code}")
    return out.getvalue()


def regenerated(text: str) -> str:
    """``text`` with every section's body replaced by what its command prints now."""

    def fill(match: re.Match) -> str:
        command = match["command"]
        return f"<!-- bench: {command} -->\n{printed(command)}<!-- /bench -->"

    return SECTION.sub(fill, text)


def stale(text: str) -> list[str]:
    """The commands whose sections differ from what they print now."""
    return [m["command"] for m in SECTION.finditer(text) if m["body"] != printed(m["command"])]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if stale")
    args = parser.parse_args(argv)
    found_stale = False
    for path in args.files:
        text = path.read_text()
        if args.check:
            for command in stale(text):
                print(f"{path}: stale section `bench {command}`", file=sys.stderr)
                found_stale = True
        elif (new := regenerated(text)) != text:
            path.write_text(new)
            print(f"{path}: sections regenerated")
    return 1 if found_stale else 0


if __name__ == "__main__":
    sys.exit(main())
