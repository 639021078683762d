"""The command line: `python -m bench COMMAND`."""

from bench.cli.main import main, main_entry

__all__ = ["main", "main_entry"]
