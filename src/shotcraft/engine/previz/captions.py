"""The fixed overlay: fonts, line wrapping, the slate and the dialogue caption card."""

from __future__ import annotations

import logging
import re
import warnings
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from shotcraft.engine.previz.colour import RGB, mix
from shotcraft.engine.previz.figures import character_colour
from shotcraft.engine.protocol import RenderRequest
from shotcraft.shots.fonts import draw_text, fonts_for, missing_glyphs_sentence, undrawable
from shotcraft.shots.media import cjk_font
from shotcraft.shots.models import framing_label

log = logging.getLogger(__name__)

_warned_font = False


@cache
def load_font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    global _warned_font
    path = cjk_font()
    if path is not None:
        try:
            return ImageFont.truetype(str(path), size)
        except OSError:
            pass
    if not _warned_font:
        _warned_font = True
        warnings.warn(
            "no CJK font found (install fonts-wqy-microhei or set SHOTCRAFT_FONT); previz "
            "captions use PIL's default font and cannot show Chinese.",
            stacklevel=2,
        )
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow built without FreeType
        return ImageFont.load_default()


_TOKEN_RE = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]+\s*|\s+")


_NO_LINE_START = set("，。！？、；：）」』”’》〉…—,.!?;:)]}%")


def wrap_text(text: str, font: Any, max_width: float, max_lines: int = 3) -> list[str]:
    """Greedy wrap: Chinese breaks between any characters, other text between words."""
    lines: list[str] = []
    current = ""
    for token in _TOKEN_RE.findall(text.replace("\n", " ")):
        candidate = current + token
        # closing punctuation never starts a line (避头尾): it stays with the line it closes
        if current and token[0] not in _NO_LINE_START and font.getlength(candidate.rstrip()) > max_width:
            lines.append(current.rstrip())
            current = token.lstrip()
        else:
            current = candidate
    if current.strip():
        lines.append(current.rstrip())
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: max(1, len(lines[-1]) - 1)] + "…"
    return lines


def _has_cjk(text: str) -> bool:
    return bool(re.search(r"[\u2e80-\u9fff]", text))


@dataclass
class Patch:
    """A precomputed RGBA overlay piece: blended into its bounding box only."""

    x: int
    y: int
    premul: np.ndarray  # uint16 (h, w, 3): colour × alpha (alpha on a 0..256 scale)
    inv: np.ndarray  # uint16 (h, w, 1): 256 − alpha

    @classmethod
    def from_rgba(cls, image: Image.Image, x: int, y: int) -> Patch:
        arr = np.asarray(image, dtype=np.uint16)
        alpha = (arr[..., 3:4] * 256 + 127) // 255
        return cls(x, y, arr[..., :3] * alpha, 256 - alpha)

    def apply(self, frame: np.ndarray, strength: float = 1.0) -> None:
        h, w = self.inv.shape[:2]
        region = frame[self.y : self.y + h, self.x : self.x + w]
        if strength >= 1.0:
            # region·(256−a) + colour·a never exceeds 255·256, so uint16 is enough
            region[...] = ((region * self.inv + self.premul) >> 8).astype(np.uint8)
        elif strength > 0.0:
            over = (region * self.inv + self.premul) >> 8
            region[...] = (region + (over - region.astype(np.float32)) * strength).astype(np.uint8)


def _text_box(lines: list[tuple[str, RGB]], font: Any, pad: int, max_w: int | None = None) -> Image.Image:
    ascent, descent = font.getmetrics() if hasattr(font, "getmetrics") else (10, 2)
    line_h = ascent + descent + max(1, pad // 3)
    width = max((font.getlength(text) for text, _ in lines), default=0)
    box_w = int(min(width + 2 * pad, max_w or 1 << 30))
    box_h = int(line_h * len(lines) + 2 * pad - max(1, pad // 3))
    image = Image.new("RGBA", (max(box_w, 2), max(box_h, 2)), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, image.width - 1, image.height - 1), radius=pad, fill=(0, 0, 0, 170))
    for i, (text, colour) in enumerate(lines):
        # characters the CJK font lacks (emoji, Hebrew, Arabic) come from a fallback font
        draw_text(draw, (pad, pad + i * line_h), text, font=font, path=cjk_font(), fill=(*colour, 255))
    return image


def _caption_lines(request: RenderRequest, font: Any, max_w: float) -> list[tuple[str, RGB]]:
    lines: list[tuple[str, RGB]] = []
    for line in request.dialogue[:2]:
        cjk = _has_cjk(line.text + line.speaker)
        mode = f"（{line.mode.value}）" if line.mode and cjk else (f" ({line.mode.value})" if line.mode else "")
        paren = ""
        if line.parenthetical:
            paren = f"（{line.parenthetical.strip('()（）')}）" if cjk else f"({line.parenthetical.strip('()')}) "
        text = f"{line.speaker}{mode}{'：' if cjk else ': '}{paren}{line.text}"
        speaker_colour = mix(character_colour(line.speaker), (255, 255, 255), 0.55)
        for i, row in enumerate(wrap_text(text, font, max_w, max_lines=3)):
            lines.append((row, speaker_colour if i == 0 else (255, 255, 255)))
    if not lines and request.action:
        action = request.action if len(request.action) <= 90 else request.action[:88] + "…"
        lines = [(row, (255, 236, 180)) for row in wrap_text(action, font, max_w, max_lines=2)]
    return lines


@cache
def _warn_missing(shot_id: str, text: str) -> None:
    """Say once per shot and text which characters no installed font can draw (never tofu in silence)."""
    path = cjk_font()
    if path is not None and (missing := undrawable(text, fonts_for(text, path))):
        log.warning("%s", missing_glyphs_sentence(shot_id, missing, "the previz caption"))


def build_overlay(request: RenderRequest, take_number: int, seed: int) -> list[Patch]:
    """The slate (top-left) and the dialogue card under it, fixed over the moving picture.

    The lower third stays clear: that is where a vertical drama's subtitles go, so burned
    subtitles in an export never sit on top of the panel's own caption.
    """
    width, height = request.width, request.height
    base = max(8, round(min(width, height) * 0.045))
    patches: list[Patch] = []

    slate_font = load_font(max(7, round(base * 0.62)))
    move = request.camera.move.value.replace("_", " ")
    slate = [
        (f"{request.shot_id}  T{take_number:02d}", (255, 255, 255)),
        (f"seed {seed}", (200, 200, 200)),
        (f"{framing_label(request.framing, request.size)} · {move} {request.camera.intensity:g}",
         (200, 200, 200)),
    ]
    margin = max(2, round(min(width, height) * 0.03))
    image = _text_box(slate, slate_font, pad=max(2, base // 4), max_w=width - 2 * margin)
    image = image.crop((0, 0, min(image.width, width - margin), min(image.height, height - margin)))
    patches.append(Patch.from_rgba(image, margin, margin))
    slate_bottom = margin + image.height

    font = load_font(base)
    pad = max(2, base // 3)
    max_text_w = width - 2 * margin - 2 * pad
    lines = _caption_lines(request, font, max_text_w)
    _warn_missing(request.shot_id, "".join(text for text, _ in lines))
    if lines:
        image = _text_box(lines, font, pad=pad, max_w=width - 2 * margin)
        image = image.crop((0, 0, image.width, min(image.height, height - 2 * margin)))
        x = (width - image.width) // 2
        y = min(slate_bottom + margin, height - image.height)
        patches.append(Patch.from_rgba(image, x, max(0, y)))
    return patches
