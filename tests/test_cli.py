"""The command line: one-line errors with exit code 2, the list command, plug-in architectures."""

from __future__ import annotations

import gzip
import json
import os
import re
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import fake_record

from bench.cli.main import main
from bench.store import files, results
from bench.words import counted

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_an_unknown_architecture_is_one_line_and_exit_2(capsys):
    assert main(["run", "--arch", "nope", "--dataset", "digits"]) == 2
    line = _one_error_line(capsys)
    assert "unknown architecture 'nope'" in line and "lenet5" in line


def test_a_missing_data_folder_is_one_line_and_exit_2(capsys, tmp_path):
    missing = tmp_path / "nowhere"
    assert main(["run", "--all", "--data-dir", str(missing)]) == 2
    line = _one_error_line(capsys)
    assert str(missing) in line


def test_a_truncated_idx_file_is_one_line_naming_the_file(capsys, tmp_path):
    folder = tmp_path / "mnist"
    folder.mkdir()
    header = bytes([0, 0, 8, 3, 0, 0, 0, 100, 0, 0, 0, 28, 0, 0, 0, 28])
    for name in ["train-images-idx3-ubyte", "t10k-images-idx3-ubyte"]:
        (folder / f"{name}.gz").write_bytes(gzip.compress(header + bytes(500)))
    for name in ["train-labels-idx1-ubyte", "t10k-labels-idx1-ubyte"]:
        (folder / f"{name}.gz").write_bytes(
            gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 100]) + bytes(100))
        )
    assert main(["run", "--all", "--data-dir", str(tmp_path)]) == 2
    line = _one_error_line(capsys)
    assert "images-idx3-ubyte" in line and "truncated" in line


@pytest.mark.parametrize(
    "flag",
    [
        ["--no-such-flag"],
        ["--weight-decay", "-1"],
        ["--learning-rate", "0"],
        ["--patience", "0"],
        ["--epochs", "abc"],
        ["--seed", "-1"],
        ["--augment-strength", "20"],
        ["--augment-strength", "nan"],
    ],
)
def test_a_bad_flag_is_one_line_and_exit_2(capsys, flag):
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--all", *flag])
    assert exit_info.value.code == 2
    assert flag[0] in _one_error_line(capsys)


def test_training_overrides_reach_the_record(tmp_path):
    args = ["--learning-rate", "0.002", "--weight-decay", "0.01", "--batch-size", "16"]
    args += ["--patience", "7"]
    assert (
        main(
            ["run", "--arch", "lenet5", "--dataset", "digits", "--profile", "smoke"]
            + ["--augment", "off", "--out", str(tmp_path), "--quiet", *args]
        )
        == 0
    )
    spec = json.loads(next(tmp_path.rglob("record.json")).read_text())["spec"]
    assert (spec["learning_rate"], spec["weight_decay"], spec["batch_size"]) == (0.002, 0.01, 16)
    assert spec["patience"] == 7


def test_list_json_gives_the_pinned_parameter_counts(capsys):
    assert main(["list", "--format", "json", "--arch", "lenet5", "custom_cnn"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert set(rows) == {"lenet5", "custom_cnn"}
    assert rows["lenet5"]["params"] == 60_806
    assert rows["custom_cnn"]["params"] == 887_530
    assert all(row["flops"] > 0 for row in rows.values())


def test_list_json_has_the_flash_and_ram_keys_even_when_nothing_is_exported(capsys):
    assert main(["list", "--format", "json", "--exports", "none", "--arch", "mlp"]) == 0
    (row, *_) = json.loads(capsys.readouterr().out)
    for key in ("float32_bytes", "int8_bytes", "int8_peak_activation_bytes", "int8_arena_bytes"):
        assert row[key] is None
    assert "peak_activation_bytes" in row


def _readme_example(tmp_path) -> Path:
    """The architecture file shown in the README, written out word for word."""
    match = re.search(
        r"<!-- example-architecture -->\s*```python\n(.*?)```", README.read_text(), re.S
    )
    assert match, "README lost its example architecture"
    path = tmp_path / "my_arch.py"
    path.write_text(match.group(1))
    return path


def test_the_readme_example_architecture_is_listed(capsys, tmp_path):
    path = _readme_example(tmp_path)
    assert (
        main(["list", "--format", "json", "--arch", "small_mlp", "--arch-module", str(path)]) == 0
    )
    (row,) = json.loads(capsys.readouterr().out)
    assert row["name"] == "small_mlp" and row["params"] > 0


def test_the_readme_example_architecture_trains(capsys, tmp_path):
    path = _readme_example(tmp_path)
    code = main(
        [
            "run",
            "--arch",
            "small_mlp",
            "--arch-module",
            str(path),
            "--dataset",
            "digits",
            "--profile",
            "smoke",
            "--out",
            str(tmp_path / "results"),
            "--quiet",
        ]
    )
    assert code == 0
    assert "small_mlp" in capsys.readouterr().out


def test_an_arch_module_that_fails_to_import_is_one_line(capsys, tmp_path):
    path = tmp_path / "bad.py"
    path.write_text("raise ImportError('missing dependency')\n")
    assert main(["list", "--arch-module", str(path)]) == 2
    line = _one_error_line(capsys)
    assert "bad.py" in line and "missing dependency" in line


def test_failed_runs_make_the_exit_code_non_zero(capsys, tmp_path, register_temporary):
    def broken(input_shape, num_classes, hp=None):
        raise ValueError("boom")

    register_temporary(broken, name="broken")
    code = main(
        [
            "run",
            "--arch",
            "broken",
            "--dataset",
            "digits",
            "--profile",
            "smoke",
            "--augment",
            "off",
            "--out",
            str(tmp_path),
            "--quiet",
        ]
    )
    assert code == 1
    assert "failed" in capsys.readouterr().out


def _finished_runs(folder: Path) -> Path:
    for record in (fake_record("a", False), fake_record("b", False)):
        files.write_json(folder / record["run_id"] / results.RECORD, record)
    return folder


def test_a_report_that_cannot_be_written_is_one_line_naming_the_file(capsys, tmp_path):
    runs = _finished_runs(tmp_path / "results")
    (tmp_path / "taken").write_text("a file where the folder should be")
    out = tmp_path / "taken" / "board.md"
    assert main(["report", "--results", str(runs), "--format", "md", "--file", str(out)]) == 2
    assert str(out) in _one_error_line(capsys)


def _file_size_limit(limit: int):
    """For a child process: writes past ``limit`` bytes fail with an OSError, as they do on
    a full disk (SIGXFSZ ignored, so the process is not killed instead)."""

    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_write_failing_part_way_is_one_line_naming_the_file(tmp_path):
    runs = _finished_runs(tmp_path / "results")
    out = tmp_path / "board.md"
    command = [sys.executable, "-m", "bench", "report", "--results", str(runs)]
    command += ["--format", "md", "--file", str(out)]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, preexec_fn=_file_size_limit(64)
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"error: {out}: cannot write it: File too large"]


ESCAPING_ARCH_MODULE = """
import architectures
from conftest import tiny_net


@architectures.register(name="../../escape")
def escape(input_shape, num_classes, hp=None):
    return tiny_net(input_shape, num_classes)
"""


def test_an_architecture_name_that_would_leave_the_results_folder_is_one_line(capsys, tmp_path):
    module = tmp_path / "escape.py"
    module.write_text(ESCAPING_ARCH_MODULE)
    out = tmp_path / "a" / "b"
    argv = ["run", "--arch", "../../escape", "--arch-module", str(module), "--out", str(out)]
    assert main([*argv, "--dataset", "digits", "--profile", "smoke", "--augment", "off"]) == 2
    line = _one_error_line(capsys)
    assert "'../../escape' is not usable as a folder name" in line and str(module) in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["escape.py"]


def test_a_record_whose_names_would_leave_the_results_folder_is_not_repeated(capsys, tmp_path):
    record = fake_record("lenet5", False)
    record["spec"].update(dataset="digits", variant="../../escape")
    path = tmp_path / "run" / results.RECORD
    files.write_json(path, record)
    assert main(["run", "--from", str(path), "--out", str(tmp_path / "a" / "b")]) == 2
    line = _one_error_line(capsys)
    assert str(path) in line and "not usable as a folder name" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_a_report_names_a_record_it_cannot_read_and_leaves_it_out(capsys, tmp_path):
    runs = _finished_runs(tmp_path / "results")
    cut = runs / "cut" / results.RECORD
    cut.parent.mkdir()
    cut.write_text('{"status": "o')
    assert main(["report", "--results", str(runs), "--format", "csv"]) == 0
    out, err = capsys.readouterr()
    (line,) = err.splitlines()
    assert line.startswith(f"warning: {cut}: record unreadable (")
    assert line.endswith("), left out of the report")
    assert len(out.splitlines()) == 3  # the header and the two readable runs


def test_a_run_locked_by_another_process_is_skipped_not_failed(capsys, tmp_path):
    lock = tmp_path / "digits-smoke-lenet5-noaug-s0" / "run.lock"
    lock.parent.mkdir()
    lock.write_text(f"{os.getppid()}\n")  # a live process: the one that started pytest
    argv = ["run", "--arch", "lenet5", "--dataset", "digits", "--profile", "smoke"]
    assert main([*argv, "--augment", "off", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"locked by process {os.getppid()}, skipped" in out
    assert out.splitlines()[-1].startswith("0 ok, 0 failed, 1 locked by another process in ")


def test_building_the_parser_loads_no_tensorflow():
    code = (
        "import sys; from bench.cli.main import build_parser; build_parser(); "
        "print('keras' in sys.modules, 'tensorflow' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["False", "False"]


def test_counts_say_one_thing_and_many_things():
    assert counted(1, "run") == "1 run"
    assert [counted(n, "architecture") for n in (0, 2)] == ["0 architectures", "2 architectures"]
    assert counted(1_200, "image") == "1,200 images"
    assert counted(2, "entry", "entries") == "2 entries"
