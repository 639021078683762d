"""TensorFlow Lite for Microcontrollers (TFLM), the runtime a microcontroller's firmware runs
an int8 model with, through its Python interpreter (the ``tflite-micro`` package).

A firmware reserves one tensor arena for the model: the activations, planned by TFLM's
memory planner, at one end ("head"), and what lives as long as the interpreter (each
operator's persistent data, quantization parameters, the interpreter's own structures) at
the other ("tail"). ``arena`` reads those figures from TFLM's recording allocator, after it
has allocated the model: the RAM a firmware must give the model, found by TFLM itself.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import os
import pickle
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

import numpy as np

_ALLOCATION = re.compile(r"Arena allocation (total|head|tail) (\d+) bytes")


class Unavailable(Exception):
    """TFLM's Python interpreter is not installed."""


class MicroFailed(Exception):
    """TFLM could not run a model: it refused it, or its process ended under it."""


@dataclasses.dataclass(frozen=True)
class Arena:
    """The tensor arena TFLM allocated for a model, in bytes."""

    total: int  # what the firmware must reserve
    activations: int  # the planned activations and scratch buffers (the arena's head)
    persistent: int  # operators' persistent data, quantization parameters, the interpreter's


def available() -> bool:
    """Whether the ``tflite-micro`` package is installed."""
    try:
        _runtime()
    except Unavailable:
        return False
    return True


def _runtime():
    try:
        from tflite_micro.python.tflite_micro import runtime
    except ImportError:
        raise Unavailable("TFLM is not installed (pip install tflite-micro)") from None
    return runtime


class Micro:
    """A TFLM interpreter over one int8 model, fed float32 images (quantized on the way in
    as the model's input says) and giving its raw int8 outputs' classes."""

    def __init__(self, content: bytes):
        runtime = _runtime()
        # what TFLM says on a model it cannot run goes to stderr: run_model's reason
        self._interpreter = runtime.Interpreter.from_bytes(content)
        detail = self._interpreter.get_input_details(0)
        self._dtype = detail["dtype"]
        self._scale = float(detail["quantization_parameters"]["scales"][0])
        self._zero = int(detail["quantization_parameters"]["zero_points"][0])

    def arena(self) -> Arena:
        """The arena TFLM allocated: read from its recording allocator's report."""
        with _captured(2) as read:  # TFLM's log goes to stderr
            self._interpreter.print_allocations()
        found = {kind: int(n) for kind, n in _ALLOCATION.findall(read())}
        return Arena(found["total"], found["head"], found["tail"])

    def classes(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The predicted class of each image of ``x``, one invoke each, and each invoke's
        host seconds (on this machine's CPU: not a microcontroller's latency)."""
        info = np.iinfo(self._dtype)
        quantized = np.clip(np.round(x / self._scale) + self._zero, info.min, info.max)
        quantized = quantized.astype(self._dtype)
        classes, seconds = np.empty(len(x), np.int64), np.empty(len(x))
        for i, image in enumerate(quantized):
            self._interpreter.set_input(image[None], 0)
            start = time.perf_counter()
            self._interpreter.invoke()
            seconds[i] = time.perf_counter() - start
            classes[i] = int(np.argmax(self._interpreter.get_output(0)))
        return classes, seconds


@dataclasses.dataclass(frozen=True)
class MicroRun:
    """What TFLM did with a model: its arena, its classes for the images it was given, and
    the median host seconds of one invoke (this machine's CPU, not a microcontroller's)."""

    arena: Arena
    classes: np.ndarray
    host_seconds: float


def run_model(content: bytes, x: np.ndarray, timeout: float = 900) -> MicroRun:
    """Run the int8 model ``content`` in TFLM on each image of ``x``, in a process of its own:
    TFLM ends its process on a model it cannot run (an abort), and that must cost this one
    nothing. ``Unavailable`` without TFLM; ``MicroFailed`` saying why when it fails."""
    if not available():
        raise Unavailable("TFLM is not installed (pip install tflite-micro)")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bench.measure.tflm"],
            input=pickle.dumps((content, np.asarray(x, np.float32))),
            capture_output=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise MicroFailed(f"TFLM took more than {timeout:.0f} s") from None
    if done.returncode != 0:
        raise MicroFailed(_why(done.returncode, done.stderr.decode(errors="replace")))
    total, activations, persistent, classes, seconds = pickle.loads(done.stdout)
    return MicroRun(Arena(total, activations, persistent), classes, seconds)


def _why(code: int, stderr: str) -> str:
    """A failed TFLM process in one line: how it ended and its last words."""
    ended = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    # TFLM's own words ("Didn't find op for builtin opcode 'SIGN'") come before Python's
    words = [line for line in lines if not line.startswith(("Traceback", "File ", "^", "~"))]
    told = next((line for line in words if "op" in line.split()), words[-1] if words else "")
    return f"TFLM ended with {ended}" + (f": {told[:200]}" if told else "")


def _serve() -> None:
    """The child of ``run_model``: a model and images on stdin, its figures on stdout (as
    plain values: this module is ``__main__`` here)."""
    content, x = pickle.load(sys.stdin.buffer)
    micro = Micro(content)
    arena = micro.arena()
    classes, seconds = micro.classes(x)
    median = float(np.median(seconds)) if len(seconds) else 0.0
    found = (arena.total, arena.activations, arena.persistent, classes, median)
    sys.stdout.buffer.write(pickle.dumps(found))


@contextlib.contextmanager
def _captured(fd: int) -> Iterator:
    """What C code writes to the file descriptor ``fd`` meanwhile, as a function reading
    it once the block is left."""
    libc = ctypes.CDLL(None)
    with tempfile.TemporaryFile(mode="w+b") as sink:
        saved = os.dup(fd)
        libc.fflush(None)
        os.dup2(sink.fileno(), fd)
        text: list[str] = []
        try:
            yield lambda: "".join(text)
        finally:
            libc.fflush(None)
            os.dup2(saved, fd)
            os.close(saved)
            sink.seek(0)
            text.append(sink.read().decode(errors="replace"))


if __name__ == "__main__":
    _serve()
