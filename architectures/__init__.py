"""Registered architectures, one module per family; every module here is found automatically.

Add an architecture by dropping a file into this folder (or passing ``--arch-module FILE``
to the CLI, or declaring an entry point in the ``mnist_bench.architectures`` group)::

    import keras
    from architectures import register

    @register(reference="my paper", train=dict(epochs=10))
    def tiny_mlp(input_shape, num_classes, hp=None):
        \"\"\"A two-layer perceptron.\"\"\"
        ...
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import pkgutil
import sys
from pathlib import Path

from architectures import _registry
from architectures._registry import (
    ArchitectureError,
    ArchSpec,
    create,
    get,
    is_safe_name,
    names,
    register,
)

__all__ = [
    "ArchSpec",
    "ArchitectureError",
    "create",
    "get",
    "is_safe_name",
    "import_file",
    "load_module",
    "load_entry_points",
    "names",
    "register",
]

ENTRY_POINT_GROUP = "mnist_bench.architectures"


def _discover_builtin() -> None:
    # Imported on the first look at the registry, not with the package: building models
    # needs Keras, naming them does not (the command line starts without it).
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")


def load_module(path: str | Path) -> None:
    """Import a Python file so that the architectures it registers become available."""
    import_file(path, f"_bench_user_{Path(path).stem}", "--arch-module")


def import_file(
    path: str | Path, module_name: str, option: str, error: type[Exception] = ArchitectureError
) -> None:
    """Import the Python file ``path`` as ``module_name``; ``error`` naming ``option`` and the
    file when it is not there, not a module, or fails to import (then it is not kept)."""
    path = Path(path)
    if not path.is_file():
        raise error(f"{option} {path}: no such file")
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise error(f"{option} {path}: not a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[module_name]
        if isinstance(exc, (ArchitectureError, error)):
            raise
        raise error(f"{option} {path}: import failed with {type(exc).__name__}: {exc}") from exc


def load_entry_points() -> None:
    """Import the modules that installed packages declare as architecture plugins."""
    for entry in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            entry.load()
        except Exception as exc:
            raise ArchitectureError(
                f"entry point '{entry.name}' ({entry.value}): import failed with "
                f"{type(exc).__name__}: {exc}"
            ) from exc


_registry._DISCOVERERS.append(_discover_builtin)
