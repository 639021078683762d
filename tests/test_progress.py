"""Suite progress: run k of n, how long each took, and an estimate of what is left
(each network's seconds per training image and epoch, once it has run)."""

from __future__ import annotations

import io
import math

from bench.config import plan
from bench.progress import Progress, Work, epoch_line
from bench.store.records import DatasetInfo, Metrics, RunRecord
from bench.train.runcost import suite_work
from bench.train.suite import run_suite


def _lines(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


def _second_run_line(work=None) -> str:
    """What a suite of three prints as its second run starts, the first having taken 600 s."""
    stream = io.StringIO()
    progress = Progress(total=3, stream=stream)
    if work is not None:
        progress.plan(work)
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


def test_a_networks_runs_are_estimated_from_its_time_per_image_and_epoch():
    # 600 s for 1 unit of images x epochs; 1 + 4 units of the same network left
    line = _second_run_line([Work("a", 1.0), Work("a", 1.0), Work("a", 4.0)])
    assert line.endswith("| ~50m00s left")


def test_a_network_not_timed_yet_takes_the_finished_runs_rate_and_says_so():
    # a: 300 s per unit; b has not run: the same rate, and the line says it is rough
    line = _second_run_line([Work("a", 2.0), Work("b", 1.0), Work("a", 1.0)])
    assert line.endswith("| ~10m00s left (1 network not timed yet)")


def test_runs_made_side_by_side_divide_what_is_left_by_the_runs_under_way():
    stream = io.StringIO()
    progress = Progress(total=4, stream=stream)
    progress.plan([Work("a", 1.0)] * 3 + [Work("a", 3.0)])
    progress.run_made(0, "a0", "worker 0", "ok", 600.0, pending=[1, 2], parallel=2)
    assert _lines(stream)[-2].endswith("| ~10m00s left")  # two 10-minute runs, two at once
    progress.run_made(1, "a1", "worker 1", "ok", 600.0, pending=[3], parallel=2)
    assert _lines(stream)[-2].endswith("| ~30m00s left")  # one run left: no faster for two


def test_an_epoch_line_gives_the_epochs_left_times_the_mean_epoch():
    line = epoch_line(3, 30, {"loss": 0.5}, 21.0, 20.0, "run")
    assert line.endswith("21.0s  (run: ~9m00s left)")


def test_an_epoch_line_says_nothing_of_what_is_left_when_nothing_or_unknown_is():
    assert epoch_line(1, 1, {"loss": 0.5}, 2.0, 2.0, "run").endswith("loss 0.5000  2.0s")
    assert epoch_line(2, 5, {}, 2.0, math.nan, "run").endswith("2.0s")


def test_a_runs_work_is_its_network_and_its_images_times_epochs(
    tiny_arch, tiny_profile, digits_splits
):
    specs = plan([tiny_arch], "digits", tiny_profile, [False, True], seeds=[0, 1])
    work = suite_work(specs, digits_splits)
    assert len({w.network for w in work}) == 1  # augmentation and seeds: the same network
    assert {w.epoch_images for w in work} == {specs[0].epochs * len(digits_splits.x_train)}
    (wider,) = suite_work([plan([tiny_arch], "digits", tiny_profile, [False], batch_size=4)[0]],
                          digits_splits)  # fmt: skip
    assert wider.network != work[0].network  # another batch size runs at another speed


def test_a_suite_estimates_each_network_it_has_not_timed_from_the_others(
    tiny_arch, register_temporary, tiny_profile, digits_splits, tmp_path, monkeypatch
):
    import bench.train.suite

    other = register_temporary(lambda *a, **k: None, name="other_net")
    specs = plan([tiny_arch, other], "digits", tiny_profile, [False])

    def run_record(spec, *args, **kwargs):
        return RunRecord(
            spec.run_id, spec, "ok", wall_seconds=600.0, metrics=Metrics(test_accuracy=0.5)
        )

    monkeypatch.setattr(bench.train.suite, "run_record", run_record)
    stream = io.StringIO()
    run_suite(specs, digits_splits, DatasetInfo(), tmp_path, progress=Progress(2, stream=stream))
    started_second = next(line for line in _lines(stream) if line.startswith("[run 2/2]"))
    assert started_second.endswith("| ~10m00s left (1 network not timed yet)")
