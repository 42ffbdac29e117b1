"""Engines by name: the `shotcraft.engines` entry points (shots/plugins.py), loaded when asked for.

shotcraft's own engines are declared there too (pyproject.toml), so `import engine.registry`
never pulls in torch or httpx, and a third-party engine is one module and one entry point.
"""

from __future__ import annotations

from typing import Any

from shotcraft.engine.protocol import Engine
from shotcraft.shots.errors import ConfigError
from shotcraft.shots.models import TakeKind
from shotcraft.shots.plugins import PluginKind

ENTRY_POINT_GROUP = "shotcraft.engines"
ENGINES: PluginKind[Engine] = PluginKind(ENTRY_POINT_GROUP, "engine", Engine,
                                         order=("previz", "kling", "diffusers"))


def engine_names() -> list[str]:
    """Names `get_engine` accepts: the installed engines, shotcraft's own first."""
    return ENGINES.names()


def load_engine_class(name: str) -> type[Engine]:
    """Import the class registered as `name`; ConfigError when unknown or not installable."""
    return ENGINES.load(name)


def engines_for(kind: TakeKind) -> list[str]:
    """The installed engines whose class declares it draws takes of `kind` (`Engine.kinds`);
    an engine whose own dependencies are missing is left out."""
    return [name for name in engine_names()
            if ENGINES.available(name) and kind in ENGINES.load(name).kinds]


def get_engine(name: str, **settings: Any) -> Engine:
    """An engine instance by name, configured with `settings` (passed to its constructor)."""
    try:
        return ENGINES.make(name, **settings)
    except TypeError as exc:
        if not settings:
            raise
        raise ConfigError(f"engine '{name}' does not accept these settings: {exc}.") from exc
