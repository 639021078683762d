"""Reading a data file's bytes, gunzipped when they are gzip, with one-line errors."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

from bench.errors import DataError, one_line

_GZIP_MAGIC = b"\x1f\x8b"


def read_bytes(path: Path) -> bytes:
    """The file's bytes as stored."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read it: {exc.strerror or one_line(exc)}") from None


def unpacked(raw: bytes, path: Path) -> bytes:
    """``raw`` gunzipped when it is gzip (by its magic bytes, not the file name), else as is."""
    return _gunzip(raw, path) if raw[:2] == _GZIP_MAGIC else raw


def _gunzip(raw: bytes, path: Path) -> bytes:
    try:
        return gzip.decompress(raw)
    except EOFError:
        raise DataError(
            f"{path}: truncated gzip stream (the file is incomplete); download it again"
        ) from None
    except (OSError, zlib.error) as exc:  # BadGzipFile is an OSError
        raise DataError(f"{path}: corrupt gzip data ({one_line(exc)}); download it again") from None
