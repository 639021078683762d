"""Suite progress: run k of n, how long each took, and an estimate of what is left."""

from __future__ import annotations

import io
import math

from bench.progress import Progress, epoch_line


def _lines(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


def test_the_estimate_of_what_is_left_is_the_mean_run_time_times_the_runs_left():
    stream = io.StringIO()
    progress = Progress(total=3, stream=stream)
    progress.run_started("a")
    progress.run_finished(600, "a: ok")
    progress.run_started("b")
    assert _lines(stream)[-1].endswith("| ~20m00s left")


def test_a_resumed_run_says_its_time_is_since_resuming_and_stays_out_of_the_estimate():
    stream = io.StringIO()
    progress = Progress(total=3, stream=stream)
    progress.run_started("a")
    progress.run_resumed(epochs_done=8, max_epochs=10)
    progress.run_finished(60, "a: ok")
    progress.run_started("b")
    assert _lines(stream)[-2] == "    a: ok in 1m00s since resuming"
    assert _lines(stream)[-1].endswith("| estimating")


def test_an_epoch_line_gives_the_epochs_left_times_the_mean_epoch():
    line = epoch_line(3, 30, {"loss": 0.5}, 21.0, 20.0, "run")
    assert line.endswith("21.0s  (run: at most 9m00s left)")


def test_an_epoch_line_says_nothing_of_what_is_left_when_nothing_or_unknown_is():
    assert epoch_line(1, 1, {"loss": 0.5}, 2.0, 2.0, "run").endswith("loss 0.5000  2.0s")
    assert epoch_line(2, 5, {}, 2.0, math.nan, "run").endswith("2.0s")
