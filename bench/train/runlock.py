"""A lock per run, so that ``bench run`` processes started on one results folder share the
work instead of each training every run.

The lock is a file in the run's folder, created with ``O_EXCL`` (so of two processes only
one makes it) and holding the pid of the process training the run; it goes when the run
ends, well or not. A process that meets a lock held by a live process skips the run. A lock
whose process is gone (killed, or the machine restarted) is taken over; so is an empty one
(its maker died between creating and writing it) once it is ``EMPTY_GRACE`` seconds old.
Two processes taking over the same dead lock at the same instant could both win: rare
(both crashed into the same run at once) and no worse than having no lock.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

from bench.errors import WriteError

LOCK = "run.lock"
EMPTY_GRACE = 10.0  # seconds a lock may stay empty while its maker writes the pid


class RunLocked(Exception):
    """The run is being made by another live process."""

    def __init__(self, path: Path, pid: int | None):
        holder = f"process {pid}" if pid is not None else "another process"
        super().__init__(f"locked by {holder}, skipped")
        self.path = path
        self.pid = pid


@contextlib.contextmanager
def run_lock(run_dir: Path) -> Iterator[None]:
    """Hold ``run_dir``'s lock for the block; ``RunLocked`` if a live process holds it."""
    path = Path(run_dir) / LOCK
    made_folder = not path.parent.exists()
    while not _create(path):
        holder, content = _holder(path)
        if holder is not None and _alive(holder):
            raise RunLocked(path, holder)
        if holder is None and content is not None and _age(path) < EMPTY_GRACE:
            raise RunLocked(path, None)
        _remove_if_unchanged(path, content)  # a dead holder's lock (or gone already): retry
    try:
        yield
    finally:
        path.unlink(missing_ok=True)
        if made_folder:  # a run stopped before it wrote anything leaves no empty folder
            with contextlib.suppress(OSError):
                path.parent.rmdir()


def _create(path: Path) -> bool:
    """Make the lock; False when it exists already."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteError.of(path, exc) from exc
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except FileExistsError:
        return False
    except OSError as exc:
        raise WriteError.of(path, exc) from exc
    with os.fdopen(fd, "w") as lock:
        lock.write(f"{os.getpid()}\n")
    return True


def _holder(path: Path) -> tuple[int | None, str | None]:
    """The pid the lock holds (None when there is none to read) and its text (None when
    the lock is gone)."""
    try:
        content = path.read_text()
    except FileNotFoundError:
        return None, None
    pid = content.strip()
    return (int(pid) if pid.isdigit() and int(pid) > 0 else None), content


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def _age(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def _remove_if_unchanged(path: Path, content: str | None) -> None:
    """Remove the lock if it still says ``content``; another process may have taken it over
    since it was read."""
    with contextlib.suppress(FileNotFoundError):
        if content is not None and path.read_text() == content:
            path.unlink()
