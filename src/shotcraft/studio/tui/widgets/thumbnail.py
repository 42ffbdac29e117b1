"""A take's keyframe drawn in the terminal: one cell holds two pixels (▀, fg = top, bg = bottom)."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import numpy as np
from PIL import Image
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

RGB = tuple[int, int, int]


def half_block_lines(image: Image.Image, width: int, height: int) -> list[list[Segment]]:
    """Scale an image to fit width × height cells and return one list of segments per line."""
    image = image.convert("RGB")
    scale = min(width / image.width, (height * 2) / image.height)
    size = (max(1, int(image.width * scale)), max(2, int(image.height * scale) // 2 * 2))
    rows = np.asarray(image.resize(size, Image.Resampling.BILINEAR)).tolist()
    colours: dict[tuple[int, int, int], Color] = {}

    def colour(rgb: list[int]) -> Color:
        key = cast(RGB, tuple(rgb))
        found = colours.get(key)
        if found is None:
            found = colours[key] = Color.from_rgb(*key)
        return found

    # Style.from_color with ready Colors: parsing "rgb(…)" strings cost most of the time
    return [[Segment("▀", Style.from_color(colour(top), colour(bottom)))
             for top, bottom in zip(rows[y], rows[y + 1], strict=True)]
            for y in range(0, size[1], 2)]


class Thumbnail(Widget):
    """Shows a PNG as half-block cells; says so in words when there is no picture."""

    DEFAULT_CSS = "Thumbnail { width: 40; height: 20; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._path: Path | None = None
        self._lines: list[list[Segment]] = []
        self._message = "no take highlighted"

    def show(self, path: Path | None, message: str = "no picture for this take") -> None:
        """Draw `path` (a still image), or the message when it is None or unreadable."""
        self._path, self._lines, self._message = path, [], message
        if path is not None:
            try:
                with Image.open(path) as image:
                    self._lines = half_block_lines(image, self.size.width or 40,
                                                   self.size.height or 20)
            except (OSError, ValueError):
                self._message = f"cannot read {path.name}"
        self.refresh()

    def on_resize(self) -> None:
        if self._path is not None:
            self.show(self._path, self._message)

    @property
    def drawn(self) -> bool:
        return bool(self._lines)

    def render_line(self, y: int) -> Strip:
        if not self._lines:
            return Strip([Segment(self._message)] if y == 0 else [])
        if y < len(self._lines):
            return Strip(self._lines[y])
        return Strip([])
