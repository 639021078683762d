"""What a run ran on: library versions, CPU, threads, determinism, the code's git commit
and the command line; and the switch for TensorFlow's op determinism."""

from __future__ import annotations

import datetime
import functools
import os
import platform
import re
import shlex
import subprocess
import sys
from importlib import metadata
from pathlib import Path

# Environment variables that change what TensorFlow does, recorded with every run.
_RECORDED_VARIABLES = (
    *("TF_CPP_", "TF_DETERMINISTIC_", "TF_ENABLE_", "TF_NUM_", "TF_USE_", "TF_XLA_", "XLA_"),
    *("KERAS_", "OMP_", "KMP_", "MKL_", "CUDA_VISIBLE_DEVICES", "PYTHONHASHSEED", "BENCH_"),
)


@functools.lru_cache(maxsize=1)
def _static() -> dict:
    import keras
    import numpy
    import tensorflow as tf

    return {
        "python": sys.version.split()[0],
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": numpy.__version__,
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cpu_details": cpu_details(),
        "cpu_count": os.cpu_count(),
        "gpus": [d.name for d in tf.config.list_physical_devices("GPU")],
        "git_commit": git_commit(),
        "packages": installed_packages(),
    }


def capture() -> dict:
    """The environment now: the static facts plus thread settings and the time."""
    import tensorflow as tf

    return {
        **_static(),
        "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
        "inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
        "op_determinism": determinism_enabled(),
        "variables": {
            k: v for k, v in sorted(os.environ.items()) if k.startswith(_RECORDED_VARIABLES)
        },
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def enable_determinism() -> None:
    """TensorFlow's op determinism: the same seed on the same machine gives the same run.

    It is process-wide, and TensorFlow offers no public way to switch it off again.
    """
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()


def determinism_enabled() -> bool:
    """Whether op determinism is on (set here or by ``TF_DETERMINISTIC_OPS=1``)."""
    from tensorflow.python.framework import config  # the check has no public name

    return bool(config.is_op_determinism_enabled())


def command_line() -> str:
    """The command that started this process, as a person would type it."""
    argv = list(sys.argv)
    if argv and Path(argv[0]).name == "__main__.py":
        argv[0:1] = ["python", "-m", Path(argv[0]).resolve().parent.name]
    return shlex.join(argv)


def installed_packages() -> dict[str, str]:
    """Every installed distribution and its version."""
    found = {}
    for dist in metadata.distributions():
        name = dist.metadata.get("Name")
        if name:  # normalised as pip shows them: tensorflow_cpu -> tensorflow-cpu
            found[re.sub(r"[-_.]+", "-", name).lower()] = dist.version
    return dict(sorted(found.items()))


# The CPU flags that decide how fast a run trains and in which precision (``auto``).
PRECISION_FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_bf16")


@functools.lru_cache(maxsize=1)
def cpu_details() -> dict:
    """The CPU as Linux names it: model name, vendor, family and model numbers, and which of
    ``PRECISION_FLAGS`` it has. Empty where /proc/cpuinfo is missing."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return {}
    fields: dict[str, str] = {}
    for line in text.split("\n\n", 1)[0].splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    flags = set(fields.get("flags", "").split())
    return {
        "model_name": fields.get("model name"),
        "vendor": fields.get("vendor_id"),
        "family": _number(fields.get("cpu family")),
        "model": _number(fields.get("model")),
        "flags": [flag for flag in PRECISION_FLAGS if flag in flags],
    }


def _number(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


def cpu_description() -> str:
    """One line naming this CPU precisely enough to compare timings across machines."""
    return describe_cpu(cpu_details(), cpu_model(), os.cpu_count())


def describe_cpu(details: dict, name: str | None, cores: int | None) -> str:
    """``cpu_details`` (or, where they are missing, as in older records, the CPU's ``name``)
    and the core count as one line."""
    counted = f", {cores} cores" if cores else ""
    if not details:
        return f"{name or 'unknown CPU'}{counted}"
    flags = ", ".join(details["flags"]) or "none of " + "/".join(PRECISION_FLAGS)
    return (
        f"{details['model_name']} (family {details['family']}, model {details['model']}; "
        f"{flags}){counted}"
    )


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_commit() -> str | None:
    """The commit of the code that ran, with ``-dirty`` when the tree had changes."""
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5
        )
        if commit.returncode != 0:
            return None
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    dirty = "-dirty" if status.stdout.strip() else ""
    return commit.stdout.strip() + dirty


_BF16_FLAGS = {"avx512_bf16", "amx_bf16"}


@functools.lru_cache(maxsize=1)
def cpu_has_bf16() -> bool:
    """Whether the CPU does bfloat16 arithmetic natively (Linux's CPU flags say)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    for line in text.splitlines():
        if line.startswith("flags"):
            return bool(_BF16_FLAGS & set(line.split(":", 1)[1].split()))
    return False


@functools.lru_cache(maxsize=1)
def gpu_names() -> tuple[str, ...]:
    """The GPUs TensorFlow sees, by their device names (empty on a CPU-only install)."""
    import tensorflow as tf

    names = []
    for gpu in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(gpu)
        names.append(details.get("device_name", gpu.name))
    return tuple(names)


def device_name() -> str:
    """What trains: the first GPU's name, else the CPU's."""
    gpus = gpu_names()
    return f"GPU: {gpus[0]}" if gpus else f"CPU: {cpu_model()}"
