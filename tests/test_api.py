"""The Python API: the README's notebook example runs, and bad arguments fail early."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import bench
from bench.errors import BAD_INPUT

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def _readme_api_example() -> str:
    match = re.search(r"<!-- api-example -->\s*```python\n(.*?)```", README.read_text(), re.S)
    assert match and match.group(1).strip(), "README lost its Python API example"
    return match.group(1)


def test_the_readme_api_example_trains_evaluates_and_loads_results(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(_readme_api_example(), "README.md", "exec"), namespace)
    out = capsys.readouterr().out
    (record,) = namespace["records"]
    assert record.status == "ok"
    assert 0 <= record.metrics.test_accuracy <= 1
    assert f"test accuracy {record.metrics.test_accuracy:.4f}" in out
    runs = namespace["runs"]
    assert list(runs["arch"]) == ["lenet5"] and list(runs["status"]) == ["ok"]
    assert (tmp_path / "api-results" / record.run_id / "record.json").is_file()


def test_import_bench_loads_no_tensorflow():
    code = "import sys, bench; print('keras' in sys.modules, 'tensorflow' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["False", "False"]


def test_the_api_names_are_bench_attributes():
    for name in bench.__all__:
        assert callable(getattr(bench, name)), name
    with pytest.raises(AttributeError):
        bench.no_such_function  # noqa: B018


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: bench.plan(["nope"]), "unknown architecture 'nope'"),
        (lambda: bench.plan(["lenet5"], profile="huge"), "unknown profile 'huge'"),
        (lambda: bench.plan(["lenet5"], augment="maybe"), "augment must be one of"),
        (lambda: bench.plan(["lenet5"], seeds=0), "seeds must be a positive count"),
        (lambda: bench.plan(["lenet5"], epoch=3), "unknown setting epoch"),
        (lambda: bench.run([]), "no runs to make"),
        (lambda: bench.load_data("digits", val_size=0), "val_size must be a positive"),
        (lambda: bench.measure_latency(["lenet5"], runtimes=["tpu"]), "unknown runtime tpu"),
    ],
)
def test_bad_arguments_are_bench_errors(call, message):
    with pytest.raises(Exception, match=re.escape(message)) as raised:
        call()
    assert isinstance(raised.value, BAD_INPUT)


def test_plan_takes_the_command_lines_settings():
    specs = bench.plan("lenet5", dataset="digits", profile="smoke", seeds=2, seed=3, epochs=2)
    assert [(s.arch, s.augment, s.seed) for s in specs] == [
        ("lenet5", False, 3),
        ("lenet5", True, 3),
        ("lenet5", False, 4),
        ("lenet5", True, 4),
    ]
    assert {s.epochs for s in specs} == {2} and {s.profile for s in specs} == {"smoke"}


def test_preparing_a_distributed_search_leaves_the_process_environment_as_it_was(tmp_path):
    before = dict(os.environ)
    search = bench.prepare_search(
        "lenet5", dataset="digits", profile="smoke", out=tmp_path,
        distributed="chief", oracle="127.0.0.1:1",
    )  # fmt: skip
    assert dict(os.environ) == before
    assert search.role == "chief" and search.environment["KERASTUNER_TUNER_ID"] == "chief"
