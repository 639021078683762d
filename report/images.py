"""Grayscale images as PNG data URIs, so the report needs no image files and no Pillow."""

from __future__ import annotations

import base64
import struct
import zlib

import numpy as np


def png_bytes(image: np.ndarray) -> bytes:
    """Encode a 2-D (or HxWx1) image as an 8-bit grayscale PNG.

    Floats are taken to be in [0, 1]; integers in [0, 255].
    """
    pixels = np.asarray(image)
    if pixels.ndim == 3 and pixels.shape[-1] == 1:
        pixels = pixels[..., 0]
    if pixels.ndim != 2:
        raise ValueError(f"expected a 2-D grayscale image, got shape {pixels.shape}")
    if np.issubdtype(pixels.dtype, np.floating):
        pixels = np.rint(np.clip(pixels, 0.0, 1.0) * 255)
    pixels = np.clip(pixels, 0, 255).astype(np.uint8)
    height, width = pixels.shape
    # Each scanline starts with its filter type; 0 means unfiltered.
    raw = np.concatenate([np.zeros((height, 1), np.uint8), pixels], axis=1).tobytes()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grayscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def data_uri(image: np.ndarray) -> str:
    """The image as a ``data:image/png;base64,...`` URI for an ``<img src>``."""
    return "data:image/png;base64," + base64.b64encode(png_bytes(image)).decode("ascii")
