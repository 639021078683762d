"""Names that become folder names and table identifiers: each must be one safe path component.

Architecture names, run ids and the parts they are made of end up as folders under
``--out`` and as ids in the report's tables, so a name such as ``../../x`` or ``a<b>/c``
would write outside the results folder or nest folders no one asked for.
"""

from __future__ import annotations

from architectures._registry import SAFE_NAME_RULE, is_safe_name
from bench.errors import BenchError

__all__ = ["SAFE_NAME_RULE", "check_name", "is_safe_name"]


def check_name(name: object, what: str, error: type[BenchError] = BenchError) -> str:
    """``name`` itself when it is safe; otherwise ``error`` saying that ``what`` is not."""
    if not is_safe_name(name):
        raise error(f"{what} {name!r} is not usable as a folder name: use only {SAFE_NAME_RULE}")
    return name
