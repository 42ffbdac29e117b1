"""A stand-in plugin, known for the length of a test as an installed one would be."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from shotcraft.shots.plugins import PluginKind


@contextmanager
def added(kind: PluginKind[Any], name: str, target: str | type) -> Iterator[None]:
    """`kind` knows `name` (a class, or "module:Class") inside the block, and not after it."""
    kind.add(name, target)
    try:
        yield
    finally:
        kind.remove(name)
