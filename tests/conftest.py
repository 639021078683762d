"""Shared fixtures: small real data and throwaway architectures."""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Each LiteRT export takes a second or two: runs in tests make none unless a test asks
# (exports=... or --exports), here and in the commands the tests start.
os.environ["BENCH_EXPORTS"] = "none"
# Likewise the corrupted test sets (bench.measurements.robustness): only where a test asks.
os.environ["BENCH_CORRUPTIONS"] = "none"

# isort: off
import bench  # noqa: E402, F401  (its TensorFlow settings must come before TensorFlow)

# isort: on
import architectures  # noqa: E402
from architectures import _registry  # noqa: E402
from bench.config import Profile  # noqa: E402
from bench.data import load_dataset, split_dataset  # noqa: E402


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    """Benchmarks measure only when asked for: when tests/benchmarks is named on the command
    line or a --benchmark-save/autosave/compare option is given. Otherwise (the default run)
    each benchmark runs once, unmeasured, which keeps it from rotting without the wait.
    Measured, they run in this one process: the tests' two workers (``-n 2`` in
    pyproject.toml) would time each other."""
    if not hasattr(config.option, "benchmark_disable"):
        return
    named = any("benchmarks" in Path(str(arg).split("::")[0]).parts for arg in config.args)
    saving = any(
        getattr(config.option, option, None)
        for option in ("benchmark_save", "benchmark_autosave", "benchmark_compare")
    )
    if named or saving or config.option.benchmark_enable:
        if hasattr(config.option, "numprocesses"):  # before pytest-xdist starts its workers
            config.option.numprocesses, config.option.dist, config.option.tx = 0, "no", []
    else:
        config.option.benchmark_disable = True


REGRESSED = pytest.StashKey[bool]()  # set when pytest-benchmark found a regression


@pytest.hookimpl(wrapper=True)
def pytest_terminal_summary(terminalreporter):
    """A latency over ``--benchmark-compare-fail``'s limit fails the run with the lines
    pytest-benchmark prints (which benchmark, by how much), not also its traceback."""
    try:
        return (yield)
    except Exception as exc:
        if type(exc).__name__ != "PerformanceRegression":
            raise
        terminalreporter.write_line("latency regressed beyond --benchmark-compare-fail", red=True)
        terminalreporter.config.stash[REGRESSED] = True


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_sessionfinish(session):
    result = yield
    if session.config.stash.get(REGRESSED, False):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    return result


def pytest_collection_modifyitems(config, items):
    """The long tests first (the workers take tests in this order), so that the two
    workers finish together rather than one starting a long test when the other is done."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)  # a stable sort


def fake_record(
    arch: str, augment: bool, status: str = "ok", exports: dict[str, dict] | None = None
) -> dict:
    """A record as a finished (or failed) run writes it, less what only a report reads;
    ``exports`` (by precision, each a ``fake_export``) as a run with LiteRT exports has them."""
    record = {
        "run_id": f"mnist-smoke-{arch}-{augment}",
        "status": status,
        "error": None if status == "ok" else "ValueError: boom",
        "spec": {
            "dataset": "mnist",
            "arch": arch,
            "augment": augment,
            "seed": 0,
            "profile": "smoke",
        },
        "model": {"params": 10, "flops": 20, "saved_bytes": 30},
        "metrics": {"test_accuracy": 0.9, "train_seconds": 1.5, "history": [1, 2]},
    }
    if exports is not None:
        record["exports"] = exports
    return record


def fake_export(
    accuracy: float = 0.9,
    kb: float = 50.0,
    ram_kb: float = 10.0,
    p50_ms: float = 0.1,
    keras_accuracy: float = 0.9,
    error: str | None = None,
    arena_kb: float | None = None,
) -> dict:
    """One LiteRT export of a record (``bench.measurements.exports.Export``): sizes in KB of
    1024 bytes; with an ``error``, a failed export, which keeps only that; with ``arena_kb``,
    the arena TFLM allocated for it."""
    if error is not None:
        return {"status": "failed", "error": error}
    arena = (
        {} if arena_kb is None else {"micro_status": "ok", "arena_bytes": round(arena_kb * 1024)}
    )
    return {
        **arena,
        "status": "ok",
        "error": None,
        "bytes": round(kb * 1024),
        "peak_activation_bytes": round(ram_kb * 1024),
        "test_accuracy": accuracy,
        "accuracy_change": accuracy - keras_accuracy,
        "changed_predictions": round(abs(accuracy - keras_accuracy) * 10_000) + 3,
        "p50_ms": p50_ms,
        "p99_ms": 2 * p50_ms,
        "throughput": 1000 / p50_ms,
    }


def add_fake_exports(root: Path, failed: tuple[str, str] | None = None) -> None:
    """Give every record under ``root`` made-up LiteRT exports sized from its model (int8
    about a byte a parameter) and a little less accurate; ``failed``: (architecture,
    precision) whose export failed. For pages to show exports before runs make them."""
    import json
    import math
    import zlib

    for path in sorted(root.glob("**/record.json")):
        record = json.loads(path.read_text())
        if record["status"] != "ok":
            continue
        params, flops = record["model"]["params"], record["model"]["flops"]
        accuracy = record["metrics"]["test_accuracy"]
        drop = (zlib.crc32(record["run_id"].encode()) % 7) * 1e-4  # 0 to 0.06 points
        ram_kb = 8 * math.sqrt(flops) / 1024
        exports = {
            "float32": fake_export(accuracy, 4 * params / 1024, 4 * ram_kb, 1.0, accuracy),
            "float16": fake_export(accuracy, 2 * params / 1024, 4 * ram_kb, 1.0, accuracy),
            "dynamic_int8": fake_export(
                accuracy - drop / 2, params / 1024, 4 * ram_kb, 0.8, accuracy
            ),
            "int8": fake_export(accuracy - drop, params / 1024 + 4, ram_kb, 0.5, accuracy),
        }
        if failed is not None and record["spec"]["arch"] == failed[0]:
            exports[failed[1]] = fake_export(error="RuntimeError: op not supported by LiteRT")
        record["exports"] = exports
        path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")


@pytest.fixture(scope="session")
def op_determinism():
    """TensorFlow's op determinism, on as in every ``bench run``. It is process-wide and cannot
    be switched off: the tests after one that asks for it run with it on, as they do after any
    test that calls the CLI in process."""
    from bench.environment import enable_determinism

    enable_determinism()


@pytest.fixture(scope="session")
def digits():
    """scikit-learn's bundled digits at 28x28: real images, no files, no network."""
    return load_dataset("digits")


@pytest.fixture(scope="session")
def digits_splits(digits):
    return split_dataset(digits, val_size=200, seed=0)


@pytest.fixture
def tiny_profile():
    return Profile("tiny", "a test profile", max_epochs=2)


@pytest.fixture(autouse=True)
def _isolated_registry():
    """Whatever a test registers (directly or through --arch-module) is gone after it."""
    architectures.names()  # the built-in files register on the first look: not in a test
    saved = dict(_registry._REGISTRY)
    yield
    _registry._REGISTRY.clear()
    _registry._REGISTRY.update(saved)


@pytest.fixture
def register_temporary():
    """Register builders for one test only: ``register_temporary(fn, name=...)``."""

    def register(fn, name: str, **metadata):
        architectures.register(fn, name=name, **metadata)
        return name

    return register


def tiny_net(input_shape, num_classes, hp=None):
    """A very small convnet for tests."""
    import keras
    from keras import layers

    inputs = keras.Input(input_shape, name="image")
    x = layers.Conv2D(4, 3, strides=2, activation="relu", name="conv")(inputs)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="probs")(x)
    return keras.Model(inputs, outputs, name="tiny_net")


@pytest.fixture
def tiny_arch(register_temporary):
    return register_temporary(tiny_net, name="tiny_net")


BROKEN_ARCH_MODULE = '''
import architectures

@architectures.register(name="broken")
def broken(input_shape, num_classes, hp=None):
    """Always fails to build."""
    raise RuntimeError("<script>alert('x')</script> no model today")
'''


def built_once(tmp_path_factory, name: str, build: Callable[[Path], object]) -> Path:
    """A folder that ``build(folder)`` fills once per test session, whatever the number of
    test workers: a session or module fixture is otherwise made again in each worker process
    (pytest-xdist), and the ones that train would each take a core twice. The first worker to
    ask builds it; another that asks meanwhile waits for it. Tests read it, never change it."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the workers' base folders are siblings
    folder, done = root / name, root / f"{name}.built"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            done.touch()
    return folder


@pytest.fixture(scope="session")
def small_suite(tmp_path_factory):
    """A smoke suite on digits: lenet5 and custom_cnn with and without augmentation,
    plus one architecture whose builder throws (a failed run)."""
    from bench.cli.main import main

    def build(root: Path) -> None:
        module = root / "broken_arch.py"
        module.write_text(BROKEN_ARCH_MODULE)
        argv = ["run", "--arch", "lenet5", "custom_cnn", "broken", "--dataset", "digits"]
        argv += ["--profile", "smoke", "--out", str(root / "results"), "--quiet"]
        try:
            assert main([*argv, "--arch-module", str(module)]) == 1  # 1: one run failed
        finally:
            _registry._REGISTRY.pop("broken", None)

    return built_once(tmp_path_factory, "small_suite", build) / "results"


@pytest.fixture(scope="session")
def report_path(small_suite, tmp_path_factory):
    """The HTML report of ``small_suite``, built through the command line."""
    from bench.cli.main import main

    def build(folder: Path) -> None:
        argv = ["report", "--results", str(small_suite), "--file", str(folder / "report.html")]
        assert main(argv) == 0

    return built_once(tmp_path_factory, "report", build) / "report.html"
