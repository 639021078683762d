"""TensorFlow's own log stays off the terminal, unless BENCH_TF_LOG asks for it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import tflog

ROOT = Path(__file__).resolve().parent.parent


def _bench(*args: str) -> subprocess.CompletedProcess:
    """``python -m bench ARGS`` in a fresh process, in an environment that sets no log level."""
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "BENCH_TF_LOG")}
    command = [sys.executable, "-m", "bench", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_a_command_that_loads_tensorflow_prints_nothing_on_stderr():
    done = _bench("list", "--format", "json", "--arch", "lenet5")
    assert done.returncode == 0
    assert done.stderr == ""


def test_an_error_after_tensorflow_loads_is_the_only_line():
    done = _bench("run", "--arch", "nope", "--dataset", "digits")
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert line.startswith("error: unknown architecture 'nope'")


def test_what_a_block_writes_to_file_descriptor_2_is_withheld(capfd, monkeypatch):
    monkeypatch.delenv(tflog.LOG_ENV, raising=False)
    with tflog.withheld_stderr():
        os.write(2, b"I0000 port.cc:153] chatter\n")
    assert capfd.readouterr().err == ""


def test_what_a_failing_block_wrote_to_file_descriptor_2_is_shown(capfd, monkeypatch):
    monkeypatch.delenv(tflog.LOG_ENV, raising=False)
    with pytest.raises(ImportError), tflog.withheld_stderr():
        os.write(2, b"the reason it failed\n")
        raise ImportError("broken install")
    assert capfd.readouterr().err == "the reason it failed\n"


def test_bench_tf_log_lets_file_descriptor_2_through(capfd, monkeypatch):
    monkeypatch.setenv(tflog.LOG_ENV, "1")
    with tflog.withheld_stderr():
        os.write(2, b"I0000 port.cc:153] chatter\n")
    assert capfd.readouterr().err == "I0000 port.cc:153] chatter\n"
