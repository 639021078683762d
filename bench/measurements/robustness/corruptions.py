"""Corrupted copies of test images, in the spirit of MNIST-C (Mu and Gilmer, 2019).

Thirteen corruptions in five kinds (geometry, noise, blur, occlusion, intensity), each at three
severities, are generated from a dataset's own test images with numpy and scipy.ndimage: no
download and no image library. Every (corruption, severity) draws from its own random stream,
seeded from ``seed``, so the same call gives the same images on every machine and run.
The corrupted sets are test data: a model is only scored on them, and they choose nothing.

Images are float32 arrays of shape (N, H, W, C) in [0, 1]; every function works on the whole
batch at once, returns a new float32 array clipped to [0, 1] and leaves its input alone.
Coordinates are (x, y) with x to the right and y down, as the image is displayed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import ndimage

from bench.errors import BenchError

SEVERITIES = (1, 2, 3)
MNIST_SIZE = 28  # pixel-sized levels are for 28-pixel images and scale with the height


def _finish(images: np.ndarray) -> np.ndarray:
    return np.clip(images, 0.0, 1.0).astype(np.float32, copy=False)


def _bilinear(images: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Each image sampled at its own (H, W) grid of points ``xs``, ``ys``; zero outside."""
    n, h, w, c = images.shape
    # A zero border (one pixel before, two after) stands for all that lies outside: a point
    # clamped into it samples zeros, so no corner needs a mask of its own.
    flat = np.pad(images, ((0, 0), (1, 2), (1, 2), (0, 0))).reshape(-1, c)
    row = w + 3
    xs, ys = np.clip(xs + 1, 0, w + 1), np.clip(ys + 1, 0, h + 1)  # in the padded image, >= 0
    x0, y0 = xs.astype(np.intp), ys.astype(np.intp)  # truncation is floor for these
    fx, fy = (xs - x0)[..., None], (ys - y0)[..., None]
    index = (np.arange(n) * ((h + 3) * row))[:, None, None] + y0 * row + x0
    top = np.take(flat, index, axis=0)
    top += (np.take(flat, index + 1, axis=0) - top) * fx
    index += row
    bottom = np.take(flat, index, axis=0)
    bottom += (np.take(flat, index + 1, axis=0) - bottom) * fx
    top += (bottom - top) * fy
    return top


def affine(
    images: np.ndarray, xx: Any, xy: Any, yx: Any, yy: Any, dx: Any = 0.0, dy: Any = 0.0
) -> np.ndarray:
    """Output pixel p samples the input at ``[[xx, xy], [yx, yy]] @ (p - centre) + centre -
    (dx, dy)`` (each a scalar or one per image), bilinearly, with zeros outside the image."""
    images = np.asarray(images, np.float32)
    n, h, w, _ = images.shape
    params = [np.broadcast_to(np.asarray(p, np.float32), (n,)) for p in (xx, xy, yx, yy, dx, dy)]
    u = np.arange(w, dtype=np.float32)[None, None, :] - (w - 1) / 2
    v = np.arange(h, dtype=np.float32)[None, :, None] - (h - 1) / 2
    out = np.empty_like(images)
    step = max(1, 2**18 // (h * w))  # a few hundred images at a time: temporaries stay in cache
    for first in range(0, n, step):
        part = slice(first, first + step)
        a, b, c, d, ox, oy = (p[part, None, None] for p in params)
        xs = a * u + b * v + (w - 1) / 2 - ox
        ys = c * u + d * v + (h - 1) / 2 - oy
        out[part] = _bilinear(images[part], xs, ys)
    return _finish(out)


def rotate(images: np.ndarray, degrees: Any) -> np.ndarray:
    """Turn about the centre, counter-clockwise as displayed: 90 is np.rot90 over (H, W)."""
    radians = np.deg2rad(np.asarray(degrees, np.float64))
    cos, sin = np.cos(radians), np.sin(radians)
    return affine(images, cos, -sin, sin, cos)


def shear(images: np.ndarray, amount: Any) -> np.ndarray:
    """Horizontal shear about the centre: a row ``k`` pixels below it moves ``amount * k`` right."""
    return affine(images, 1.0, -np.asarray(amount, np.float64), 0.0, 1.0)


def scale(images: np.ndarray, factor: Any) -> np.ndarray:
    """Zoom about the centre: distances from it are multiplied by ``factor`` (< 1 shrinks)."""
    inverse = 1.0 / np.asarray(factor, np.float64)
    return affine(images, inverse, 0.0, 0.0, inverse)


def translate(images: np.ndarray, dx: Any, dy: Any) -> np.ndarray:
    """Shift by whole pixels, ``dx`` right and ``dy`` down; what leaves is lost, zeros come in."""
    return affine(images, 1.0, 0.0, 0.0, 1.0, np.rint(dx), np.rint(dy))


def gaussian_noise(images: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Add independent normal noise of standard deviation ``sigma`` to every value."""
    images = np.asarray(images, np.float32)
    return _finish(images + np.float32(sigma) * rng.standard_normal(images.shape, np.float32))


def impulse_noise(images: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Salt and pepper: about ``fraction`` of the pixels set to 0 or 1 (all channels alike)."""
    images = np.asarray(images, np.float32)
    where = images.shape[:3] + (1,)
    hit = rng.random(where, np.float32) < fraction
    salt = (rng.random(where, np.float32) < 0.5).astype(np.float32)
    return _finish(np.where(hit, salt, images))


def gaussian_blur(images: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of ``sigma`` pixels over height and width; zeros beyond the border."""
    images = np.asarray(images, np.float32)
    return _finish(ndimage.gaussian_filter(images, (0, sigma, sigma, 0), mode="constant"))


def motion_blur(images: np.ndarray, length: int) -> np.ndarray:
    """Horizontal motion blur: the mean over a centred run of ``length`` pixels of each row."""
    images = np.asarray(images, np.float32)
    kernel = np.full(int(length), 1.0 / int(length), np.float32)
    return _finish(ndimage.convolve1d(images, kernel, axis=2, mode="constant"))


def stripe(images: np.ndarray, width: int, rng: np.random.Generator) -> np.ndarray:
    """A white bar ``width`` pixels wide across each image, vertical or horizontal at random."""
    images = np.asarray(images, np.float32)
    n, h, w, _ = images.shape
    vertical = rng.random(n) < 0.5
    size = np.where(vertical, w, h)
    # Within the middle half, where a digit's strokes are: a bar in the margin hides nothing.
    low = size // 4
    start = rng.integers(low, np.maximum(low, 3 * size // 4 - width) + 1)[:, None]
    rows, cols = np.arange(h)[None, :], np.arange(w)[None, :]
    across = (rows >= start) & (rows < start + width)  # (N, H): a horizontal bar
    down = (cols >= start) & (cols < start + width)  # (N, W): a vertical bar
    bar = np.where(vertical[:, None, None], down[:, None, :], across[:, :, None])
    return _finish(np.where(bar[..., None], np.float32(1), images))


def _draw(out: np.ndarray, start: np.ndarray, end: np.ndarray, spacing: Any, dotted: bool) -> None:
    """Set to 1, in place, points every ``spacing`` pixels from ``start`` to ``end`` ((N, 2)
    as x, y) in each image; a solid line also gets its end point."""
    n, h, w, _ = out.shape
    length = np.maximum(np.hypot(*(end - start).T), 1e-6)
    spacing = np.broadcast_to(np.asarray(spacing, np.float64), (n,))
    t = np.arange(int(np.ceil((length / spacing).max())) + 1) * (spacing / length)[:, None]
    keep = t <= 1 if dotted else np.ones(t.shape, bool)
    points = start[:, None] + np.minimum(t, 1)[..., None] * (end - start)[:, None]
    x, y = np.rint(points[..., 0]).astype(np.intp), np.rint(points[..., 1]).astype(np.intp)
    keep &= (x >= 0) & (x < w) & (y >= 0) & (y < h)  # dropped: clamping would draw the border
    image = np.broadcast_to(np.arange(n)[:, None], t.shape)
    out[image[keep], y[keep], x[keep]] = 1.0


def _random_line(rng: np.random.Generator, n: int, h: int, w: int) -> tuple[np.ndarray, ...]:
    """Per image: a centre in the middle half, a unit direction and a half-length, so the
    line crosses where the digit is."""
    centre = np.stack([rng.uniform(w / 4, 3 * w / 4, n), rng.uniform(h / 4, 3 * h / 4, n)], 1)
    angle = rng.uniform(0, np.pi, n)
    half = rng.uniform(0.3, 0.45, n) * min(h, w)
    return centre, np.stack([np.cos(angle), np.sin(angle)], 1), half


def dotted_line(images: np.ndarray, lines: int, rng: np.random.Generator) -> np.ndarray:
    """``lines`` random straight lines across each image, drawn as white dots 2-3 pixels apart."""
    out = np.array(images, np.float32)
    n, h, w, _ = out.shape
    for _ in range(int(lines)):
        centre, direction, half = _random_line(rng, n, h, w)
        reach = half[:, None] * direction
        _draw(out, centre - reach, centre + reach, rng.uniform(2, 3, n), dotted=True)
    return _finish(out)


def zigzag(
    images: np.ndarray, lines: int, rng: np.random.Generator, segments: int = 4
) -> np.ndarray:
    """``lines`` random white zigzags of ``segments`` straight segments across each image."""
    out = np.array(images, np.float32)
    n, h, w, _ = out.shape
    along = np.linspace(-1, 1, segments + 1)
    side = np.where(np.arange(segments + 1) % 2 == 0, 1.0, -1.0)  # the corners alternate
    for _ in range(int(lines)):
        centre, direction, half = _random_line(rng, n, h, w)
        normal = np.stack([-direction[:, 1], direction[:, 0]], 1)
        amplitude = rng.uniform(0.08, 0.15, n) * min(h, w)
        corners = (
            centre[:, None]
            + (half[:, None] * along)[..., None] * direction[:, None]
            + (amplitude[:, None] * side)[..., None] * normal[:, None]
        )  # (N, segments + 1, 2)
        for k in range(segments):
            _draw(out, corners[:, k], corners[:, k + 1], 0.5, dotted=False)
    return _finish(out)


def brightness(images: np.ndarray, amount: float) -> np.ndarray:
    """Add ``amount`` to every value (then clip to [0, 1])."""
    return _finish(np.asarray(images, np.float32) + np.float32(amount))


def contrast(images: np.ndarray, factor: float) -> np.ndarray:
    """Scale each image's values about its own mean: 1 leaves it, 0 makes it flat."""
    images = np.asarray(images, np.float32)
    mean = images.mean(axis=(1, 2, 3), keepdims=True)
    return _finish((images - mean) * np.float32(factor) + mean)


def _scaled(images: np.ndarray, level: float, least: int | None = None) -> Any:
    """A length given for 28-pixel images, for this image height; whole pixels, at least
    ``least``, where ``least`` is given."""
    size = level * images.shape[1] / MNIST_SIZE
    return size if least is None else max(least, round(size))


def _signed(primitive: Callable) -> Callable:
    """Apply ``primitive`` at plus or minus the level, the sign drawn for each image."""
    return lambda x, level, rng: primitive(x, level * rng.choice([-1.0, 1.0], len(x)))


def _plain(primitive: Callable, least: int | None = None, size: bool = False) -> Callable:
    """Apply ``primitive`` at the level (scaled to the image height where ``size``)."""
    return lambda x, level, rng: primitive(x, _scaled(x, level, least) if size else level)


def _shift(images: np.ndarray, level: float, rng: np.random.Generator) -> np.ndarray:
    """Translate each image by ``level`` pixels right, left, down or up, at random."""
    step = np.array([(1, 0), (-1, 0), (0, 1), (0, -1)])[rng.integers(0, 4, len(images))]
    step *= _scaled(images, level, least=1)
    return translate(images, step[:, 0], step[:, 1])


def _stripe(images: np.ndarray, level: float, rng: np.random.Generator) -> np.ndarray:
    return stripe(images, _scaled(images, level, least=1), rng)


@dataclasses.dataclass(frozen=True)
class Corruption:
    """One corruption: its parameter at each severity and how to apply it to a batch."""

    name: str
    kind: str  # "geometry", "noise", "blur", "occlusion" or "intensity"
    levels: tuple  # the parameter at severity 1, 2, 3 (for 28-pixel images where in pixels)
    unit: str  # what a level means, for a chart axis
    apply: Callable[[np.ndarray, Any, np.random.Generator], np.ndarray]  # (images, level, rng)


_TABLE = (  # in display order, grouped by kind
    ("rotate", "geometry", (15, 30, 45), "degrees", _signed(rotate)),
    ("shear", "geometry", (0.2, 0.4, 0.6), "shear factor", _signed(shear)),
    ("scale", "geometry", (0.8, 0.65, 0.5), "zoom factor", _plain(scale)),
    ("translate", "geometry", (2, 4, 6), "pixels", _shift),
    ("gaussian_noise", "noise", (0.1, 0.2, 0.35), "sigma", gaussian_noise),
    ("impulse_noise", "noise", (0.03, 0.07, 0.12), "fraction of pixels", impulse_noise),
    ("gaussian_blur", "blur", (0.6, 1.0, 1.5), "sigma (pixels)", _plain(gaussian_blur, size=True)),
    ("motion_blur", "blur", (3, 5, 7), "pixels", _plain(motion_blur, least=2, size=True)),
    ("stripe", "occlusion", (2, 3, 4), "pixels", _stripe),
    ("dotted_line", "occlusion", (1, 2, 3), "lines", dotted_line),
    ("zigzag", "occlusion", (1, 2, 3), "lines", zigzag),
    ("brightness", "intensity", (0.2, 0.35, 0.5), "added", _plain(brightness)),
    ("contrast", "intensity", (0.6, 0.4, 0.2), "contrast factor", _plain(contrast)),
)
CORRUPTIONS: dict[str, Corruption] = {row[0]: Corruption(*row) for row in _TABLE}

# Ten, one to four of each kind: all but the three that repeat a kind's effect on a digit.
DEFAULT = tuple(n for n in CORRUPTIONS if n not in ("motion_blur", "dotted_line", "brightness"))
SETS = ("default", "all", "none")


def names(which: str = "default") -> tuple[str, ...]:
    """The corruptions of a named set: ``default``, ``all`` or ``none`` (no corruption)."""
    if which == "default":
        return DEFAULT
    if which == "all":
        return tuple(CORRUPTIONS)
    if which == "none":
        return ()
    raise BenchError(f"unknown corruption set '{which}'; choose from {', '.join(SETS)}")


def corrupt(images: np.ndarray, name: str, severity: int, seed: int = 0) -> np.ndarray:
    """A corrupted copy of ``images`` (N, H, W, C): ``name`` at ``severity`` (1, 2 or 3),
    reproducible from ``seed`` with a random stream of its own for each name and severity."""
    if name not in CORRUPTIONS:
        raise BenchError(f"unknown corruption '{name}'; choose from {', '.join(CORRUPTIONS)}")
    if severity not in SEVERITIES:
        raise BenchError(f"unknown corruption severity {severity!r}; choose from 1, 2, 3")
    images = np.asarray(images, np.float32)
    if images.ndim != 4 or min(images.shape[1:3]) < 8:
        raise BenchError(f"corruptions need images (N, H, W, C) with H, W >= 8, not {images.shape}")
    if len(images) == 0:
        return images.copy()
    corruption = CORRUPTIONS[name]
    rng = np.random.default_rng((seed, list(CORRUPTIONS).index(name), severity))
    return _finish(corruption.apply(images, corruption.levels[severity - 1], rng))
