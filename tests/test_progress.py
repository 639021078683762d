"""Suite progress: run k of n, how long each took, and an estimate of what is left
(from the runs' costs: forward FLOPs x epochs x training images)."""

from __future__ import annotations

import io
import math

from bench.config import plan
from bench.measure.flops import count_flops
from bench.progress import Progress, epoch_line, format_duration
from bench.store.records import DatasetInfo, Metrics, RunRecord
from bench.train.runcost import suite_costs
from bench.train.suite import run_suite


def _lines(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


def _second_run_line(costs=None) -> str:
    """What a suite of three prints as its second run starts, the first having taken 600 s."""
    stream = io.StringIO()
    progress = Progress(total=3, stream=stream)
    if costs is not None:
        progress.plan(costs)
    progress.run_started("a")
    progress.run_finished(600, "a: ok")
    progress.run_started("b")
    return _lines(stream)[-1]


def test_the_estimate_of_what_is_left_is_the_mean_run_time_times_the_runs_left():
    assert _second_run_line().endswith("| ~20m00s left")


def test_a_resumed_run_says_its_time_is_since_resuming_and_stays_out_of_the_estimate():
    stream = io.StringIO()
    progress = Progress(total=3, stream=stream)
    progress.run_started("a")
    progress.run_resumed(epochs_done=8, max_epochs=10)
    progress.run_finished(60, "a: ok")
    progress.run_started("b")
    assert _lines(stream)[-2] == "    a: ok in 1m00s since resuming"
    assert _lines(stream)[-1].endswith("| estimating")


def test_the_estimate_of_what_is_left_weighs_the_runs_left_by_their_cost():
    # 600 s per unit of cost; 1 + 4 units left (a flat mean per run would say 20m00s)
    line = _second_run_line([lambda: 1.0, lambda: 1.0, lambda: 4.0])
    assert line.endswith("| ~50m00s left")


def test_a_run_of_unknown_cost_counts_as_the_mean_finished_run():
    line = _second_run_line([lambda: 2.0, lambda: None, lambda: 1.0])
    assert line.endswith("| ~15m00s left")  # 600 s + 300 s


def test_a_quiet_progress_never_computes_a_cost():
    def fail():
        raise AssertionError("cost computed")

    progress = Progress(total=2, quiet=True)
    progress.plan([fail, fail])
    progress.run_started("a")
    progress.run_finished(600, "a: ok")
    progress.run_started("b")


def test_an_epoch_line_gives_the_epochs_left_times_the_mean_epoch():
    line = epoch_line(3, 30, {"loss": 0.5}, 21.0, 20.0, "run")
    assert line.endswith("21.0s  (run: at most 9m00s left)")


def test_an_epoch_line_says_nothing_of_what_is_left_when_nothing_or_unknown_is():
    assert epoch_line(1, 1, {"loss": 0.5}, 2.0, 2.0, "run").endswith("loss 0.5000  2.0s")
    assert epoch_line(2, 5, {}, 2.0, math.nan, "run").endswith("2.0s")


def _wider_net(input_shape, num_classes, hp=None):
    """tiny_net with twice the filters: about twice its FLOPs."""
    import keras
    from keras import layers

    inputs = keras.Input(input_shape)
    x = layers.Conv2D(8, 3, strides=2, activation="relu")(inputs)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(num_classes, activation="softmax")(x))


def test_a_runs_cost_is_forward_flops_times_epochs_times_images_counted_once_per_network(
    tiny_arch, tiny_profile, digits_splits, monkeypatch
):
    import bench.train.runcost

    specs = plan([tiny_arch], "digits", tiny_profile, [False, True], seeds=[0, 1])
    builds = []
    build_for = bench.train.runcost.build_for
    monkeypatch.setattr(
        bench.train.runcost, "build_for", lambda *a: builds.append(a) or build_for(*a)
    )
    costs = suite_costs(specs, digits_splits)
    assert builds == []  # nothing built until asked
    model = build_for(specs[0], digits_splits.input_shape, digits_splits.num_classes)
    expected = count_flops(model) * specs[0].epochs * len(digits_splits.x_train)
    assert [cost() for cost in costs] == [expected] * 4
    assert len(builds) == 1


def test_a_network_that_does_not_build_has_no_cost(register_temporary, tiny_profile, digits_splits):
    def broken(input_shape, num_classes, hp=None):
        raise RuntimeError("no model today")

    name = register_temporary(broken, name="broken_for_cost")
    (spec,) = plan([name], "digits", tiny_profile, [False])
    (cost,) = suite_costs([spec], digits_splits)
    assert cost() is None


def test_a_suite_estimates_what_is_left_from_its_runs_costs(
    tiny_arch, register_temporary, tiny_profile, digits_splits, tmp_path, monkeypatch
):
    import bench.train.suite

    wide = register_temporary(_wider_net, name="wider_net")
    specs = plan([tiny_arch, wide], "digits", tiny_profile, [False])

    def run_record(spec, *args, **kwargs):
        return RunRecord(
            spec.run_id, spec, "ok", wall_seconds=600.0, metrics=Metrics(test_accuracy=0.5)
        )

    monkeypatch.setattr(bench.train.suite, "run_record", run_record)
    stream = io.StringIO()
    run_suite(specs, digits_splits, DatasetInfo(), tmp_path, progress=Progress(2, stream=stream))
    tiny, wider = (cost() for cost in suite_costs(specs, digits_splits))
    started_second = next(line for line in _lines(stream) if line.startswith("[run 2/2]"))
    assert started_second.endswith(f"| ~{format_duration(600 * wider / tiny)} left")
    assert wider / tiny > 1.5
