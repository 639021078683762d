"""Errors that end a command with one line and exit code 2."""

from __future__ import annotations

import os
from pathlib import Path

# The registry sits below bench and imports nothing from it; its error is bad input too.
from architectures._registry import ArchitectureError, one_line

__all__ = ["ArchitectureError", "BenchError", "DataError", "WriteError", "one_line", "BAD_INPUT"]


class BenchError(Exception):
    """Bad input from the user: a data file, a flag, an architecture.

    The CLI prints ``error: <message>`` on one line and exits with code 2, so the
    message must say what is wrong, where, and ideally what to do about it.
    """


class DataError(BenchError):
    """A dataset that cannot be found or read."""


class WriteError(BenchError):
    """A file that cannot be written: a full disk, a folder that cannot be written to."""

    @classmethod
    def of(cls, path: os.PathLike, exc: OSError) -> WriteError:
        """The error for ``exc``, met while writing ``path``."""
        reason = exc.strerror or one_line(exc)
        culprit = exc.filename
        if culprit is not None and Path(culprit).parent != Path(path).parent:
            reason += f": {culprit}"  # a folder on the way, not the file or its temporary twin
        return cls(f"{path}: cannot write it: {reason}")


BAD_INPUT = (BenchError, ArchitectureError)  # what a command reports in one line, exit code 2
