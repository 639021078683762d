"""The lock that keeps two `bench run` processes from training the same run."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from bench.train.runlock import EMPTY_GRACE, LOCK, RunLocked, run_lock


def test_the_lock_holds_the_pid_while_the_run_is_made_and_goes_after(tmp_path):
    with run_lock(tmp_path):
        assert (tmp_path / LOCK).read_text() == f"{os.getpid()}\n"
    assert not (tmp_path / LOCK).exists()


def test_a_run_stopped_before_it_wrote_anything_leaves_no_empty_folder(tmp_path):
    run_dir = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt), run_lock(run_dir):
        raise KeyboardInterrupt  # Ctrl-C while the run was waiting for its turn
    assert list(tmp_path.iterdir()) == []


def test_the_lock_leaves_a_folder_that_holds_what_the_run_wrote(tmp_path):
    run_dir = tmp_path / "run"
    with run_lock(run_dir):
        (run_dir / "record.json").write_text("{}")
    assert [p.name for p in run_dir.iterdir()] == ["record.json"]


def test_a_second_taker_is_refused_while_the_first_holds_the_lock(tmp_path):
    with run_lock(tmp_path):
        with pytest.raises(RunLocked) as excinfo, run_lock(tmp_path):
            pass
        assert str(excinfo.value) == f"locked by process {os.getpid()}, skipped"
        assert (tmp_path / LOCK).read_text() == f"{os.getpid()}\n"  # the refused one left it
    assert not (tmp_path / LOCK).exists()


def test_the_lock_of_a_process_that_is_gone_is_taken_over(tmp_path):
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    (tmp_path / LOCK).write_text(gone.stdout)
    with run_lock(tmp_path):
        assert (tmp_path / LOCK).read_text() == f"{os.getpid()}\n"


def test_an_empty_lock_counts_as_held_until_its_maker_has_had_time_to_write(tmp_path):
    lock = tmp_path / LOCK
    lock.write_text("")
    # as written just now, however long this test is held up: its time an hour ahead
    ahead = time.time() + 3600
    os.utime(lock, (ahead, ahead))
    with pytest.raises(RunLocked, match="locked by another process"), run_lock(tmp_path):
        pass
    past = time.time() - EMPTY_GRACE - 1
    os.utime(lock, (past, past))
    with run_lock(tmp_path):
        assert lock.read_text() == f"{os.getpid()}\n"
