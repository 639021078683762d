"""The architecture registry: ``@register`` a builder, then ``create`` it by name.

A builder has the signature ``build(input_shape, num_classes, hp=None) -> keras.Model``.
``hp`` is a ``keras_tuner.HyperParameters``: a builder reads its tunable choices from
it (``hp.Int("width", 16, 64, default=32)``), which both declares the search space and,
on a fresh ``HyperParameters``, returns the defaults. ``create`` always passes one.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

Builder = Callable[..., Any]

# Names become folder names and table ids (``bench.names``), so each is one path component.
SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
SAFE_NAME_RULE = "letters, digits, '_', '.' and '-', starting with a letter, digit or '_'"


class ArchitectureError(ValueError):
    """An unknown architecture, or a builder that fails or returns the wrong model.

    The CLI prints it as one line and exits with code 2, like any other bad input.
    """


def is_safe_name(name: object) -> bool:
    """Whether ``name`` is usable as one folder name (``SAFE_NAME_RULE``)."""
    return isinstance(name, str) and SAFE_NAME.fullmatch(name) is not None


@dataclasses.dataclass(frozen=True)
class ArchSpec:
    """A registered architecture: its builder and the metadata shown in every table."""

    name: str
    builder: Builder
    description: str = ""
    reference: str = ""
    # Training settings that differ from ``bench.config.TrainConfig``'s defaults, by name.
    train: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    source: str = ""  # module the builder came from

    def code_digest(self) -> str:
        """A short hash of the builder's source: runs made with other code are redone.

        The source is the builder's file and the files beside it that it imports from (the
        shared blocks of ``architectures._layers``), so an edit to a shared block is seen
        by every architecture built from it.
        """
        import hashlib

        files = source_files(self.builder)
        if not files:
            return ""  # builders made at runtime have no file; nothing to compare
        digest = hashlib.sha256()
        try:
            for path in files:
                digest.update(path.read_bytes())
        except OSError:
            return ""
        return digest.hexdigest()[:12]


def source_files(builder: Builder) -> list[Path]:
    """The builder's file, then the files of its own folder that the file imports from,
    this package's registry and ``__init__`` excepted (they shape no model)."""
    import inspect
    import sys

    try:
        own = Path(inspect.getsourcefile(builder) or "").resolve()
    except TypeError:
        return []
    if not own.is_file():
        return []
    module = sys.modules.get(getattr(builder, "__module__", ""))
    helpers = set()
    for value in vars(module).values() if module is not None else ():
        source = value if inspect.ismodule(value) else inspect.getmodule(value)
        try:
            path = Path(inspect.getsourcefile(source) or "").resolve()
        except TypeError:
            continue
        if path.parent == own.parent and path != own and path not in _REGISTRY_FILES:
            helpers.add(path)
    return [own, *sorted(helpers)]


_REGISTRY: dict[str, ArchSpec] = {}
_DISCOVERERS: list[Callable[[], None]] = []  # run once, on the first look at the registry


def _discover() -> None:
    while _DISCOVERERS:
        _DISCOVERERS.pop(0)()


_REGISTRY_FILES = {Path(__file__).resolve(), Path(__file__).resolve().with_name("__init__.py")}


def register(
    fn: Builder | None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    reference: str = "",
    train: Mapping[str, Any] | None = None,
) -> Any:
    """Register a builder under ``name`` (default: the function's name).

    Usable bare (``@register``) or with metadata (``@register(reference=...)``). The name
    becomes a folder name and a table id, so it must be one safe path component
    (``bench.names``): letters, digits, ``_``, ``.`` and ``-``, not starting with ``.`` or ``-``.
    ``description`` defaults to the first line of the builder's docstring. ``train`` holds the
    training settings in which the architecture differs from ``bench.config.TrainConfig``'s
    defaults (``train=dict(epochs=20, batch_size=64)``); the suite checks their names.
    """

    def wrap(builder: Builder) -> Builder:
        arch_name = builder.__name__ if name is None else name
        if not is_safe_name(arch_name):
            where = (source_files(builder) or [builder.__module__])[0]
            raise ArchitectureError(
                f"architecture name (in {where}) {arch_name!r} is not usable as a folder name: "
                f"use only {SAFE_NAME_RULE}"
            )
        doc = (builder.__doc__ or "").strip().splitlines()
        spec = ArchSpec(
            name=arch_name,
            builder=builder,
            description=description if description is not None else (doc[0] if doc else ""),
            reference=reference,
            train=MappingProxyType(dict(train or {})),
            source=builder.__module__,
        )
        existing = _REGISTRY.get(arch_name)
        if existing is not None and existing.source != spec.source:
            raise ArchitectureError(
                f"architecture '{arch_name}' from {spec.source} clashes with the one "
                f"from {existing.source}; give it another name"
            )
        _REGISTRY[arch_name] = spec
        return builder

    return wrap(fn) if fn is not None else wrap


def names() -> list[str]:
    """Names of all registered architectures, sorted."""
    _discover()
    return sorted(_REGISTRY)


def get(name: str) -> ArchSpec:
    """The spec registered under ``name``; an error listing the known names otherwise."""
    _discover()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(names()) or "none"
        raise ArchitectureError(
            f"unknown architecture '{name}'; known: {known} "
            "(add one as a file in architectures/ or with --arch-module FILE)"
        ) from None


def create(
    name: str,
    input_shape: tuple[int, ...] = (28, 28, 1),
    num_classes: int = 10,
    hp: Any = None,
) -> Any:
    """Build architecture ``name`` and check it fits the data.

    A builder that raises, or returns something other than a ``keras.Model`` taking
    ``input_shape`` and giving ``num_classes`` outputs, raises ``ArchitectureError``
    naming the architecture.
    """
    import keras
    import keras_tuner

    spec = get(name)
    hp = hp if hp is not None else keras_tuner.HyperParameters()
    try:
        model = spec.builder(tuple(input_shape), num_classes, hp)
    except Exception as exc:  # a user's builder can fail in any way
        raise ArchitectureError(
            f"architecture '{name}' ({spec.source}): builder raised "
            f"{type(exc).__name__}: {one_line(exc)}"
        ) from exc
    if not isinstance(model, keras.Model):
        raise ArchitectureError(
            f"architecture '{name}' ({spec.source}): builder returned "
            f"{type(model).__name__}, expected a keras.Model"
        )
    try:
        got_in = tuple(model.inputs[0].shape[1:])
        got_out = tuple(model.outputs[0].shape[1:])
    except (AttributeError, IndexError, ValueError):
        raise ArchitectureError(
            f"architecture '{name}' ({spec.source}): the model has no defined inputs; "
            "build it on keras.Input(input_shape)"
        ) from None
    if got_in != tuple(input_shape) or got_out != (num_classes,):
        raise ArchitectureError(
            f"architecture '{name}' ({spec.source}): model maps {got_in} -> {got_out}, "
            f"expected {tuple(input_shape)} -> ({num_classes},)"
        )
    return model


def one_line(exc: BaseException, limit: int = 300) -> str:
    """``exc``'s message on one line, cut to ``limit`` characters (its type if it has none)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."
