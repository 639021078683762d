"""Training runs: what a run records, when it is skipped, and how failures are kept."""

from __future__ import annotations

import dataclasses
import io
import os
import sys

import numpy as np
import pytest

from bench.config import get_profile, plan
from bench.progress import Progress
from bench.store import files, results
from bench.store.records import DatasetInfo, RunRecord
from bench.train.metrics import time_to_accuracy
from bench.train.suite import run_suite

DIGITS = DatasetInfo(name="digits")


def _suite(specs, splits, out, **kwargs):
    return run_suite(
        specs, splits, DIGITS, out, progress=Progress(len(specs), quiet=True), **kwargs
    )


def test_a_run_writes_record_history_predictions_and_model(
    tiny_arch, tiny_profile, digits_splits, tmp_path
):
    (spec,) = plan([tiny_arch], "digits", tiny_profile, [False])
    (record,) = _suite([spec], digits_splits, tmp_path)
    run_dir = tmp_path / spec.run_id
    assert record.status == "ok"
    assert {p.name for p in run_dir.iterdir()} == {
        results.RECORD,
        results.HISTORY,
        results.PREDICTIONS,
        results.MODEL,
    }
    metrics = record.metrics
    assert 0.0 <= metrics.test_accuracy <= 1.0
    assert metrics.epochs == 2
    assert metrics.test_images == len(digits_splits.x_test)
    assert len(record.confusion_matrix) == 10
    assert np.sum(record.confusion_matrix) == len(digits_splits.x_test)
    assert len(record.per_class.f1) == 10
    assert record.model.params > 0 and record.model.flops > 0
    assert record.environment.tensorflow
    history = (run_dir / results.HISTORY).read_text().splitlines()
    assert history[0].startswith("epoch,") and len(history) == 3


def test_a_run_records_the_fingerprint_of_the_network_it_trained(
    tiny_arch, tiny_profile, digits_splits, tmp_path
):
    from bench.identity import saved_fingerprint

    (spec,) = plan([tiny_arch], "digits", tiny_profile, [False])
    (record,) = _suite([spec], digits_splits, tmp_path)
    network = record.model.network
    assert network is not None
    assert network == saved_fingerprint(tmp_path / spec.run_id / results.MODEL)


def test_predictions_match_the_recorded_accuracy(tiny_arch, tiny_profile, digits_splits, tmp_path):
    (spec,) = plan([tiny_arch], "digits", tiny_profile, [True])
    (record,) = _suite([spec], digits_splits, tmp_path)
    saved = np.load(tmp_path / spec.run_id / results.PREDICTIONS)
    assert np.array_equal(saved["y_true"], digits_splits.y_test)
    accuracy = (saved["y_pred"] == saved["y_true"]).mean()
    assert accuracy == pytest.approx(record.metrics.test_accuracy)


def test_the_recorded_saved_size_is_the_deployable_model_without_optimizer_state(
    tiny_arch, tiny_profile, digits_splits, tmp_path
):
    from bench.measure.modelinfo import saved_size
    from bench.train.build import build_for

    (spec,) = plan([tiny_arch], "digits", tiny_profile, [False])
    (record,) = _suite([spec], digits_splits, tmp_path)
    untrained = build_for(spec, digits_splits.input_shape, 10)
    assert record.model.saved_bytes == saved_size(untrained)
    assert (tmp_path / spec.run_id / results.MODEL).stat().st_size > saved_size(untrained)


def test_a_finished_run_is_skipped_and_force_reruns_it(
    tiny_arch, tiny_profile, digits_splits, tmp_path
):
    (spec,) = plan([tiny_arch], "digits", tiny_profile, [False])
    (first,) = _suite([spec], digits_splits, tmp_path)
    (again,) = _suite([spec], digits_splits, tmp_path)
    assert again.environment.date == first.environment.date
    assert again.wall_seconds == first.wall_seconds
    (forced,) = _suite([spec], digits_splits, tmp_path, force=True)
    assert forced.wall_seconds != first.wall_seconds


def test_a_changed_spec_is_run_again(tiny_arch, tiny_profile, digits_splits, tmp_path):
    (spec,) = plan([tiny_arch], "digits", tiny_profile, [False])
    _suite([spec], digits_splits, tmp_path)
    (changed,) = plan([tiny_arch], "digits", tiny_profile, [False], epochs=1)
    (record,) = _suite([changed], digits_splits, tmp_path)
    assert record.metrics.epochs == 1


def test_a_failing_builder_is_recorded_and_the_suite_goes_on(
    register_temporary, tiny_arch, tiny_profile, digits_splits, tmp_path
):
    def broken(input_shape, num_classes, hp=None):
        raise ValueError("no such layer")

    register_temporary(broken, name="broken")
    specs = plan(["broken", tiny_arch], "digits", tiny_profile, [False])
    failed, ok = _suite(specs, digits_splits, tmp_path)
    assert failed.status == "failed"
    assert "broken" in failed.error and "no such layer" in failed.error
    assert ok.status == "ok"
    assert results.read_run_record(tmp_path / specs[0].run_id).status == "failed"


def test_a_nan_loss_fails_the_run(register_temporary, tiny_profile, digits_splits, tmp_path):
    def diverges(input_shape, num_classes, hp=None):
        import keras
        from keras import layers

        inputs = keras.Input(input_shape)
        x = layers.Rescaling(float("nan"))(inputs)
        x = layers.Flatten()(x)
        return keras.Model(inputs, layers.Dense(num_classes, activation="softmax")(x))

    register_temporary(diverges, name="diverges")
    (spec,) = plan(["diverges"], "digits", tiny_profile, [False])
    (record,) = _suite([spec], digits_splits, tmp_path)
    assert record.status == "failed"
    assert "NaN" in record.error


def test_a_failed_run_is_retried_next_time(
    register_temporary, tiny_profile, digits_splits, tmp_path
):
    calls = []

    def flaky(input_shape, num_classes, hp=None):
        from conftest import tiny_net

        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("transient")
        return tiny_net(input_shape, num_classes)

    register_temporary(flaky, name="flaky")
    (spec,) = plan(["flaky"], "digits", tiny_profile, [False])
    assert _suite([spec], digits_splits, tmp_path)[0].status == "failed"
    assert _suite([spec], digits_splits, tmp_path)[0].status == "ok"


def test_a_run_whose_record_cannot_be_read_is_said_and_made_again(
    tiny_arch, tiny_profile, digits_splits, tmp_path, capsys
):
    (spec,) = plan([tiny_arch], "digits", tiny_profile, [False])
    record_path = tmp_path / spec.run_id / results.RECORD
    record_path.parent.mkdir()
    record_path.write_text('{"status": "ok", "spec": {"data')  # cut short
    (record,) = _suite([spec], digits_splits, tmp_path)
    assert record.status == "ok" and results.read_run_record(record_path.parent).status == "ok"
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"warning: {record_path}: record unreadable (")
    assert line.endswith("), running again")


def test_a_run_locked_by_a_live_process_is_skipped_and_its_lock_left_alone(
    tiny_arch, tiny_profile, digits_splits, tmp_path
):
    from bench.train.runlock import LOCK

    (spec,) = plan([tiny_arch], "digits", tiny_profile, [False])
    lock = tmp_path / spec.run_id / LOCK
    lock.parent.mkdir()
    lock.write_text(f"{os.getppid()}\n")  # a live process: the one that started pytest
    said = io.StringIO()
    progress = Progress(1, stream=said)
    (record,) = run_suite([spec], digits_splits, DIGITS, tmp_path, progress=progress)
    assert record.status == "locked"
    assert said.getvalue().endswith(f"| locked by process {os.getppid()}, skipped\n")
    assert lock.read_text() == f"{os.getppid()}\n"
    assert not (lock.parent / results.RECORD).exists()


def test_specs_take_the_architecture_defaults_capped_by_the_profile(tiny_arch, tiny_profile):
    specs = plan([tiny_arch], "digits", tiny_profile, [False, True], seeds=[3])
    assert [s.augment for s in specs] == [False, True]
    assert all(s.epochs == 2 and s.seed == 3 and s.batch_size == 128 for s in specs)
    assert specs[0].run_id != specs[1].run_id


EDITED_ARCH = """import keras
from keras import layers

import architectures
{imports}

@architectures.register(name="edited")
def edited(input_shape, num_classes, hp=None):
    inputs = keras.Input(input_shape)  # unnamed layers: their names differ from build to build
    x = {stem}(inputs)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(num_classes, activation="softmax")(x))
"""


def _edited_spec(
    folder, profile, stem="layers.Conv2D({width}, 3)", width=4, imports="", comment=""
):
    """Write (or rewrite) and load an architecture file named ``edited``; its run spec."""
    import architectures

    path = folder / "edited_arch.py"
    stem = stem.format(width=width)
    path.write_text(EDITED_ARCH.format(imports=imports, stem=stem) + comment)
    architectures.load_module(path)
    (spec,) = plan(["edited"], "digits", profile, [False])
    return spec


@pytest.fixture
def finished_edited_run(tmp_path, tiny_profile, digits_splits):
    """A finished run of the ``edited`` architecture: its record, which names the network
    it trained, and its saved model."""
    from bench.identity import model_fingerprint
    from bench.train.build import build_for

    spec = _edited_spec(tmp_path, tiny_profile)
    run_dir = tmp_path / spec.run_id
    run_dir.mkdir()
    model = build_for(spec, digits_splits.input_shape, digits_splits.num_classes)
    model.save(run_dir / results.MODEL)
    record = {
        "status": "ok",
        "spec": spec.to_dict(),
        "model": {"network": model_fingerprint(model)},
    }
    files.write_json(run_dir / results.RECORD, record)
    return RunRecord.from_json(record), run_dir


def test_a_finished_run_of_the_same_spec_is_done(finished_edited_run, tiny_profile):
    from bench.train.suite import is_done

    record, _ = finished_edited_run
    (spec,) = plan(["edited"], "digits", tiny_profile, [False])
    assert is_done(record, spec)


def test_editing_an_architectures_file_makes_its_finished_runs_stale(
    finished_edited_run, tiny_profile
):
    from bench.train.suite import is_done

    record, run_dir = finished_edited_run
    after = _edited_spec(run_dir.parent, tiny_profile, comment="# a changed builder file\n")
    assert (run_dir.parent / "edited_arch.py").read_text().endswith("# a changed builder file\n")
    assert after.arch_digest != record.spec.arch_digest
    assert not is_done(record, after)  # without the saved model, the digest alone decides


def test_a_finished_run_counts_after_an_edit_that_leaves_its_network_as_it_was(
    finished_edited_run, tiny_profile, digits_splits
):
    from bench.train.suite import is_done

    record, run_dir = finished_edited_run
    after = _edited_spec(run_dir.parent, tiny_profile, comment="# a comment changes no layer\n")
    assert is_done(record, after, run_dir, digits_splits)


def test_a_suite_skips_a_run_whose_builder_was_edited_without_changing_its_network(
    finished_edited_run, tiny_profile, digits_splits
):
    record, run_dir = finished_edited_run
    after = _edited_spec(run_dir.parent, tiny_profile, comment="# a comment changes no layer\n")
    lines = io.StringIO()
    progress = Progress(1, stream=lines)
    skipped = run_suite([after], digits_splits, DatasetInfo(), run_dir.parent, progress=progress)
    assert skipped == [record]
    assert (
        lines.getvalue()
        .rstrip()
        .endswith("already done, skipped (its code changed since, not its network)")
    )


def test_a_finished_run_is_redone_when_the_edited_builder_makes_another_network(
    finished_edited_run, tiny_profile, digits_splits
):
    from bench.train.suite import is_done

    record, run_dir = finished_edited_run
    after = _edited_spec(run_dir.parent, tiny_profile, width=8)
    assert not is_done(record, after, run_dir, digits_splits)


@pytest.mark.parametrize(
    ("record_names_network", "model_kept", "done"),
    [(True, False, True), (False, True, True), (False, False, False)],
    ids=["the record alone", "the saved model alone", "neither"],
)
def test_after_an_edit_that_keeps_its_network_a_run_counts_if_its_record_or_model_shows_it(
    finished_edited_run, tiny_profile, digits_splits, record_names_network, model_kept, done
):
    """A copy of the results without the model files keeps its runs through the record;
    records written before they named the network fall back to the saved model."""
    from bench.train.suite import is_done

    record, run_dir = finished_edited_run
    if not record_names_network:
        record = dataclasses.replace(record, model=None)
    if not model_kept:
        (run_dir / results.MODEL).unlink()
    after = _edited_spec(run_dir.parent, tiny_profile, comment="# a comment\n")
    assert is_done(record, after, run_dir, digits_splits) is done


def test_editing_a_block_the_builder_imports_changes_its_digest(
    tmp_path, tiny_profile, monkeypatch
):
    monkeypatch.syspath_prepend(str(tmp_path))
    blocks = tmp_path / "edited_blocks.py"
    blocks.write_text(
        "from keras import layers\n\n\ndef stem(x):\n    return layers.Conv2D(4, 3)(x)\n"
    )
    monkeypatch.delitem(sys.modules, "edited_blocks", raising=False)
    before = _edited_spec(
        tmp_path, tiny_profile, stem="stem", imports="from edited_blocks import stem\n"
    )

    blocks.write_text(blocks.read_text().replace("Conv2D(4", "Conv2D(8"))
    (after,) = plan(["edited"], "digits", tiny_profile, [False])
    assert after.arch_digest != before.arch_digest


def test_time_to_accuracy_is_the_first_epoch_reaching_each_target_and_the_seconds_so_far():
    history = [
        {"epoch": 1, "val_accuracy": 0.975, "seconds": 10.0},
        {"epoch": 2, "val_accuracy": 0.985, "seconds": 11.0},
        {"epoch": 3, "val_accuracy": 0.981, "seconds": 12.0},
        {"epoch": 4, "val_accuracy": 0.992, "seconds": 13.0},
    ]
    assert time_to_accuracy(history) == {
        "epochs_to_98": 2,
        "seconds_to_98": 21.0,
        "epochs_to_99": 4,
        "seconds_to_99": 46.0,
        "epochs_to_99_5": None,
        "seconds_to_99_5": None,
    }


def test_a_run_records_its_time_to_accuracy(tiny_arch, tiny_profile, digits_splits, tmp_path):
    (spec,) = plan([tiny_arch], "digits", tiny_profile, [False])
    (record,) = _suite([spec], digits_splits, tmp_path)
    assert {"epochs_to_98", "seconds_to_99", "seconds_to_99_5"} <= set(record.metrics.to_json())


def test_several_seeds_come_outermost_so_a_cut_suite_holds_whole_tables(tiny_profile):
    specs = plan(["lenet5", "custom_cnn"], "digits", tiny_profile, [False, True], [3, 4])
    assert [(s.seed, s.arch, s.augment) for s in specs[:4]] == [
        (3, "lenet5", False),
        (3, "lenet5", True),
        (3, "custom_cnn", False),
        (3, "custom_cnn", True),
    ]
    assert {s.seed for s in specs[4:]} == {4}


def test_the_full_profile_is_the_standard_one_with_three_seeds():
    full, standard = get_profile("full"), get_profile("standard")
    assert full.seeds == 3 and standard.seeds == 1
    assert (full.train_size, full.max_epochs) == (standard.train_size, standard.max_epochs)


def test_a_full_profile_suite_counts_the_standard_suites_runs_as_its_first_seed(
    tiny_arch, digits_splits, tmp_path
):
    standard = dataclasses.replace(get_profile("standard"), max_epochs=1, max_batch_size=32)
    full = dataclasses.replace(get_profile("full"), max_epochs=1, max_batch_size=32)
    (first,) = _suite(plan([tiny_arch], "digits", standard, [False]), digits_splits, tmp_path)
    specs = plan([tiny_arch], "digits", full, [False], range(full.seeds))
    again, *others = _suite(specs, digits_splits, tmp_path)
    assert again.spec == first.spec and again.wall_seconds == first.wall_seconds
    assert [r.spec.seed for r in others] == [1, 2]
    assert len(list(tmp_path.iterdir())) == 3


@pytest.mark.parametrize(
    "dataset", ["mnist", "idx:/data/fashion", "..", "../../x", "csv:/data/.hidden.csv", "a<b>"]
)
def test_a_dataset_name_becomes_one_safe_folder_name(dataset):
    from bench.config import dataset_slug
    from bench.names import is_safe_name

    assert is_safe_name(dataset_slug(dataset))
