"""TensorFlow's C++ log, kept off the terminal unless asked for (``BENCH_TF_LOG=1``).

TensorFlow's native libraries log through absl before anything can configure it, so
``TF_CPP_MIN_LOG_LEVEL`` no longer stops their start-up lines ("All log messages before
absl::InitializeLog() ...", oneDNN's notice) from coming before a command's own output or
its one-line error. The ``bench`` command therefore imports TensorFlow with file descriptor
2, where C++ code writes, diverted (``silence``); what was caught is shown only if the import
fails. LiteRT's interpreter gets the same treatment where it is made (``bench.measure.latency``).
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import logging
import os
import sys
import tempfile
from collections.abc import Iterator

LOG_ENV = "BENCH_TF_LOG"  # set to 1 to see TensorFlow's and LiteRT's own log


def wanted() -> bool:
    """Whether the environment asks for TensorFlow's log."""
    return os.environ.get(LOG_ENV, "") not in ("", "0")


def silence() -> None:
    """Unless ``BENCH_TF_LOG`` asks for the log: TensorFlow's C++ log level at errors only,
    and its first import (whenever something makes it) with file descriptor 2 diverted."""
    if wanted():
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "tensorflow" not in sys.modules and not any(
        isinstance(finder, _QuietImport) for finder in sys.meta_path
    ):
        sys.meta_path.insert(0, _QuietImport("tensorflow"))


def quiet() -> None:
    """What every process of a command does before TensorFlow: ``silence``, and TensorFlow's
    Python log (retracing notices and the like) at errors only."""
    silence()
    logging.getLogger("tensorflow").setLevel(logging.ERROR)


@contextlib.contextmanager
def withheld_stderr() -> Iterator[None]:
    """Divert file descriptor 2 to a temporary file for the block; what it caught is written
    out after all if the block raises. With ``BENCH_TF_LOG`` set, nothing is diverted."""
    if wanted():
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as caught:
        os.dup2(caught.fileno(), 2)
        failed = True
        try:
            yield
            failed = False
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            if failed:
                caught.seek(0)
                os.write(2, caught.read())


class _QuietImport(importlib.abc.MetaPathFinder):
    """Finds module ``name`` as the other finders do, and has it executed with stderr
    withheld; once it is imported, ``sys.modules`` answers and this is not asked again."""

    def __init__(self, name: str):
        self.name = name
        self._finding = False

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.name or self._finding:
            return None
        self._finding = True
        try:
            spec = importlib.util.find_spec(fullname)
        finally:
            self._finding = False
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader)
        return spec


class _QuietLoader(importlib.abc.Loader):
    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:
        # The module and its spec keep the real loader; only this one call goes through here.
        module.__loader__ = module.__spec__.loader = self.loader
        with withheld_stderr():
            self.loader.exec_module(module)
