"""The results store writes whole files or none, and loads runs as a table."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from conftest import fake_record

from bench.errors import WriteError
from bench.store import files, results
from bench.store.records import RecordUnreadable, RunRecord

REFERENCE = Path(__file__).resolve().parent.parent / "results" / "reference"


def test_atomic_path_replaces_the_target_only_when_the_block_succeeds(tmp_path):
    target = tmp_path / "record.json"
    target.write_text("old")
    with pytest.raises(RuntimeError), files.atomic_path(target) as tmp:
        tmp.write_text("half a rec")
        raise RuntimeError("killed")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["record.json"]


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_written_files_get_the_mode_open_gives_them_not_a_private_one(tmp_path, umask_022):
    files.write_text(tmp_path / "report.html", "<html></html>")
    with files.atomic_path(tmp_path / "model.keras") as tmp:
        tmp.write_bytes(b"weights")
    for name in ("report.html", "model.keras"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644


def test_a_file_that_cannot_be_written_is_a_one_line_error_naming_it(tmp_path):
    (tmp_path / "taken").write_text("a file where the folder should be")
    target = tmp_path / "taken" / "report.html"
    with pytest.raises(WriteError) as excinfo:
        files.write_text(target, "<html></html>")
    message = str(excinfo.value)
    assert message.startswith(f"{target}: cannot write it: ") and "\n" not in message


def test_a_device_is_written_into_not_replaced(tmp_path):
    full = tmp_path / "full"
    try:
        os.mknod(full, stat.S_IFCHR | 0o666, os.makedev(1, 7))  # what /dev/full is
    except PermissionError:
        pytest.skip("making a device node needs root")
    with pytest.raises(WriteError, match=f"^{full}: cannot write it: No space left on device$"):
        files.write_text(full, "<html></html>")
    assert stat.S_ISCHR(full.stat().st_mode)


def test_write_json_round_trips_numpy_values(tmp_path):
    import numpy as np

    files.write_json(tmp_path / "r.json", {"a": np.float32(0.5), "b": np.arange(3)})
    assert json.loads((tmp_path / "r.json").read_text()) == {"a": 0.5, "b": [0, 1, 2]}


def test_the_record_of_a_run_that_never_finished_is_none(tmp_path):
    assert results.read_record(tmp_path) is None


@pytest.mark.parametrize("content", ['{"status": "o', "", "[1, 2]"], ids=["cut", "empty", "list"])
def test_a_record_that_cannot_be_read_is_an_error_naming_it(tmp_path, content):
    (tmp_path / results.RECORD).write_text(content)
    with pytest.raises(RecordUnreadable) as excinfo:
        results.read_record(tmp_path)
    assert str(excinfo.value).startswith(f"{tmp_path / results.RECORD}: record unreadable (")


def test_every_committed_record_reads_as_a_run_record():
    found = sorted(REFERENCE.glob(f"**/{results.RECORD}"))
    assert len(found) >= 41
    for path in found:
        record = results.read_run_record(path.parent)
        assert record.ok and record.run_id == record.spec.run_id == path.parent.name
        assert 0.9 < record.metrics.test_accuracy <= 1 and record.model.params > 0
        assert len(record.confusion_matrix) == len(record.per_class.f1) == 10


def test_a_record_of_the_writer_now_round_trips_byte_for_byte():
    for path in sorted((REFERENCE / "standard-suite").glob(f"**/{results.RECORD}")):
        text = path.read_text()
        record = RunRecord.from_json(json.loads(text))
        assert json.dumps(record.to_json(), indent=2, sort_keys=True) + "\n" == text


def test_an_older_record_reads_with_the_defaults_of_fields_added_since():
    run = REFERENCE / "plateau" / "standard" / "mnist-standard-custom_cnn-tuned-noaug-s0"
    data = json.loads((run / results.RECORD).read_text())
    assert "schedule" not in data["spec"] and "device" not in data["environment"]
    record = RunRecord.from_json(data)
    assert (record.spec.schedule, record.spec.precision) == ("plateau", "float32")
    assert record.environment.device is None and record.model.network is None
    assert record.spec.hyperparameters and record.date == data["environment"]["date"]
    assert record.to_json()["spec"].items() >= data["spec"].items()  # its own values kept


@pytest.mark.parametrize(
    "change",
    [{"spec": {"arch": "a"}}, {"spec": None}, {"status": None}, {"metrics": [0.9]}],
    ids=["spec-incomplete", "no-spec", "no-status", "metrics-a-list"],
)
def test_a_record_not_shaped_as_one_is_unreadable(tmp_path, change):
    files.write_json(tmp_path / results.RECORD, fake_record("a", False) | change)
    with pytest.raises(RecordUnreadable) as excinfo:
        results.read_run_record(tmp_path)
    assert str(excinfo.value).startswith(f"{tmp_path / results.RECORD}: record unreadable (")
    assert results.read_record(tmp_path) == fake_record("a", False) | change
    assert list(results.iter_runs(tmp_path)) == []


def test_runs_whose_record_cannot_be_read_are_left_out_and_listed(tmp_path):
    files.write_json(tmp_path / "good" / results.RECORD, fake_record("a", False))
    (tmp_path / "cut").mkdir()
    (tmp_path / "cut" / results.RECORD).write_text('{"status": "o')
    unreadable = []
    assert [folder.name for folder, _ in results.iter_runs(tmp_path, unreadable)] == ["good"]
    assert [problem.path for problem in unreadable] == [tmp_path / "cut" / results.RECORD]


def test_load_gives_one_row_per_run_with_the_documented_columns(tmp_path):
    for i, rec in enumerate(
        [fake_record("a", False), fake_record("a", True), fake_record("b", False, "failed")]
    ):
        files.write_json(tmp_path / f"run{i}" / results.RECORD, rec)
    frame = results.load(tmp_path)
    assert len(frame) == 3
    for column in [
        "dataset",
        "arch",
        "augment",
        "seed",
        "status",
        "test_accuracy",
        "params",
        "flops",
        "train_seconds",
    ]:
        assert column in frame.columns
    assert frame["augment"].dtype == bool
    assert sorted(frame["status"]) == ["failed", "ok", "ok"]


def test_the_reference_runs_are_read_only_when_asked_for(tmp_path):
    files.write_json(tmp_path / "mine" / results.RECORD, fake_record("a", False))
    reference = tmp_path / results.REFERENCE_DIR / "runs"
    files.write_json(reference / "ref" / results.RECORD, fake_record("b", False))

    assert list(results.load(tmp_path)["arch"]) == ["a"]
    assert list(results.load(reference)["arch"]) == ["b"]


def test_load_of_an_empty_folder_is_an_empty_table_with_the_columns(tmp_path):
    frame = results.load(tmp_path)
    assert len(frame) == 0
    assert "test_accuracy" in frame.columns


def test_latency_measures_the_default_variants_model_not_a_newer_tuned_one(tmp_path):
    for name, variant, date in [
        ("default", "default", "2026-01-01"),
        ("tuned", "tuned", "2026-02-01"),
    ]:
        record = fake_record("a", False)
        record["spec"]["variant"] = variant
        record["environment"] = {"date": date}
        files.write_json(tmp_path / name / results.RECORD, record | {"run_id": name})
        (tmp_path / name / results.MODEL).write_text("weights")
    assert results.latest_models(tmp_path) == {"a": tmp_path / "default" / results.MODEL}
