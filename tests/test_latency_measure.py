"""Latency measurement: every runtime gives figures or a reason, and they reach the results."""

from __future__ import annotations

import json
import shutil
import sys

import numpy as np
import pytest
from conftest import tiny_net

from bench.cli.main import main
from bench.measure.latency import LatencySettings, compiled_predict, measure
from bench.store import results

FEW_CALLS = LatencySettings(calls=20, warmup=2, batch_size=8, batch_calls=2, predict_calls=3)


@pytest.fixture(scope="module")
def tiny_model():
    return tiny_net((28, 28, 1), 10)


def test_compiled_keras_gives_percentiles_and_throughput(tiny_model):
    (result,) = measure(tiny_model, ("keras",), FEW_CALLS)
    assert result.status == "ok", result.error
    assert 0 < result.p50_ms <= result.p90_ms <= result.p99_ms
    assert result.calls == 20 and result.batch_size == 8
    assert result.throughput > 0 and result.threads >= 1
    assert result.max_abs_diff < 1e-6  # XLA may round differently from the eager call


def test_a_model_that_xla_cannot_compile_falls_back_to_the_plain_graph():
    import keras
    import tensorflow as tf

    def doubled(t):  # a Python function inside the graph: XLA cannot compile it
        return tf.numpy_function(lambda a: 2 * a, [t], tf.float32, stateful=False)

    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Lambda(doubled, output_shape=(4,))(inputs))
    predict = compiled_predict(model, 2)
    assert np.array_equal(predict(np.ones((2, 4), np.float32)), np.full((2, 4), 2.0))


class FakeClock:
    """``time`` for the latency module: it moves only when a ``Costly`` function is called."""

    def __init__(self):
        self.now = 0.0

    def perf_counter(self):
        return self.now


class Costly:
    """Stands in for a traced model: each call costs ``cost`` fake seconds and is counted."""

    def __init__(self, clock, cost):
        self.clock, self.cost, self.calls = clock, cost, 0

    def __call__(self, x):
        self.clock.now += self.cost
        self.calls += 1
        return self  # what it returns is only asked for .numpy()

    def numpy(self):
        return None


@pytest.fixture()
def clock(monkeypatch):
    from bench.measure import latency

    fake = FakeClock()
    monkeypatch.setattr(latency, "time", fake)
    return fake


def test_a_compilation_far_slower_on_its_first_call_is_not_timed_further(clock):
    from bench.measure.latency import CLEAR_GAP, _fastest

    fast, slow = Costly(clock, 1.0), Costly(clock, 1.01 * CLEAR_GAP)
    assert _fastest([slow, fast], None, trials=15) is fast
    assert (slow.calls, fast.calls) == (1, 1)


def test_of_compilations_within_the_gap_the_lower_median_wins(clock):
    from bench.measure.latency import CLEAR_GAP, _fastest

    slower, faster = Costly(clock, 0.99 * CLEAR_GAP), Costly(clock, 1.0)
    assert _fastest([slower, faster], None, trials=15) is faster
    assert slower.calls == faster.calls == 1 + 1 + 15  # first call, second warm-up, trials


@pytest.mark.parametrize("runtime", ["litert", "onnx"])
def test_exported_models_match_keras(tiny_model, runtime):
    (result,) = measure(tiny_model, (runtime,), FEW_CALLS)
    assert result.status == "ok", result.error
    assert result.max_abs_diff <= 1e-4


def test_a_runtime_that_is_not_installed_is_reported_failed(tiny_model, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import now raises ImportError
    (result,) = measure(tiny_model, ("onnx",), FEW_CALLS)
    assert result.status == "failed"
    assert "onnxruntime" in result.error and result.p50_ms is None


def test_latency_command_stores_figures_that_fill_the_leaderboard(small_suite, tmp_path, capsys):
    folder = tmp_path / "results"
    shutil.copytree(small_suite, folder)
    argv = ["latency", "--arch", "lenet5", "--results", str(folder), "--calls", "20"]
    assert main([*argv, "--runtime", "keras", "litert", "--batch-size", "16"]) == 0
    out = capsys.readouterr().out
    assert "lenet5: trained" in out and "fastest" in out
    stored = json.loads((folder / "latency" / "lenet5.json").read_text())
    assert [r["runtime"] for r in stored["runtimes"]] == ["keras", "litert"]
    frame = results.load(folder)
    lenet = frame[frame["arch"] == "lenet5"]
    assert (lenet["latency_p50_ms"] > 0).all() and (lenet["throughput"] > 0).all()
    assert frame.loc[frame["arch"] == "custom_cnn", "latency_p50_ms"].isna().all()


def test_an_architecture_without_a_trained_model_is_measured_freshly_built(tmp_path, capsys):
    argv = ["latency", "--arch", "lenet5", "--results", str(tmp_path), "--calls", "5"]
    assert main([*argv, "--runtime", "keras", "--batch-size", "4"]) == 0
    assert "freshly built" in capsys.readouterr().out
    assert (tmp_path / "latency" / "lenet5.json").exists()


def test_litert_makes_its_interpreter_without_a_word_on_stderr(tiny_model, capfd, monkeypatch):
    monkeypatch.delenv("BENCH_TF_LOG", raising=False)
    (result,) = measure(tiny_model, ("litert",), FEW_CALLS)
    assert result.status == "ok", result.error
    assert capfd.readouterr().err == ""


def _header_and_rule(out: str) -> tuple[str, str]:
    lines = out.splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("--"))
    return lines[rule - 1], lines[rule]


def test_the_latency_table_has_no_empty_column_when_every_runtime_worked(tmp_path, capsys):
    argv = ["latency", "--arch", "lenet5", "--results", str(tmp_path), "--calls", "5"]
    assert main([*argv, "--runtime", "keras", "--batch-size", "4"]) == 0
    header, rule = _header_and_rule(capsys.readouterr().out)
    assert header.split()[-2:] == ["max", "diff"] and len(rule.split()) == 7


def test_the_latency_table_names_its_error_column_when_a_runtime_failed(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import now raises ImportError
    argv = ["latency", "--arch", "lenet5", "--results", str(tmp_path), "--runtime", "onnx"]
    assert main(argv) == 0
    header, rule = _header_and_rule(capsys.readouterr().out)
    assert header.split()[-1] == "error" and len(rule.split()) == 8
