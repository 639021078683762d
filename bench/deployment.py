"""The deployment figures, as functions: what an architecture costs on a device.
``bench list`` and ``bench latency`` call these.

``list_architectures`` gives each architecture's parameters, FLOPs and, from LiteRT exports
of a freshly built model, its flash size and peak activation memory in float32 and int8
(sizes do not depend on the weights); ``measure_latency`` times each architecture through
several runtimes. ``quantize`` is kept for a release: ``bench.measure_runs("exports")`` replaces it.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.api import PathLike, select_architectures
from bench.errors import BenchError

if TYPE_CHECKING:
    from bench.store.records import RunRecord

# The precisions `bench list` exports each architecture at: what it is trained in, and what
# a microcontroller runs.
LISTED_EXPORTS = ("float32", "int8")
# The modules whose code makes the figures ``list_architectures`` keeps, beside this one.
_MEASURING = ("bench.measure.litert", "bench.measure.modelinfo", "bench.measure.tflm")


def measure_latency(
    archs: str | Sequence[str] | None = None,
    results: PathLike = "results",
    runtimes: Sequence[str] | None = None,
    calls: int = 200,
    batch_size: int = 256,
    threads: int | None = None,
    arch_modules: Sequence[PathLike] = (),
    announce: Callable[[str], None] | None = None,
) -> list[tuple[str, list]]:
    """Batch-1 latency and batch throughput of each architecture through each runtime (None:
    all), stored under ``results``/latency; trained models found in ``results`` are timed,
    freshly built ones otherwise. ``announce`` gets a line per architecture on its weights."""
    from bench.measure import latency as lat
    from bench.store import results as store
    from bench.store.latency import write_latency

    runtimes = tuple(runtimes or lat.RUNTIMES)
    unknown = sorted(set(runtimes) - set(lat.RUNTIMES))
    if unknown:
        raise BenchError(f"unknown runtime {', '.join(unknown)}; known: {', '.join(lat.RUNTIMES)}")
    if threads:
        lat.limit_tensorflow_threads(threads)  # before any model exists
    names = select_architectures(archs, arch_modules)
    settings = lat.LatencySettings(calls=calls, batch_size=batch_size, threads=threads or 0)
    trained = store.latest_models(results)
    measured = []
    for name in names:
        model, weights = _latency_model(name, trained.get(name))
        if announce is not None:
            announce(f"{name}: {weights}")
        found = lat.measure(model, runtimes, settings)
        write_latency(results, name, found, weights, model.input_shape[1:])
        measured.append((name, found))
    return measured


def _latency_model(name: str, model_path: Path | None):
    """The trained model of ``name`` where one exists, else a freshly built one."""
    import keras

    import architectures

    if model_path is not None:
        return keras.saving.load_model(model_path, compile=False), f"trained ({model_path})"
    return architectures.create(name), "freshly built weights (no trained model found)"


def list_architectures(
    archs: str | Sequence[str] | None = None,
    arch_modules: Sequence[PathLike] = (),
    input_shape: Sequence[int] = (28, 28, 1),
    num_classes: int = 10,
    exports: str | None = None,
    announce: Callable[[str], None] | None = None,
    cache: PathLike | None = None,
) -> list[dict]:
    """Each architecture of ``archs`` (None: every registered one): parameters, forward
    FLOPs per image, saved size, and the flash size (``<precision>_bytes``) and peak
    activation memory at batch 1 (``<precision>_peak_activation_bytes``) of its float32 and
    int8 LiteRT exports, None for a precision not exported (``exports`` as ``bench.api.run``
    takes it; default ``$BENCH_EXPORTS``, else ``LISTED_EXPORTS``) or whose export failed.
    ``int8_arena_bytes`` is the tensor arena TFLM allocates for the int8 model, the RAM a
    firmware reserves (None where TFLM is not installed or cannot run it);
    ``peak_activation_bytes``, the int8 model's LiteRT activation plan, is less.
    ``announce`` gets a line as each architecture is begun. With a ``cache`` file, the
    figures are kept there, by listing (``listing_key``) and by builder (``size_key``), and
    read back instead of exported again; ``sizes`` says which each row's are: ``"exported"``,
    ``"cached"`` or None (nothing exported)."""
    import os

    from bench.measurements.exports import ExportsMeasurement, parse_exports

    variable = os.environ.get(ExportsMeasurement.environment_variable)
    listed = parse_exports(exports or variable or ",".join(LISTED_EXPORTS)).precisions
    sizes_cache = SizeCache(None if cache is None or not listed else Path(cache))
    # the whole listing, kept by its files: no model built, nor TensorFlow imported
    whole = listing_key(archs, arch_modules, input_shape, num_classes, listed)
    kept = sizes_cache.get(whole)
    if kept is not None and isinstance(kept.get("rows"), list):  # in the order made
        return [{**{key: row.get(key) for key in kept["order"]}, "sizes": "cached"}
                for row in kept["rows"]]  # fmt: skip
    names = select_architectures(archs, arch_modules)  # imports arch_modules, once
    import architectures

    rows = []
    for index, name in enumerate(names, 1):
        spec = architectures.get(name)
        key = size_key(spec.code_digest(), input_shape, num_classes, listed)
        figures, source = sizes_cache.get(key), "cached"
        if figures is None:  # not kept: build and export it
            if announce is not None and listed:
                announce(f"[{index}/{len(names)}] {name}: exporting")
            shape = tuple(input_shape)
            model = architectures.create(name, input_shape=shape, num_classes=num_classes)
            figures, source = _figures(model, listed), "exported"
            sizes_cache.put(key, figures)
        rows.append(
            {
                "name": name,
                **figures,
                "sizes": source if listed else None,
                "description": spec.description,
                "reference": spec.reference,
            }
        )
    sizes_cache.put(whole, {"order": list(rows[0]) if rows else [], "rows": rows})
    return rows


def _figures(model, precisions: Sequence[str]) -> dict:
    """A built model's row of ``list_architectures`` but for its name and metadata."""
    from bench.measure.modelinfo import model_info

    info = model_info(model)
    return {
        "params": info.params,
        "flops": info.flops,
        "saved_bytes": info.saved_bytes,
        **export_sizes(model, precisions),
    }


class SizeCache:
    """``list_architectures``' figures by ``size_key``, in one JSON file (None: remember
    nothing). A file that cannot be read is started afresh; one that cannot be written is a
    ``WriteError``."""

    def __init__(self, path: Path | None):
        from bench.store.files import read_json

        self.path = path
        found = read_json(path) if path is not None else None
        self.entries: dict[str, dict] = found if isinstance(found, dict) else {}

    def get(self, key: str | None) -> dict | None:
        found = self.entries.get(key) if key is not None else None
        return dict(found) if isinstance(found, dict) else None

    def put(self, key: str | None, sizes: dict) -> None:
        from bench.store.files import write_json

        if self.path is not None and key is not None:
            self.entries[key] = sizes
            write_json(self.path, self.entries)


def size_key(
    code_digest: str, input_shape: Sequence[int], num_classes: int, precisions: Sequence[str]
) -> str | None:
    """What a listed network's figures depend on: its builder's code (``ArchSpec.code_digest``,
    the rule by which runs are redone), its input and output, the precisions, the code that
    converts and measures it, and the versions of TensorFlow, LiteRT and TFLM. None for a
    builder without a file, whose figures are not kept."""
    import hashlib
    import json

    if not code_digest:
        return None
    parts = {
        "builder": code_digest,
        "input": [int(d) for d in input_shape],
        "classes": int(num_classes),
        "precisions": sorted(precisions),
        **_measuring_code_and_versions(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


@functools.cache
def _measuring_code_and_versions() -> dict[str, str | None]:
    """A hash of the code that converts and measures (found, not imported: no TensorFlow
    for a key) and the versions of the packages it calls; the same for every key of a
    process, so worked out once."""
    import hashlib
    import importlib.metadata
    import importlib.util

    found: dict[str, str | None] = {}
    for package in ("tensorflow", "tensorflow-cpu", "ai-edge-litert", "tflite-micro"):
        try:  # the converter comes as tensorflow or tensorflow-cpu
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            found[package] = None
    code = hashlib.sha256()
    for module in (*_MEASURING, __name__):
        code.update(Path(importlib.util.find_spec(module).origin).read_bytes())
    return {"code": code.hexdigest()[:12], **found}


def listing_key(
    archs: str | Sequence[str] | None,
    arch_modules: Sequence[PathLike],
    input_shape: Sequence[int],
    num_classes: int,
    precisions: Sequence[str],
) -> str | None:
    """``size_key`` for a whole listing: the names asked for, and the files that register
    the architectures (the ``architectures`` package, ``arch_modules`` and the installed entry
    points by version) in place of one builder's code. None where a module cannot be read."""
    import hashlib
    import importlib.metadata

    import architectures

    files = sorted(Path(architectures.__file__).parent.glob("*.py"))
    asked = [archs] if isinstance(archs, str) else sorted(archs or [])
    digest = hashlib.sha256(repr(asked).encode())
    try:
        for path in [*files, *map(Path, arch_modules)]:
            digest.update(path.read_bytes())
    except OSError:
        return None
    for entry in importlib.metadata.entry_points(group=architectures.ENTRY_POINT_GROUP):
        version = entry.dist.version if entry.dist is not None else ""
        digest.update(f"{entry.name}={entry.value}@{version}".encode())
    return size_key(f"listing {digest.hexdigest()[:12]}", input_shape, num_classes, precisions)


def export_sizes(model, precisions: Sequence[str] = LISTED_EXPORTS) -> dict[str, int | None]:
    """Flash and peak activation bytes of ``model``'s exports at ``precisions`` (None for the
    others of ``LISTED_EXPORTS`` and where one fails), int8 calibrated on seeded uniform
    noise. Sizes do not depend on the values, but for one thing: the converter stores equal
    constants once, and an untrained model's are often equal (zero biases, unit scales),
    which no trained one's are; so a copy whose every weight is nudged apart is exported."""
    import numpy as np

    from bench.measure import litert

    shape = tuple(int(d) for d in model.input_shape[1:])
    calibration = np.random.default_rng(0).random((16, *shape), dtype=np.float32)
    model = _distinct_weights(model)
    sizes: dict[str, int | None] = {}
    with contextlib.ExitStack() as stack:
        try:  # one saved model for every precision; none where it cannot be saved
            source = stack.enter_context(litert.saved_for_conversion(model))
        except Exception:  # noqa: BLE001
            precisions = ()
        for precision in dict.fromkeys([*LISTED_EXPORTS, *precisions]):
            content = None
            # a model the converter refuses lists as None
            with contextlib.suppress(Exception):
                if precision in precisions:
                    content = litert.convert(source, precision, calibration)
            sizes[f"{precision}_bytes"] = None if content is None else len(content)
            peak = None if content is None else litert.peak_activation_bytes(content)
            sizes[f"{precision}_peak_activation_bytes"] = peak
            if precision == "int8":
                sizes["int8_arena_bytes"] = _arena(content, calibration[:1])
    sizes["peak_activation_bytes"] = sizes["int8_peak_activation_bytes"]
    return sizes


def _distinct_weights(model):
    """A copy of ``model`` with a small positive nudge, drawn per value, added to every
    weight (a positive one keeps a variance positive)."""
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    copy = keras.models.clone_model(model)
    copy.set_weights(
        [w + rng.uniform(1e-3, 2e-3, w.shape).astype(w.dtype) for w in model.get_weights()]
    )
    return copy


def _arena(content: bytes | None, image) -> int | None:
    """The tensor arena TFLM allocates for an int8 model; None without one, or without TFLM,
    or where TFLM cannot run it."""
    from bench.measure import tflm

    if content is None:
        return None
    try:
        return tflm.run_model(content, image).arena.total
    except (tflm.Unavailable, tflm.MicroFailed):
        return None


def quantize(
    results: PathLike = "results",
    data_dir: PathLike | None = None,
    exports: Any = None,
    keep_exports: bool = False,
    force: bool = False,
    arch_modules: Sequence[PathLike] = (),
    announce: Callable[[str], None] | None = None,
) -> list[RunRecord]:
    """Deprecated: ``bench.measure_runs("exports", results, data_dir, exports, ...)``."""
    import warnings

    from bench.revisit import measure_runs

    warnings.warn(
        'bench.quantize is deprecated; use bench.measure_runs("exports", ...)',
        DeprecationWarning,
        stacklevel=2,
    )
    return measure_runs(
        "exports", results, data_dir, exports, force, arch_modules, (), announce,
        {"keep_exports": keep_exports},
    )  # fmt: skip
