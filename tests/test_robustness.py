"""Accuracy on corrupted digits: made after the test evaluation, recorded, cached, loadable,
and added to older runs by ``bench measure robustness``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bench import api, revisit, robustness
from bench.cli.main import main
from bench.measurements.robustness import corruptions
from bench.measurements.robustness import evaluate as measure_robustness
from bench.measurements.robustness.evaluate import (
    PREDICTED,
    CorruptionSettings,
    corrupted_set,
    evaluate_corruptions,
    parse_corruptions,
    sample,
    set_key,
)
from bench.store import results
from bench.train.after import after_training

TWO = CorruptionSettings(names=("rotate", "gaussian_noise"), severities=(1, 3))


@pytest.fixture
def made_run(tiny_arch, digits, tmp_path):
    """A tiny net's smoke run on digits, evaluated on two corruptions at two severities."""
    specs = api.plan(tiny_arch, dataset="digits", profile="smoke", augment="off")
    data = api.load_data("digits", val_size=200)
    (record,) = api.run(specs, data, tmp_path, quiet=True, measure={"robustness": TWO})
    return tmp_path, record, data


def test_a_run_records_its_accuracy_on_each_corruption_and_severity(made_run):
    _, record, data = made_run
    robustness = record.section("robustness")
    assert record.ok and set(robustness.accuracy) == {"rotate", "gaussian_noise"}
    assert all(set(levels) == {"1", "3"} for levels in robustness.accuracy.values())
    assert robustness.clean_accuracy == record.metrics.test_accuracy
    assert robustness.images == len(data.splits.y_test)
    assert set(robustness.checksums) == {"rotate-1", "rotate-3", "gaussian_noise-1",
                                         "gaussian_noise-3"}  # fmt: skip


def test_the_recorded_accuracy_is_that_of_the_saved_predictions(made_run):
    out, record, data = made_run
    with np.load(out / record.run_id / PREDICTED) as saved:
        predicted = saved[set_key("rotate", 3)]
    assert len(predicted) == len(data.splits.y_test)
    assert record.section("robustness").accuracy["rotate"]["3"] == np.mean(
        predicted == data.splits.y_test
    )


def test_each_sets_predictions_are_the_models_on_that_set_alone(digits_splits, monkeypatch):
    import keras

    keras.utils.set_random_seed(0)
    x, y = digits_splits.x_test, digits_splits.y_test
    # random weights: classes that vary from image to image, so a misplaced set would show
    model = keras.Sequential(
        [keras.Input(x.shape[1:]), keras.layers.Flatten(), keras.layers.Dense(10)]
    )
    monkeypatch.setattr(measure_robustness, "POOL", 100)  # predict calls that straddle sets
    _, predicted = evaluate_corruptions(model, x, y, np.zeros(len(y), np.uint8), TWO)
    for name in TWO.names:
        for severity in TWO.severities:
            images, _ = corrupted_set(x[predicted["indices"]], name, severity, TWO.seed, None)
            alone = model.predict(images.astype(np.float32) / 255.0, verbose=0).argmax(axis=1)
            assert len(np.unique(alone)) > 1
            assert np.array_equal(predicted[set_key(name, severity)], alone)


def test_a_batchnorm_models_classes_are_its_own_though_predicted_folded(digits_splits):
    import keras

    keras.utils.set_random_seed(1)
    x, y = digits_splits.x_test, digits_splits.y_test
    model = keras.Sequential(
        [
            keras.Input(x.shape[1:]),
            keras.layers.Conv2D(6, 3),
            keras.layers.BatchNormalization(),
            keras.layers.ReLU(),
            keras.layers.Flatten(),
            keras.layers.Dense(10),
        ]
    )
    norm = model.layers[1]
    norm.moving_mean.assign(np.linspace(-0.05, 0.05, 6))
    norm.moving_variance.assign(np.linspace(0.5, 2.0, 6))
    _, predicted = evaluate_corruptions(model, x, y, np.zeros(len(y), np.uint8), TWO)
    images, _ = corrupted_set(x[predicted["indices"]], "rotate", 3, TWO.seed, None)
    alone = model(images.astype(np.float32) / 255.0, training=False).numpy().argmax(axis=1)
    assert len(np.unique(alone)) > 1
    assert np.array_equal(predicted[set_key("rotate", 3)], alone)


def test_the_results_table_has_the_mean_corruption_accuracy_and_the_error_ratio(made_run):
    out, record, _ = made_run
    row = results.load(out).iloc[0]
    accuracy = record.section("robustness").accuracy
    values = [a for levels in accuracy.values() for a in levels.values()]
    assert row["corruption_accuracy"] == pytest.approx(np.mean(values))
    clean_error = 1 - record.metrics.test_accuracy
    assert row["corruption_error_ratio"] == pytest.approx((1 - np.mean(values)) / clean_error)
    assert row["corruption_rotate"] == pytest.approx(np.mean(list(accuracy["rotate"].values())))


def test_a_corrupted_set_is_made_once_and_read_back_with_the_same_checksum(digits_splits, tmp_path):
    x = digits_splits.x_test[:50]
    made, checksum = corrupted_set(x, "shear", 2, 0, tmp_path)
    assert made.dtype == np.uint8 and made.shape == x.shape
    (cached,) = tmp_path.rglob("*.npy")
    read, again = corrupted_set(x, "shear", 2, 0, tmp_path)
    assert again == checksum and np.array_equal(read, made)
    expected = np.rint(corruptions.corrupt(x, "shear", 2, 0) * 255).astype(np.uint8)
    assert np.array_equal(made, expected)


def test_a_cached_set_cut_short_is_made_again(digits_splits, tmp_path):
    x = digits_splits.x_test[:50]
    made, checksum = corrupted_set(x, "stripe", 1, 0, tmp_path)
    (cached,) = tmp_path.rglob("*.npy")
    cached.write_bytes(cached.read_bytes()[:100])
    again, same = corrupted_set(x, "stripe", 1, 0, tmp_path)
    assert same == checksum and np.array_equal(again, made)


def test_other_test_images_never_share_a_cached_set(digits_splits, tmp_path):
    _, first = corrupted_set(digits_splits.x_test[:50], "rotate", 1, 0, tmp_path)
    _, second = corrupted_set(digits_splits.x_test[50:100], "rotate", 1, 0, tmp_path)
    assert first != second and len(list(tmp_path.rglob("*.npy"))) == 2


def test_corruptions_are_none_default_or_all_and_a_wrong_name_says_the_choices():
    assert parse_corruptions("none").names == ()
    assert parse_corruptions("default").names == corruptions.DEFAULT
    assert parse_corruptions("all").names == tuple(corruptions.CORRUPTIONS)
    with pytest.raises(Exception, match="default, all, none"):
        parse_corruptions("most")


def test_the_smoke_profile_evaluates_no_corruptions_by_default(monkeypatch):
    monkeypatch.delenv("BENCH_CORRUPTIONS")
    assert after_training({}, "smoke")["robustness"].names == ()
    assert after_training({}, "standard")["robustness"].names == corruptions.DEFAULT


def test_a_bad_corruptions_flag_is_one_line_and_exit_2(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["run", "--arch", "lenet5", "--corruptions", "most"])
    assert exit_.value.code == 2
    error = capsys.readouterr().err.strip()
    assert "\n" not in error and "--corruptions" in error


def test_bench_robustness_evaluates_runs_made_without_it_once(tiny_arch, digits, tmp_path):
    specs = api.plan(tiny_arch, dataset="digits", profile="smoke", augment="off")
    api.run(specs, api.load_data("digits", val_size=200), tmp_path, quiet=True)
    assert results.read_run_record(tmp_path / specs[0].run_id).section("robustness") is None

    (updated,) = revisit.measure_runs("robustness", tmp_path, settings=TWO)
    on_disk = results.read_run_record(tmp_path / specs[0].run_id)
    assert on_disk.section("robustness") == updated.section("robustness")
    assert on_disk.section("robustness").accuracy
    assert revisit.measure_runs("robustness", tmp_path, settings=TWO) == []  # done


def test_the_old_robustness_function_still_works_and_says_it_is_deprecated(
    tiny_arch, digits, tmp_path
):
    specs = api.plan(tiny_arch, dataset="digits", profile="smoke", augment="off")
    api.run(specs, api.load_data("digits", val_size=200), tmp_path, quiet=True)
    with pytest.warns(DeprecationWarning, match="bench.measure"):
        (updated,) = robustness.evaluate_robustness(tmp_path, corruptions=TWO)
    assert updated.section("robustness").accuracy


def test_bench_robustness_on_the_command_line_says_what_it_did(tiny_arch, digits, tmp_path, capsys):
    specs = api.plan(tiny_arch, dataset="digits", profile="smoke", augment="off")
    api.run(specs, api.load_data("digits", val_size=200), tmp_path, quiet=True)
    argv = ["measure", "robustness", "--results", str(tmp_path), "--corruptions", "all"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "robustness: 1 run measured" in out and "error ratio" in out
    record = json.loads((tmp_path / specs[0].run_id / results.RECORD).read_text())
    assert set(record["robustness"]["accuracy"]) == set(corruptions.CORRUPTIONS)


def test_the_old_robustness_command_still_works_and_says_what_replaces_it(
    tiny_arch, digits, tmp_path, capsys
):
    specs = api.plan(tiny_arch, dataset="digits", profile="smoke", augment="off")
    api.run(specs, api.load_data("digits", val_size=200), tmp_path, quiet=True)
    assert main(["robustness", "--results", str(tmp_path), "--corruptions", "default"]) == 0
    said = capsys.readouterr()
    assert "deprecated; use bench measure robustness" in said.err
    assert "robustness: 1 run measured" in said.out


COMMANDS = [["measure", "robustness"], ["measure", "exports"], ["report"]]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_command_on_a_missing_folder_is_one_line_and_exit_2(command, tmp_path, capsys):
    assert main([*command, "--results", str(tmp_path / "nowhere")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "does not exist" in error


@pytest.mark.parametrize("command", COMMANDS)
def test_a_command_on_a_folder_without_runs_is_one_line_and_exit_2(command, tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("no runs here")
    assert main([*command, "--results", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "holds no runs" in error


def test_the_sets_are_made_of_one_fixed_sample_of_the_test_images():
    settings = CorruptionSettings(images=100)
    first, again = sample(1000, settings), sample(1000, settings)
    assert len(first) == 100 and np.array_equal(first, again)
    assert np.all(np.diff(first) > 0)  # in test order, no image twice
    assert np.array_equal(sample(80, settings), np.arange(80))  # fewer images: all of them


def test_the_corrupted_digits_time_counts_in_the_records_total(made_run):
    out, record, _ = made_run
    timing = record.timing
    assert timing.measurements["corruptions"] > 0
    assert timing.total == pytest.approx(record.wall_seconds + timing.measurements["corruptions"])
    assert (
        results.read_run_record(out / record.run_id).timing == timing
    )  # written, not just returned
