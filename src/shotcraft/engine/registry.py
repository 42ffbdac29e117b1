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
                                         order=("previz", "kling", "diffusers",
                                                "seedance", "comfyui"))


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


def configured_engines(*, exclude: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """Engines that could draw now: installed, made with their settings from the environment,
    and ready (`check_ready`: keys, a server URL). Named when one engine refuses a shot."""
    ready = []
    for name in engine_names():
        if name in exclude:
            continue
        try:
            engine = get_engine(name)
            engine.check_ready()
            caps = engine.capabilities()
        except Exception:  # noqa: BLE001 - not installed, not configured or not ready: left out
            continue
        if not (caps.text_to_video or caps.image_to_video):
            continue  # nothing to draw a video take with (a diffusers install without a model)
        ready.append(name)
    return ready


def multi_shot_engines() -> list[str]:
    """Engines that, as set up here, draw several shots as one clip (capabilities.multi_shot)."""
    found = []
    for name in engine_names():
        try:
            if get_engine(name).capabilities().multi_shot:
                found.append(name)
        except Exception:  # noqa: BLE001 - not installed or not set up: not offered
            continue
    return found
