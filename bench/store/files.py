"""Files written whole or not at all, and JSON in and out.

Every file is written to a temporary name beside its place and renamed into place, so a
process killed at any moment leaves either the whole file or none of it.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.errors import WriteError


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` if the block succeeds.

    An ``OSError`` on the way (a full disk, a folder that cannot be written to, a file where
    the folder should be) becomes a ``WriteError`` naming ``path``. A device or a pipe
    (``/dev/stdout``, ``/dev/full``) is written into, not replaced by a renamed file.
    """
    if path.exists() and not path.is_file() and not path.is_dir():
        try:
            yield path
        except OSError as exc:
            raise WriteError.of(path, exc) from exc
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp_path = _new_file_beside(path)
    except OSError as exc:
        raise WriteError.of(path, exc) from exc
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    except OSError as exc:
        raise WriteError.of(path, exc) from exc
    finally:
        tmp_path.unlink(missing_ok=True)


def _new_file_beside(path: Path) -> Path:
    """A new, empty file with a random name beside ``path``, created as ``open()`` creates
    files (mode 0666 less the umask), not private as ``tempfile.mkstemp`` makes them: the
    file is renamed onto ``path`` and keeps its mode."""
    while True:
        candidate = path.with_name(f".{path.stem}-{secrets.token_hex(4)}{path.suffix}")
        try:
            os.close(os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return candidate


def write_text(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_bytes(path: Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_json(path: Path, data: Any) -> None:
    write_text(path, json.dumps(data, indent=2, sort_keys=True, default=_json_default) + "\n")


def _json_default(value: Any) -> Any:
    # numpy scalars and arrays show up in metrics; store them as plain numbers/lists
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot store {type(value).__name__} in a JSON record")


def read_json(path: Path) -> Any | None:
    """The file's JSON content, or None when it is missing or unreadable."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
