"""How counts are written in the messages and pages the tools print: "1 run", "2 runs"."""

from __future__ import annotations


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``count`` and ``noun``, the noun plural unless the count is one: ``16 runs``,
    ``1 architecture``; ``plural`` for nouns that do not just add an s."""
    word = noun if count == 1 else plural or f"{noun}s"
    return f"{count:,} {word}"
