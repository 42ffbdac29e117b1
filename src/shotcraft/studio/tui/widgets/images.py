"""How the studio draws pictures: real pixels where the terminal can show them, half blocks else.

`SHOTCRAFT_IMAGES=auto|kitty|sixel|iterm|halfblock` (default auto). Pixel modes go through
textual-image, which must ask the terminal what it supports *before* Textual takes the screen
over: `shotcraft board` calls `resolve_mode()` first; the answer is kept for the process.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from shotcraft.shots.errors import ConfigError
from shotcraft.shots.settings import GeneralSettings

MODES = ("auto", "kitty", "sixel", "iterm", "halfblock")


@dataclass(frozen=True)
class ImageMode:
    name: str  # kitty, sixel or halfblock: what is drawn
    why: str = ""  # why auto (or a mode this build cannot draw) ended there

    @property
    def pixels(self) -> bool:
        return self.name != "halfblock"

    @property
    def label(self) -> str:
        return self.name if not self.why else f"{self.name} ({self.why})"


_resolved: ImageMode | None = None


def requested() -> str:
    """The mode SHOTCRAFT_IMAGES asks for; ConfigError naming the variable when unknown."""
    value = GeneralSettings().images.strip().lower() or "auto"
    if value not in MODES:
        raise ConfigError(f"SHOTCRAFT_IMAGES is {value!r}; it must be one of "
                          f"{', '.join(MODES)}.", title="Settings")
    return value


def resolve_mode(*, headless: bool = False) -> ImageMode:
    """The drawing mode for this process (asks the terminal once, on the first call)."""
    global _resolved  # noqa: PLW0603 - the terminal is asked once per process
    if _resolved is not None:
        return _resolved
    wanted = requested()
    if wanted == "halfblock":
        mode = ImageMode("halfblock")
    elif wanted == "iterm":
        # textual-image draws Kitty graphics and Sixel; it has no iTerm2 renderer
        mode = ImageMode("halfblock", "iTerm2 images are not supported by textual-image")
    elif wanted in ("kitty", "sixel"):
        mode = ImageMode(wanted)
    elif headless:
        return ImageMode("halfblock", "headless")  # not kept: a later real run still asks
    elif not (sys.__stdout__ and sys.__stdout__.isatty()):
        mode = ImageMode("halfblock", "not a terminal")
    else:
        mode = _detect()
    if mode.pixels:
        import textual_image.widget  # noqa: F401 - measures the terminal's cells while it can
    _resolved = mode
    return mode


def _detect() -> ImageMode:
    try:
        # importing asks the terminal (Sixel, then Kitty graphics) with short timeouts
        from textual_image.renderable import Image, SixelImage, TGPImage
    except Exception as exc:  # noqa: BLE001 - a terminal that answers oddly gets half blocks
        return ImageMode("halfblock", f"terminal query failed: {exc}")
    if Image is SixelImage:
        return ImageMode("sixel")
    if Image is TGPImage:
        return ImageMode("kitty")
    return ImageMode("halfblock", "no Kitty graphics or Sixel here")


def pixel_widget(mode: ImageMode) -> Any:
    """A textual-image widget class for a pixel mode."""
    from textual_image.widget import SixelImage, TGPImage

    return SixelImage if mode.name == "sixel" else TGPImage


def cell_pixels() -> tuple[int, int]:
    """Pixels per terminal cell (width, height), as textual-image measured them at start."""
    from textual_image._terminal import get_cell_size

    size = get_cell_size()
    return max(1, size.width), max(1, size.height)
