"""previz: the deterministic CPU animatic, shotcraft's embedded default engine.

Each take is a storyboard panel of its shot brought to life:

- the set: a palette from the location (hashed, so a place looks the same in every shot) lit by
  the time of day (日 warm, 夜 dark blue, 晨/黄昏 orange-pink); interiors get a wall, a floor and a
  window or door, exteriors a sky, a skyline and the ground;
- the cast: each character a figure whose colour and silhouette come from a hash of the name (or
  their reference image), with the name below, framed by the shot size (CU = one face, WS = all);
- the camera move animated over the take; the slate and the dialogue caption stay fixed on top;
- the seed varies composition (positions, a small camera angle, light direction and tint).

Speed: the panel is composed ONCE per take on a canvas 1.3× the frame; each frame is then only a
crop (numpy slicing) or a nearest-neighbour resize, plus a blend of the precomputed overlay's
bounding boxes. Frames are piped straight into ffmpeg (engine.writer.FrameWriter).
"""

from __future__ import annotations

import colorsys
import hashlib
import math
import random
import re
import threading
import time
import warnings
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFont, ImageOps

from shotcraft.engine.protocol import (
    Capabilities,
    CheckpointFn,
    Engine,
    Progress,
    ProgressFn,
    RenderedTake,
    RenderRequest,
    no_checkpoint,
    no_progress,
)
from shotcraft.engine.settings import EngineSettings
from shotcraft.engine.writer import FrameWriter, write_still
from shotcraft.shots.media import cjk_font
from shotcraft.shots.models import Move, ShotSize, TakeKind
from shotcraft.shots.motion import CameraPath, shake_amplitude

VERSION = "1.0"
MARGIN = 1.3  # canvas size / frame size: room for the camera to move
_ROTATE_PAD = 0.06  # extra canvas drawn so the small seeded camera roll never shows corners
RGB = tuple[int, int, int]

# ---------------------------------------------------------------------------- stable hashing


def stable_hash(text: str) -> int:
    """A hash of `text` that is the same in every process (Python's hash() is salted)."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


def _hsv(h: float, s: float, v: float) -> RGB:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, s, v)
    return round(r * 255), round(g * 255), round(b * 255)


def _scale(colour: RGB, k: float) -> RGB:
    return tuple(max(0, min(255, round(c * k))) for c in colour)  # type: ignore[return-value]


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


# ---------------------------------------------------------------------------- the cast

_SKIN = [(241, 204, 170), (224, 178, 140), (198, 146, 106), (150, 104, 74)]
_HAIR = [(28, 24, 24), (62, 40, 28), (104, 70, 42), (150, 150, 155), (40, 30, 60)]


@dataclass(frozen=True)
class FigureLook:
    colour: RGB  # wardrobe: the character's identity colour
    skin: RGB
    hair: RGB
    hair_style: int  # 0 short, 1 long, 2 bun
    head_ratio: float  # head width / height
    build: float  # shoulder width factor
    square_shoulders: bool


def character_colour(name: str) -> RGB:
    """The identity colour of a character: the same in every shot of every episode."""
    h = stable_hash("colour:" + name)
    hue = (h % 360) / 360.0
    sat = 0.62 + ((h >> 9) % 20) / 100.0
    val = 0.72 + ((h >> 17) % 18) / 100.0
    return _hsv(hue, sat, val)


def figure_look(name: str) -> FigureLook:
    """How a character without a reference image is drawn, derived from the name alone."""
    h = stable_hash("figure:" + name)
    return FigureLook(
        colour=character_colour(name),
        skin=_SKIN[h % len(_SKIN)],
        hair=_HAIR[(h >> 4) % len(_HAIR)],
        hair_style=(h >> 8) % 3,
        head_ratio=0.78 + ((h >> 12) % 12) / 100.0,
        build=0.9 + ((h >> 20) % 30) / 100.0,
        square_shoulders=bool((h >> 28) & 1),
    )


# ---------------------------------------------------------------------------- the set


def time_of_day(text: str | None) -> str:
    """Classify a scene's time into "day", "night" or "golden" (dawn/dusk)."""
    lower = (text or "").lower()
    if any(k in lower for k in ("黄昏", "傍晚", "晨", "黎明", "日落", "日出", "夕", "dawn", "dusk", "sunset", "sunrise", "morning", "evening", "twilight")):
        return "golden"
    if any(k in lower for k in ("夜", "晚", "night", "midnight")):
        return "night"
    return "day"


@dataclass(frozen=True)
class Light:
    sky_top: RGB
    sky_low: RGB
    tint: tuple[float, float, float]  # multiplies the set
    level: float  # overall brightness of the set


_LIGHTS = {
    "day": Light((96, 160, 228), (206, 228, 246), (1.06, 1.0, 0.9), 1.0),
    "night": Light((8, 12, 34), (28, 40, 86), (0.6, 0.7, 1.05), 0.55),
    "golden": Light((92, 76, 150), (252, 156, 104), (1.12, 0.86, 0.78), 0.9),
}


@dataclass(frozen=True)
class SetLook:
    wall: RGB
    floor: RGB
    ground: RGB
    skyline: RGB
    trim: RGB
    window_x: float  # frame widths from centre
    door_x: float
    has_window: bool
    has_door: bool
    buildings: tuple[tuple[float, float, float], ...]  # (x from centre, width, height) in frame units


def set_look(location: str) -> SetLook:
    """The set of `location`: the same colours and layout in every shot that plays there."""
    h = stable_hash("set:" + (location or "-"))
    rng = random.Random(h)
    hue = rng.random()
    window_x = rng.uniform(-0.45, 0.45)
    door_x = window_x + (0.5 if window_x < 0 else -0.5) * rng.uniform(0.8, 1.2)
    buildings = tuple(
        (x, rng.uniform(0.12, 0.3), rng.uniform(0.12, 0.42)) for x in np.arange(-1.2, 1.25, 0.22)
    )
    return SetLook(
        wall=_hsv(hue, rng.uniform(0.12, 0.3), rng.uniform(0.7, 0.85)),
        floor=_hsv(hue + 0.08, rng.uniform(0.25, 0.45), rng.uniform(0.35, 0.5)),
        ground=_hsv(rng.choice([0.28, 0.1, 0.6, hue]), rng.uniform(0.2, 0.4), rng.uniform(0.35, 0.5)),
        skyline=_hsv(hue + 0.5, rng.uniform(0.1, 0.25), rng.uniform(0.3, 0.45)),
        trim=_hsv(hue + 0.05, 0.35, 0.3),
        window_x=window_x,
        door_x=door_x,
        has_window=rng.random() < 0.85,
        has_door=rng.random() < 0.6,
        buildings=buildings,
    )


# ---------------------------------------------------------------------------- framing

# head diameter as (fraction of frame height, fraction of frame width): the smaller wins
_HEAD = {
    ShotSize.EWS: (0.028, 0.05), ShotSize.WS: (0.07, 0.12), ShotSize.MS: (0.17, 0.24),
    ShotSize.MCU: (0.3, 0.42), ShotSize.CU: (0.5, 0.78), ShotSize.ECU: (1.6, 1.6),
}
# head centre height (frame heights) for close sizes; wide sizes stand figures on the ground
_HEAD_Y = {ShotSize.MS: 0.24, ShotSize.MCU: 0.3, ShotSize.CU: 0.38, ShotSize.ECU: 0.47}
_FEET_Y = {ShotSize.EWS: 0.8, ShotSize.WS: 0.86}
_MAX_CAST = {ShotSize.ECU: 1, ShotSize.CU: 1, ShotSize.MCU: 2, ShotSize.MS: 3}
_HORIZON = {
    ShotSize.EWS: 0.6, ShotSize.WS: 0.64, ShotSize.MS: 0.74, ShotSize.MCU: 0.86,
    ShotSize.CU: 0.97, ShotSize.ECU: 1.2,
}
_SET_ZOOM = {
    ShotSize.EWS: 0.55, ShotSize.WS: 0.85, ShotSize.MS: 1.25, ShotSize.MCU: 1.7,
    ShotSize.CU: 2.3, ShotSize.ECU: 3.2,
}


@dataclass
class Composition:
    """What the seed decides; stored in the take's params so a take can be reproduced."""

    jitter: list[float] = field(default_factory=list)  # per figure, −1..1 of its slot
    roll_deg: float = 0.0  # camera angle offset
    offset: tuple[float, float] = (0.0, 0.0)  # camera position offset, −1..1 of spare margin
    horizon_shift: float = 0.0  # frame heights
    light_angle: float = 0.0  # radians: where the key light comes from
    light_strength: float = 0.15
    tint: tuple[float, float, float] = (1.0, 1.0, 1.0)
    shake: list[float] = field(default_factory=list)  # handheld phases


def composition_for(seed: int, cast: int) -> Composition:
    """The seeded composition choices for a take with `cast` figures."""
    rng = random.Random(seed)
    return Composition(
        jitter=[round(rng.uniform(-1, 1), 4) for _ in range(max(cast, 1))],
        roll_deg=round(rng.uniform(-1.6, 1.6), 3),
        offset=(round(rng.uniform(-1, 1), 4), round(rng.uniform(-1, 1), 4)),
        horizon_shift=round(rng.uniform(-0.04, 0.04), 4),
        light_angle=round(rng.uniform(0, 2 * math.pi), 4),
        light_strength=round(rng.uniform(0.12, 0.28), 4),
        tint=tuple(round(1 + rng.uniform(-0.07, 0.07), 4) for _ in range(3)),  # type: ignore[arg-type]
        shake=[round(rng.uniform(0, 2 * math.pi), 4) for _ in range(4)],
    )


# ---------------------------------------------------------------------------- fonts and text

_warned_font = False


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
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


# ---------------------------------------------------------------------------- overlay (fixed)


@dataclass
class _Patch:
    """A precomputed RGBA overlay piece: blended into its bounding box only."""

    x: int
    y: int
    premul: np.ndarray  # uint16 (h, w, 3): colour × alpha (alpha on a 0..256 scale)
    inv: np.ndarray  # uint16 (h, w, 1): 256 − alpha

    @classmethod
    def from_rgba(cls, image: Image.Image, x: int, y: int) -> _Patch:
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
        draw.text((pad, pad + i * line_h), text, font=font, fill=(*colour, 255))
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
        speaker_colour = _mix(character_colour(line.speaker), (255, 255, 255), 0.55)
        for i, row in enumerate(wrap_text(text, font, max_w, max_lines=3)):
            lines.append((row, speaker_colour if i == 0 else (255, 255, 255)))
    if not lines and request.action:
        action = request.action if len(request.action) <= 90 else request.action[:88] + "…"
        lines = [(row, (255, 236, 180)) for row in wrap_text(action, font, max_w, max_lines=2)]
    return lines


def build_overlay(request: RenderRequest, take_number: int, seed: int) -> list[_Patch]:
    """The slate (top-left) and the dialogue card under it, fixed over the moving picture.

    The lower third stays clear: that is where a vertical drama's subtitles go, so burned
    subtitles in an export never sit on top of the panel's own caption.
    """
    width, height = request.width, request.height
    base = max(8, round(min(width, height) * 0.045))
    patches: list[_Patch] = []

    slate_font = _font(max(7, round(base * 0.62)))
    move = request.camera.move.value.replace("_", " ")
    slate = [
        (f"{request.shot_id}  T{take_number:02d}", (255, 255, 255)),
        (f"seed {seed}", (200, 200, 200)),
        (f"{request.size.value} · {move} {request.camera.intensity:g}", (200, 200, 200)),
    ]
    margin = max(2, round(min(width, height) * 0.03))
    image = _text_box(slate, slate_font, pad=max(2, base // 4), max_w=width - 2 * margin)
    image = image.crop((0, 0, min(image.width, width - margin), min(image.height, height - margin)))
    patches.append(_Patch.from_rgba(image, margin, margin))
    slate_bottom = margin + image.height

    font = _font(base)
    pad = max(2, base // 3)
    max_text_w = width - 2 * margin - 2 * pad
    lines = _caption_lines(request, font, max_text_w)
    if lines:
        image = _text_box(lines, font, pad=pad, max_w=width - 2 * margin)
        image = image.crop((0, 0, image.width, min(image.height, height - 2 * margin)))
        x = (width - image.width) // 2
        y = min(slate_bottom + margin, height - image.height)
        patches.append(_Patch.from_rgba(image, x, max(0, y)))
    return patches


# ---------------------------------------------------------------------------- the panel


class _Panel:
    """Draws the set and the cast of one take on a canvas larger than the frame."""

    def __init__(self, request: RenderRequest, comp: Composition, refs: dict[str, Image.Image]) -> None:
        self.request, self.comp, self.refs = request, comp, refs
        self.W, self.H = request.width, request.height
        self.canvas_w = _even_up(self.W * MARGIN)
        self.canvas_h = _even_up(self.H * MARGIN)
        self.draw_w = _even_up(self.W * (MARGIN + _ROTATE_PAD))
        self.draw_h = _even_up(self.H * (MARGIN + _ROTATE_PAD))
        self.ox = (self.draw_w - self.W) / 2  # where the frame sits on the drawing canvas
        self.oy = (self.draw_h - self.H) / 2
        self.size = request.size
        self.light = _LIGHTS[time_of_day(request.time_of_day)]
        self.look = set_look(request.location)
        self.zoom = _SET_ZOOM[self.size]
        self.horizon = self.oy + (_HORIZON[self.size] + comp.horizon_shift) * self.H

    def fx(self, frac: float) -> float:
        return self.ox + frac * self.W

    def fy(self, frac: float) -> float:
        return self.oy + frac * self.H

    def compose(self) -> Image.Image:
        image = self._lit_set()
        draw = ImageDraw.Draw(image)
        self._cast(image, draw)
        if self.comp.roll_deg:
            image = image.rotate(
                # nearest: a bilinear roll of the whole canvas costs more than all the frames
                self.comp.roll_deg, resample=Image.Resampling.NEAREST,
                center=(self.draw_w / 2, self.draw_h / 2), fillcolor=self.look.trim,
            )
        left = (self.draw_w - self.canvas_w) // 2
        top = (self.draw_h - self.canvas_h) // 2
        return image.crop((left, top, left + self.canvas_w, top + self.canvas_h))

    # -- the set

    def _light(self, x: float, y: float) -> tuple[float, float, float]:
        """The seeded key light and time-of-day tint at drawing-canvas point (x, y)."""
        gx = 2 * x / self.draw_w - 1
        gy = 2 * y / self.draw_h - 1
        ramp = (1 + self.comp.light_strength * math.cos(self.comp.light_angle) * gx) * (
            1 + self.comp.light_strength * math.sin(self.comp.light_angle) * gy
        )
        return tuple(ramp * a * b for a, b in zip(self.light.tint, self.comp.tint, strict=True))  # type: ignore[return-value]

    def lit(self, colour: RGB, x: float, y: float) -> RGB:
        k = self._light(x, y)
        return tuple(max(0, min(255, round(c * f))) for c, f in zip(colour, k, strict=True))  # type: ignore[return-value]

    def _lit_set(self) -> Image.Image:
        h, w = self.draw_h, self.draw_w
        hz = int(max(0, min(h, round(self.horizon))))
        rows = np.empty((h, 3), dtype=np.float32)
        level = self.light.level
        if self.request.interior:
            lamp = 0.45 + 0.55 * level  # interiors are lamp-lit at night, never black
            rows[:hz] = _gradient(_scale(self.look.wall, 1.06 * lamp), _scale(self.look.wall, 0.9 * lamp), hz)
            rows[hz:] = _gradient(_scale(self.look.floor, 0.85 * lamp), _scale(self.look.floor, 1.1 * lamp), h - hz)
        else:
            rows[:hz] = _gradient(self.light.sky_top, self.light.sky_low, hz)
            rows[hz:] = _gradient(_scale(self.look.ground, 0.8 * level), _scale(self.look.ground, 1.05 * level), h - hz)
        # the key light is separable (a column ramp times a row ramp), so lighting the whole set
        # costs one multiply; set pieces take the light at their centre (see `lit`)
        s, a = self.comp.light_strength, self.comp.light_angle
        tint = np.array(self.light.tint, np.float32) * np.array(self.comp.tint, np.float32)
        rows *= (1 + s * math.sin(a) * np.linspace(-1, 1, h, dtype=np.float32))[:, None] * tint
        cols = 1 + s * math.cos(a) * np.linspace(-1, 1, w, dtype=np.float32)
        # PIL's multiply (a·b/255) of two stretched strips is ~2-3× faster than numpy here;
        # it can only darken, so the rows carry the column ramp's peak and the columns ≤ 1
        peak = float(cols.max())
        row_strip = np.clip(rows * peak + 0.5, 0, 255).astype(np.uint8)[:, None, :]
        col_strip = np.repeat(np.clip(cols / peak * 255 + 0.5, 0, 255).astype(np.uint8)[None, :, None], 3, axis=2)
        image = ImageChops.multiply(
            Image.fromarray(row_strip).resize((w, h), Image.Resampling.NEAREST),
            Image.fromarray(col_strip).resize((w, h), Image.Resampling.NEAREST),
        )
        draw = ImageDraw.Draw(image)
        if self.request.interior:
            self._room(draw, hz)
        else:
            self._outside(draw, hz)
        return image

    def _room(self, draw: ImageDraw.ImageDraw, hz: int) -> None:
        W, H, z, look = self.W, self.H, self.zoom, self.look
        trim = self.lit(look.trim, self.draw_w / 2, hz)
        draw.rectangle((0, hz - max(1, round(0.012 * H * z)), self.draw_w, hz), fill=trim)
        boards = self.lit(_scale(look.floor, 0.8), self.draw_w / 2, self.draw_h)
        vanish_x, vanish_y = self.fx(0.5), hz - 0.35 * H
        for k in range(-6, 7):  # floor boards converging on the vanishing point
            x_bottom = self.fx(0.5 + k * 0.22 * z)
            x_top = vanish_x + (x_bottom - vanish_x) * (hz - vanish_y) / (self.draw_h - vanish_y)
            draw.line((x_top, hz, x_bottom, self.draw_h), fill=boards, width=max(1, round(W * 0.004)))
        if look.has_window:
            cx = self.fx(0.5 + look.window_x * z)
            ww, wh = 0.3 * W * z, 0.26 * H * z
            trim = self.lit(look.trim, cx, hz)
            bottom = hz - 0.2 * H * z
            box = (cx - ww / 2, bottom - wh, cx + ww / 2, bottom)
            bands = 8
            for b in range(bands):  # sky seen through the glass, by time of day
                y0 = box[1] + wh * b / bands
                colour = _mix(self.light.sky_top, self.light.sky_low, b / (bands - 1))
                draw.rectangle((box[0], y0, box[2], y0 + wh / bands + 1), fill=colour)
            edge = max(2, round(W * 0.012 * z))
            draw.rectangle(box, outline=trim, width=edge)
            draw.line((cx, box[1], cx, box[3]), fill=trim, width=edge)
            draw.line((box[0], box[1] + wh / 2, box[2], box[1] + wh / 2), fill=trim, width=edge)
        if look.has_door:
            cx = self.fx(0.5 + look.door_x * z)
            dw, dh = 0.2 * W * z, 0.44 * H * z
            trim = self.lit(look.trim, cx, hz - dh / 2)
            draw.rectangle((cx - dw / 2, hz - dh, cx + dw / 2, hz), fill=_scale(trim, 1.5), outline=trim, width=max(1, round(W * 0.008 * z)))
            knob = max(1.0, W * 0.012 * z)
            draw.ellipse((cx + dw * 0.3 - knob, hz - dh / 2 - knob, cx + dw * 0.3 + knob, hz - dh / 2 + knob), fill=(210, 180, 90))

    def _outside(self, draw: ImageDraw.ImageDraw, hz: int) -> None:
        W, H, z, look = self.W, self.H, self.zoom, self.look
        tod = time_of_day(self.request.time_of_day)
        # the sun or moon sits on the side the seeded key light comes from
        sx = self.fx(0.5 + 0.32 * math.cos(self.comp.light_angle))
        sy = min(hz - 0.12 * H, self.fy(0.12 + 0.08 * abs(math.sin(self.comp.light_angle))))
        radius = W * (0.06 if tod == "golden" else 0.045)
        disc = {"day": (255, 244, 210), "night": (232, 232, 216), "golden": (255, 196, 130)}[tod]
        draw.ellipse((sx - radius, sy - radius, sx + radius, sy + radius), fill=disc)
        skyline = _scale(look.skyline, 0.4 + 0.6 * self.light.level)
        windows = random.Random(stable_hash("windows:" + self.request.location))
        for x, bw, bh in look.buildings:
            left = self.fx(0.5 + x * z)
            right = left + bw * W * z
            top = hz - bh * H * z * 0.7
            draw.rectangle((left, top, right, hz), fill=self.lit(skyline, (left + right) / 2, hz))
            if tod == "night":  # lit windows make a night exterior read as night
                for _ in range(6):
                    wx = left + windows.uniform(0.1, 0.8) * (right - left)
                    wy = top + windows.uniform(0.1, 0.8) * (hz - top)
                    side = max(1.0, W * 0.012 * z)
                    draw.rectangle((wx, wy, wx + side, wy + side * 1.4), fill=(255, 214, 120))

    # -- the cast

    def _placements(self) -> list[tuple[int, float, float, float]]:
        """(character index, head centre x, head centre y, head diameter) in drawing order."""
        cast = self.request.characters[: _MAX_CAST.get(self.size, len(self.request.characters))]
        n = len(cast)
        if n == 0:
            return []
        a, b = _HEAD[self.size]
        hd = min(a * self.H, b * self.W)
        if self.size is ShotSize.MS and n > 1:
            hd /= 1 + 0.2 * (n - 1)
        jit = self.comp.jitter + [0.0] * n
        spots: list[tuple[int, float, float, float]] = []
        for i in range(n):
            if self.size in (ShotSize.CU, ShotSize.ECU):
                x = 0.5 + 0.06 * jit[i]
            elif self.size is ShotSize.MCU and n == 2:
                x = (0.36 + 0.05 * jit[0]) if i == 0 else (0.88 + 0.04 * jit[1])
            else:
                x = (i + 0.5) / n * 0.9 + 0.05 + jit[i] * 0.3 / n
            if self.size in _FEET_Y:
                feet = (_FEET_Y[self.size] + 0.03 * jit[i] * (1 if i % 2 else -1)) * self.H
                y = self.oy + feet - 6.4 * hd
            else:
                y = self.fy(_HEAD_Y[self.size])
            spots.append((i, self.fx(x), y, hd))
        if self.size is ShotSize.MCU and n == 2:
            spots.reverse()  # the second character is further away: draw them first
        return spots

    def _cast(self, image: Image.Image, draw: ImageDraw.ImageDraw) -> None:
        label_font = _font(max(7, round(min(self.W, self.H) * 0.034)))
        for index, cx, hy, hd in self._placements():
            ref = self.request.characters[index]
            look = figure_look(ref.name)
            reference = self.refs.get(ref.name)
            _draw_figure(draw, cx, hy, hd, look)
            if reference is not None:
                # references are portraits: they replace the head and shoulders of the figure
                bust = (cx - 1.0 * hd * look.build, hy - 0.65 * hd, cx + 1.0 * hd * look.build, hy + 2.35 * hd)
                _paste_reference(image, reference, bust, look.colour)
            self._label(draw, ref.name, cx, hy, hd, look.colour, label_font)

    def _label(self, draw: ImageDraw.ImageDraw, name: str, cx: float, hy: float, hd: float, colour: RGB, font: Any) -> None:
        if self.size is ShotSize.ECU:
            y = self.fy(0.16)
        else:
            # under the feet when they are in frame, else on the chest, clear of the caption
            y = max(hy + 0.6 * hd, min(hy + 6.55 * hd, self.fy(0.8 if self.size in _FEET_Y else 0.7)))
        width = font.getlength(name)
        ascent, descent = font.getmetrics() if hasattr(font, "getmetrics") else (10, 2)
        pad = max(1, (ascent + descent) // 5)
        box = (cx - width / 2 - pad, y, cx + width / 2 + pad, y + ascent + descent + 2 * pad)
        draw.rounded_rectangle(box, radius=pad, fill=(28, 28, 32), outline=colour, width=max(1, pad // 2))
        draw.text((cx - width / 2, y + pad), name, font=font, fill=(255, 255, 255))


def _even_up(value: float) -> int:
    return int(math.ceil(value / 2.0)) * 2


def _gradient(top: RGB, bottom: RGB, rows: int) -> np.ndarray:
    if rows <= 0:
        return np.zeros((0, 3), dtype=np.float32)
    t = np.linspace(0.0, 1.0, rows, dtype=np.float32)[:, None]
    return np.array(top, np.float32) * (1 - t) + np.array(bottom, np.float32) * t


def _draw_figure(draw: ImageDraw.ImageDraw, cx: float, hy: float, hd: float, look: FigureLook) -> None:
    """A flat storyboard figure: head diameter `hd`, head centre (cx, hy), ~6.4 heads tall."""
    cloth, dark = look.colour, _scale(look.colour, 0.55)
    sw, hw = 0.95 * hd * look.build, 0.7 * hd * look.build  # half widths: shoulders, hips
    ys, yh, yf = hy + 0.78 * hd, hy + 3.4 * hd, hy + 6.4 * hd
    if hd >= 3:
        draw.ellipse((cx - 1.2 * sw, yf - 0.12 * hd, cx + 1.2 * sw, yf + 0.12 * hd), fill=(45, 45, 50))
    for side in (-1, 1):
        x = cx + side * 0.26 * hd
        draw.rectangle((x - 0.17 * hd, yh - 0.2 * hd, x + 0.17 * hd, yf), fill=dark)
    arm = 0.3 * hd
    for side in (-1, 1):
        x_in = cx + side * (sw - 0.1 * hd)
        x_out = x_in + side * arm
        draw.polygon([(x_in, ys + 0.1 * hd), (x_out, ys + 0.2 * hd), (x_out, yh - 0.2 * hd), (x_in, yh - 0.3 * hd)], fill=_scale(cloth, 0.8))
    draw.polygon([(cx - sw, ys), (cx + sw, ys), (cx + hw, yh), (cx - hw, yh)], fill=cloth)
    if not look.square_shoulders:
        r = 0.32 * hd
        for side in (-1, 1):
            x = cx + side * (sw - r * 0.6)
            draw.ellipse((x - r, ys - r * 0.4, x + r, ys + r * 1.6), fill=cloth)
    draw.rectangle((cx - 0.17 * hd, hy + 0.3 * hd, cx + 0.17 * hd, ys + 0.05 * hd), fill=_scale(look.skin, 0.9))
    head_w = hd * look.head_ratio
    box = (cx - head_w / 2, hy - hd / 2, cx + head_w / 2, hy + hd / 2)
    if look.hair_style == 1:  # long hair falls behind the shoulders
        draw.rounded_rectangle((box[0] - 0.08 * hd, hy - 0.5 * hd, box[2] + 0.08 * hd, hy + 0.95 * hd), radius=0.3 * hd, fill=look.hair)
    draw.ellipse(box, fill=look.skin)
    cap = (box[0] - 0.04 * hd, box[1] - 0.06 * hd, box[2] + 0.04 * hd, box[3] - 0.1 * hd)
    draw.chord(cap, 180, 360, fill=look.hair)
    if look.hair_style == 2:
        draw.ellipse((cx - 0.2 * hd, hy - 0.82 * hd, cx + 0.2 * hd, hy - 0.42 * hd), fill=look.hair)
    if hd >= 12:  # a face only where it can be seen
        eye = 0.06 * hd
        for side in (-1, 1):
            ex = cx + side * 0.19 * head_w
            draw.ellipse((ex - eye, hy + 0.05 * hd - eye, ex + eye, hy + 0.05 * hd + eye), fill=(34, 30, 40))
        draw.line((cx - 0.12 * hd, hy + 0.28 * hd, cx + 0.12 * hd, hy + 0.28 * hd), fill=(150, 70, 72), width=max(1, round(0.03 * hd)))


def _paste_reference(image: Image.Image, ref: Image.Image, box: tuple[float, float, float, float], colour: RGB) -> None:
    """Paste `ref` covering `box` (top-aligned), resampling only the part inside the canvas."""
    bw, bh = box[2] - box[0], box[3] - box[1]
    scale = max(bw / ref.width, bh / ref.height)
    left = box[0] + (bw - ref.width * scale) / 2
    top = box[1]
    vis = (max(0.0, box[0]), max(0.0, box[1]), min(image.width, box[2]), min(image.height, box[3]))
    vw, vh = int(vis[2] - vis[0]), int(vis[3] - vis[1])
    if vw <= 0 or vh <= 0:
        return
    src = ((vis[0] - left) / scale, (vis[1] - top) / scale, (vis[2] - left) / scale, (vis[3] - top) / scale)
    piece = ref.resize((vw, vh), Image.Resampling.BILINEAR, box=src)
    image.paste(piece, (int(vis[0]), int(vis[1])))
    ImageDraw.Draw(image).rectangle(box, outline=colour, width=max(2, round(bw * 0.03)))


# ---------------------------------------------------------------------------- the camera


def camera_path(
    move: Move, intensity: float, num_frames: int, *, frame: tuple[int, int],
    canvas: tuple[int, int], comp: Composition, fps: int,
) -> list[tuple[float, float, float]]:
    """Per frame (crop centre x, crop centre y, zoom) on the canvas; zoom 1 = one frame's size."""
    W, H = frame
    Wc, Hc = canvas
    spare_x, spare_y = (Wc - W) / 2, (Hc - H) / 2
    base_x = Wc / 2 + comp.offset[0] * spare_x * 0.25
    base_y = Hc / 2 + comp.offset[1] * spare_y * 0.25
    motion = CameraPath(move=move, intensity=intensity)
    path = []
    for i in range(num_frames):
        t = i / (num_frames - 1) if num_frames > 1 else 0.0
        cam_x, cam_y, log_zoom = motion.at(t)
        # the crop is the frame seen from the camera: closer in means a smaller crop
        x, y, z = base_x + cam_x * W, base_y + cam_y * H, math.exp(-log_zoom)
        if move is Move.HANDHELD:
            sec = i / fps
            amp = W * shake_amplitude(intensity)
            p = comp.shake + [0.0] * 4
            x += amp * (math.sin(2 * math.pi * 0.7 * sec + p[0]) + 0.5 * math.sin(2 * math.pi * 1.9 * sec + p[1]))
            y += amp * (math.sin(2 * math.pi * 0.5 * sec + p[2]) + 0.5 * math.sin(2 * math.pi * 1.3 * sec + p[3]))
        path.append((x, y, z))
    return path


class _Frames:
    """Cuts frames out of the composed canvas and lays the overlay and keyframes on them."""

    def __init__(
        self, canvas: Image.Image, request: RenderRequest, overlay: list[_Patch], comp: Composition,
        first: np.ndarray | None, last: np.ndarray | None, resample: Image.Resampling,
    ) -> None:
        self.canvas, self.arr = canvas, np.asarray(canvas)
        self.W, self.H = request.width, request.height
        self.n = request.num_frames
        self.overlay, self.first, self.last, self.resample = overlay, first, last, resample
        self.path = camera_path(
            request.camera.move, request.camera.intensity, self.n, frame=(self.W, self.H),
            canvas=canvas.size, comp=comp, fps=request.fps,
        )
        # keyframes ARE the first/last frames; the panel dissolves in over a third of the take
        self.fade = max(1, round(self.n / 3))

    def weights(self, i: int) -> tuple[float, float]:
        wf = max(0.0, 1 - i / self.fade) if self.first is not None else 0.0
        wl = max(0.0, 1 - (self.n - 1 - i) / self.fade) if self.last is not None else 0.0
        total = wf + wl
        if total > 1:
            wf, wl = wf / total, wl / total
        return wf, wl

    def frame(self, i: int) -> np.ndarray:
        cx, cy, z = self.path[i]
        Wc, Hc = self.canvas.size
        w, h = self.W * z, self.H * z
        x0 = min(max(cx - w / 2, 0.0), Wc - w)
        y0 = min(max(cy - h / 2, 0.0), Hc - h)
        if z == 1.0:
            xi, yi = round(x0), round(y0)
            out = self.arr[yi : yi + self.H, xi : xi + self.W].copy()
        else:
            out = np.array(self.canvas.resize((self.W, self.H), self.resample, box=(x0, y0, x0 + w, y0 + h)))
        wf, wl = self.weights(i)
        if wf or wl:
            mixed = out.astype(np.float32) * (1 - wf - wl)
            if wf:
                mixed += self.first.astype(np.float32) * wf  # type: ignore[union-attr]
            if wl:
                mixed += self.last.astype(np.float32) * wl  # type: ignore[union-attr]
            out = np.clip(mixed + 0.5, 0, 255).astype(np.uint8)
        # the slate and caption come in quickly, so the keyframe's own text is soon covered
        strength = min(1.0, 3 * (1 - wf - wl))
        for patch in self.overlay:
            patch.apply(out, strength)
        return out


def _fit(path: Path, width: int, height: int) -> np.ndarray:
    with Image.open(path) as img:
        return np.array(ImageOps.fit(img.convert("RGB"), (width, height), Image.Resampling.BILINEAR))


# ---------------------------------------------------------------------------- the engine


class _Cancelled(Exception):
    pass


class PrevizEngine(Engine):
    """The deterministic CPU animatic: storyboard panels with the camera move, in seconds."""

    name = "previz"
    version = VERSION

    def __init__(self, *, resample: str = "nearest", progress_every: int = 10) -> None:
        # nearest-neighbour zooms are ~6× cheaper than bilinear here and read the same on flat art
        if resample not in ("nearest", "bilinear"):
            raise ValueError(f"resample must be 'nearest' or 'bilinear', not {resample!r}")
        self.resample = resample
        self.progress_every = max(1, progress_every)

    def capabilities(self, kind: TakeKind = TakeKind.VIDEO) -> Capabilities:
        return Capabilities(
            text_to_video=True, image_to_video=True, first_frame=True, last_frame=True,
            character_references=True, camera_control=True, keyframes=True, max_seconds=None,
            # two shots at once: one composes while the other's ffmpeg encodes and is scored
            batch_size=4, parallel=2, scale=EngineSettings().previz_scale,
        )

    def render(
        self,
        request: RenderRequest,
        *,
        out_dir: Path,
        progress: ProgressFn = no_progress,
        cancel: threading.Event | None = None,
        checkpoint: CheckpointFn = no_checkpoint,
    ) -> list[RenderedTake]:
        """Draw one take per seed into `out_dir`; a take that fails is reported and the rest go on."""
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        refs = self._load_references(request)
        results: list[RenderedTake] = []
        for seed, take in zip(request.seeds, request.take_numbers, strict=True):
            if cancel is not None and cancel.is_set():
                break
            started = time.perf_counter()
            try:
                path, params = self._render_take(request, seed, take, out_dir, refs, progress, cancel)
            except _Cancelled:
                results.append(RenderedTake(take_number=take, seed=seed, failed="cancelled"))
                break
            except Exception as exc:  # noqa: BLE001 - one bad take must not stop the others
                reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                results.append(RenderedTake(
                    take_number=take, seed=seed, failed=f"previz could not draw take {take}: {reason}",
                    downgrades=list(request.downgrades),
                ))
                continue
            results.append(RenderedTake(
                take_number=take, seed=seed, path=path, params=params,
                cost_seconds=round(time.perf_counter() - started, 3), downgrades=list(request.downgrades),
            ))
        return results

    def _load_references(self, request: RenderRequest) -> dict[str, Image.Image]:
        refs: dict[str, Image.Image] = {}
        for character in request.characters:
            if character.references:
                try:
                    with Image.open(character.references[0]) as img:
                        refs[character.name] = img.convert("RGB")
                except OSError:
                    continue  # an unreadable reference falls back to the drawn figure
        return refs

    def _render_take(
        self, request: RenderRequest, seed: int, take: int, out_dir: Path,
        refs: dict[str, Image.Image], progress: ProgressFn, cancel: threading.Event | None,
    ) -> tuple[Path, dict[str, Any]]:
        comp = composition_for(seed, len(request.characters))
        canvas = _Panel(request, comp, refs).compose()
        overlay = build_overlay(request, take, seed)
        resample = Image.Resampling.NEAREST if self.resample == "nearest" else Image.Resampling.BILINEAR
        first = _fit(request.first_frame, request.width, request.height) if request.first_frame else None
        last = _fit(request.last_frame, request.width, request.height) if request.last_frame else None
        params = self._params(request, seed, comp)
        stem = f"{request.shot_id}-t{take:03d}-s{seed}"
        if request.kind is TakeKind.KEYFRAME:
            frames = _Frames(canvas, request.model_copy(update={"num_frames": 1}), overlay, comp, first, None, resample)
            path = write_still(frames.frame(0), out_dir / f"{stem}.png")
            progress(Progress(take_number=take, done=1.0, message="keyframe drawn"))
            return path, params
        frames = _Frames(canvas, request, overlay, comp, first, last, resample)
        path = out_dir / f"{stem}.mp4"
        n = request.num_frames
        with FrameWriter(path, request.width, request.height, request.fps) as writer:
            for i in range(n):
                if cancel is not None and cancel.is_set():
                    raise _Cancelled
                writer.write(frames.frame(i))
                if (i + 1) % self.progress_every == 0 or i + 1 == n:
                    progress(Progress(take_number=take, done=(i + 1) / n, message=f"frame {i + 1}/{n}"))
        return path, params

    def _params(self, request: RenderRequest, seed: int, comp: Composition) -> dict[str, Any]:
        return {
            "engine": self.name,
            "engine_version": self.version,
            "kind": request.kind.value,
            "seed": seed,
            "width": request.width,
            "height": request.height,
            "fps": request.fps,
            "num_frames": 1 if request.kind is TakeKind.KEYFRAME else request.num_frames,
            "aspect": request.aspect,
            "size": request.size.value,
            "camera": request.camera.model_dump(mode="json"),
            "location": request.location,
            "time_of_day": request.time_of_day,
            "interior": request.interior,
            "characters": [c.name for c in request.characters],
            "reference_hashes": {c.name: c.reference_hashes for c in request.characters if c.reference_hashes},
            "first_frame": str(request.first_frame) if request.first_frame else None,
            "last_frame": str(request.last_frame) if request.last_frame else None,
            "resample": self.resample,
            "margin": MARGIN,
            "composition": asdict(comp),
        }
