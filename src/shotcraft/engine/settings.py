"""Engine settings (`[engine]`, `SHOTCRAFT_*`: shots/settings.py), and render sizes by aspect.

Engine-specific settings (Kling keys, diffusers model ids) live with their engines; these are the
ones every render path shares.
"""

from __future__ import annotations

import re

from pydantic_settings import SettingsConfigDict

from shotcraft.shots.errors import SpecError
from shotcraft.shots.settings import Section

_ASPECT_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*:\s*(\d+(?:\.\d+)?)\s*$")


class EngineSettings(Section):
    """Shared render settings (`[engine]`); `SHOTCRAFT_DEFAULT_ENGINE=kling` etc. override them."""

    section = "engine"
    model_config = SettingsConfigDict(env_prefix="SHOTCRAFT_", extra="ignore")

    default_engine: str = "previz"
    # previz draws at this fraction of the project size unless full size is asked for: a
    # 540×960 animatic reads as well as 1080×1920 and renders four times faster
    previz_scale: float = 0.5
    takes_default: int = 3


def _even(value: float) -> int:
    return max(2, int(round(value / 2.0)) * 2)


def parse_aspect(aspect: str) -> tuple[float, float]:
    """Split "W:H" into two positive numbers; raise SpecError(field="aspect") otherwise."""
    match = _ASPECT_RE.match(aspect or "")
    if not match:
        raise SpecError(f"'{aspect}' is not an aspect ratio like 9:16 or 16:9.", field="aspect")
    width, height = float(match[1]), float(match[2])
    if width <= 0 or height <= 0:
        raise SpecError(f"'{aspect}' has a zero side; use an aspect like 9:16.", field="aspect")
    return width, height


def render_size(aspect: str, *, long_side: int = 1920) -> tuple[int, int]:
    """Width and height (both even) for `aspect` with its long side `long_side` pixels.

    9:16 → 1080×1920, 16:9 → 1920×1080, 1:1 → 1080×1080 (a square uses the short side of the
    common formats so it matches 1080-wide deliveries).
    """
    width, height = parse_aspect(aspect)
    if width == height:
        side = _even(long_side * 9 / 16)
        return side, side
    if width > height:
        return _even(long_side), _even(long_side * height / width)
    return _even(long_side * width / height), _even(long_side)


def scaled_size(width: int, height: int, scale: float) -> tuple[int, int]:
    """`width`×`height` scaled by `scale`, rounded to even numbers (H.264 yuv420p needs them)."""
    if scale <= 0:
        raise SpecError(f"scale {scale} must be greater than zero.", field="previz_scale")
    return _even(width * scale), _even(height * scale)
