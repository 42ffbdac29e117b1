"""Render engines: the protocol, the registry, request building and the previz animatic.

Only light modules are imported here; engines with heavy dependencies (diffusers, kling) load
through `engine.registry.get_engine` when they are asked for.
"""

from shotcraft.engine.protocol import (
    Capabilities,
    CharacterRef,
    Engine,
    Progress,
    RenderedTake,
    RenderRequest,
)
from shotcraft.engine.registry import engine_names, get_engine
from shotcraft.engine.request import build_request
from shotcraft.engine.settings import EngineSettings, render_size, scaled_size

__all__ = [
    "Capabilities",
    "CharacterRef",
    "Engine",
    "EngineSettings",
    "Progress",
    "RenderRequest",
    "RenderedTake",
    "build_request",
    "engine_names",
    "get_engine",
    "render_size",
    "scaled_size",
]
