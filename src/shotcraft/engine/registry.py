"""Find engines by name without importing them until one is asked for.

Built-in engines are listed as dotted paths, so `import engine.registry` never pulls in torch or
httpx; third-party engines register an entry point in the group "shotcraft.engines".
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import Any

from shotcraft.engine.protocol import Engine
from shotcraft.shots.errors import ConfigError

ENTRY_POINT_GROUP = "shotcraft.engines"

BUILTIN_ENGINES: dict[str, str] = {
    "previz": "shotcraft.engine.previz:PrevizEngine",
    "kling": "shotcraft.engine.kling:KlingEngine",
    "diffusers": "shotcraft.engine.diffusers_engine:DiffusersEngine",
}

# the pip extra that brings each built-in engine's optional dependencies
_EXTRAS = {"kling": "kling", "diffusers": "diffusers", "seedance": "seedance",
           "comfyui": "comfyui"}


def _entry_point_targets() -> dict[str, str]:
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def engine_targets() -> dict[str, str]:
    """Every known engine name → "module:Class"; built-ins win over entry points of that name."""
    return {**_entry_point_targets(), **BUILTIN_ENGINES}


def engine_names() -> list[str]:
    """Names `get_engine` accepts, sorted."""
    return sorted(engine_targets())


def _install_hint(name: str, missing: str | None) -> str:
    extra = _EXTRAS.get(name)
    what = f"'{missing}'" if missing else "an optional dependency"
    if extra:
        return f"engine '{name}' needs {what}; install it with: pip install 'shotcraft[{extra}]'"
    return f"engine '{name}' needs {what}, which is not installed; install it with pip"


def load_engine_class(name: str) -> type[Engine]:
    """Import the class registered as `name`; ConfigError when unknown or not installable."""
    targets = engine_targets()
    if name not in targets:
        known = ", ".join(sorted(targets))
        raise ConfigError(f"unknown engine '{name}'; known engines: {known}.")
    module_name, _, attr = targets[name].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        missing = getattr(exc, "name", None)
        if missing == module_name:
            raise ConfigError(
                f"engine '{name}' is registered as {targets[name]}, but {module_name} is not installed."
            ) from exc
        raise ConfigError(_install_hint(name, missing) + ".") from exc
    cls = getattr(module, attr, None)
    if not isinstance(cls, type) or not issubclass(cls, Engine):
        raise ConfigError(f"engine '{name}' points at {targets[name]}, which is not an Engine class.")
    return cls


def get_engine(name: str, **settings: Any) -> Engine:
    """An engine instance by name, configured with `settings` (passed to its constructor)."""
    cls = load_engine_class(name)
    try:
        return cls(**settings)
    except ImportError as exc:
        # engines may import heavy dependencies lazily in their constructor
        raise ConfigError(_install_hint(name, getattr(exc, "name", None)) + ".") from exc
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
