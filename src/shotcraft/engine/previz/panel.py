"""The panel: the set and the cast of one take drawn once on a canvas larger than the frame.

Framings are drawn so a storyboard tells them apart at a glance: a two-shot stands its two
people side by side, an over-the-shoulder puts the second character's back and shoulder large
in the foreground with the first facing the camera past it, and an insert draws the prop held
in two hands and no face. A high angle lifts the horizon, a low one drops it, a dutch angle
rolls the frame."""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
from PIL import Image, ImageChops, ImageDraw

from shotcraft.engine.previz.captions import load_font
from shotcraft.engine.previz.colour import RGB, mix, scale, stable_hash
from shotcraft.engine.previz.figures import draw_figure, figure_look, paste_reference
from shotcraft.engine.previz.framing import (
    FEET_Y,
    HEAD,
    HEAD_Y,
    HORIZON,
    MAX_CAST,
    SET_ZOOM,
    Composition,
)
from shotcraft.engine.previz.scenery import LIGHTS, set_look, time_of_day
from shotcraft.engine.protocol import RenderRequest
from shotcraft.shots.models import Angle, ShotKind, ShotSize

MARGIN = 1.3  # canvas size / frame size: room for the camera to move
_ROTATE_PAD = 0.06  # extra canvas drawn so the small seeded camera roll never shows corners
ANGLE_HORIZON = {Angle.HIGH: -0.14, Angle.LOW: 0.14, Angle.OVERHEAD: -0.45}  # frame heights
DUTCH_ROLL = 9.0  # degrees a dutch angle adds to the seeded roll
PAPER = (236, 230, 214)


class Panel:
    """Draws the set and the cast of one take on a canvas larger than the frame."""

    def __init__(self, request: RenderRequest, comp: Composition, refs: dict[str, Image.Image]) -> None:
        self.request, self.comp, self.refs = request, comp, refs
        self.W, self.H = request.width, request.height
        self.canvas_w = even_up(self.W * MARGIN)
        self.canvas_h = even_up(self.H * MARGIN)
        self.draw_w = even_up(self.W * (MARGIN + _ROTATE_PAD))
        self.draw_h = even_up(self.H * (MARGIN + _ROTATE_PAD))
        self.ox = (self.draw_w - self.W) / 2  # where the frame sits on the drawing canvas
        self.oy = (self.draw_h - self.H) / 2
        self.size = request.size
        self.light = LIGHTS[time_of_day(request.time_of_day)]
        self.look = set_look(request.location)
        self.zoom = SET_ZOOM[self.size]
        self.framing = request.framing
        angle_shift = ANGLE_HORIZON.get(request.angle, 0.0) if request.angle else 0.0
        self.horizon = self.oy + (HORIZON[self.size] + comp.horizon_shift + angle_shift) * self.H
        self.roll = comp.roll_deg + (DUTCH_ROLL if request.angle is Angle.DUTCH else 0.0)

    def fx(self, frac: float) -> float:
        return self.ox + frac * self.W

    def fy(self, frac: float) -> float:
        return self.oy + frac * self.H

    def compose(self) -> Image.Image:
        image = self._lit_set()
        draw = ImageDraw.Draw(image)
        if self.framing is ShotKind.INSERT:
            self._prop(draw)
        else:
            self._cast(image, draw)
        if self.roll:
            image = image.rotate(
                # nearest: a bilinear roll of the whole canvas costs more than all the frames
                self.roll, resample=Image.Resampling.NEAREST,
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
            rows[:hz] = gradient(scale(self.look.wall, 1.06 * lamp), scale(self.look.wall, 0.9 * lamp), hz)
            rows[hz:] = gradient(scale(self.look.floor, 0.85 * lamp), scale(self.look.floor, 1.1 * lamp), h - hz)
        else:
            rows[:hz] = gradient(self.light.sky_top, self.light.sky_low, hz)
            rows[hz:] = gradient(scale(self.look.ground, 0.8 * level), scale(self.look.ground, 1.05 * level), h - hz)
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
        boards = self.lit(scale(look.floor, 0.8), self.draw_w / 2, self.draw_h)
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
                colour = mix(self.light.sky_top, self.light.sky_low, b / (bands - 1))
                draw.rectangle((box[0], y0, box[2], y0 + wh / bands + 1), fill=colour)
            edge = max(2, round(W * 0.012 * z))
            draw.rectangle(box, outline=trim, width=edge)
            draw.line((cx, box[1], cx, box[3]), fill=trim, width=edge)
            draw.line((box[0], box[1] + wh / 2, box[2], box[1] + wh / 2), fill=trim, width=edge)
        if look.has_door:
            cx = self.fx(0.5 + look.door_x * z)
            dw, dh = 0.2 * W * z, 0.44 * H * z
            trim = self.lit(look.trim, cx, hz - dh / 2)
            draw.rectangle((cx - dw / 2, hz - dh, cx + dw / 2, hz), fill=scale(trim, 1.5), outline=trim, width=max(1, round(W * 0.008 * z)))
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
        skyline = scale(look.skyline, 0.4 + 0.6 * self.light.level)
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
        if self.framing in (ShotKind.INSERT, ShotKind.TITLE):
            return []
        a, b = HEAD[self.size]
        hd = min(a * self.H, b * self.W)
        jit = self.comp.jitter + [0.0, 0.0]
        if self.framing is ShotKind.OTS and self.request.characters:
            # the face, off centre, looking past the shoulder in the foreground
            hd *= 0.85  # further from the lens than the shoulder in front
            return [(0, self.fx(0.66 + 0.04 * jit[0]), self._head_y(hd, 0, jit), hd)]
        if self.framing is ShotKind.TWO_SHOT and len(self.request.characters) >= 2:
            hd = min(hd, 0.22 * self.W)  # two faces side by side fit the width
            low = 0.06 if self.size not in FEET_Y else 0.0  # a medium two-shot cuts at the waist
            return [(i, self.fx(x + 0.03 * jit[i]), self._head_y(hd, i, jit) + low * self.H, hd)
                    for i, x in enumerate((0.29, 0.71))]
        cast = self.request.characters[: MAX_CAST.get(self.size, len(self.request.characters))]
        n = len(cast)
        if n == 0:
            return []
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
            spots.append((i, self.fx(x), self._head_y(hd, i, jit), hd))
        if self.size is ShotSize.MCU and n == 2:
            spots.reverse()  # the second character is further away: draw them first
        return spots

    def _head_y(self, hd: float, i: int, jit: list[float]) -> float:
        """Character i's head centre: standing on the ground line (sizes that show the feet,
        staggered by the seed) or at the size's head height."""
        if self.size in FEET_Y:
            return self.oy + (FEET_Y[self.size] + 0.03 * jit[i] * (1 if i % 2 else -1)) * self.H - 6.4 * hd
        return self.fy(HEAD_Y[self.size])

    def _cast(self, image: Image.Image, draw: ImageDraw.ImageDraw) -> None:
        label_font = load_font(max(7, round(min(self.W, self.H) * 0.034)))
        if self.framing is ShotKind.OTS and len(self.request.characters) >= 2:
            self._facing_and_shoulder(image, draw, label_font)
            return
        for index, cx, hy, hd in self._placements():
            ref = self.request.characters[index]
            look = figure_look(ref.name)
            reference = self.refs.get(ref.name)
            draw_figure(draw, cx, hy, hd, look)
            if reference is not None:
                # references are portraits: they replace the head and shoulders of the figure
                bust = (cx - 1.0 * hd * look.build, hy - 0.65 * hd, cx + 1.0 * hd * look.build, hy + 2.35 * hd)
                paste_reference(image, reference, bust, look.colour)
            self._label(draw, ref.name, cx, hy, hd, look.colour, label_font)

    def _facing_and_shoulder(self, image: Image.Image, draw: ImageDraw.ImageDraw, font: Any) -> None:
        """An over-the-shoulder: the first character facing the camera, the second's back
        and shoulder large in the foreground, cut by the frame's edge."""
        [(index, cx, hy, hd)] = self._placements()
        ref = self.request.characters[index]
        look = figure_look(ref.name)
        draw_figure(draw, cx, hy, hd, look)
        reference = self.refs.get(ref.name)
        if reference is not None:
            bust = (cx - 1.0 * hd * look.build, hy - 0.65 * hd, cx + 1.0 * hd * look.build, hy + 2.35 * hd)
            paste_reference(image, reference, bust, look.colour)
        self._label(draw, ref.name, cx, hy, hd, look.colour, font)
        near = self.request.characters[1]
        back = figure_look(near.name)
        bd = 1.5 * hd  # nearer the lens: bigger than the face it looks at
        bx, by = self.fx(0.08), self.fy(0.6)
        shoulder = (bx - 1.4 * bd * back.build, by + 0.55 * bd, bx + 0.7 * bd * back.build, by + 3.5 * bd)
        draw.rounded_rectangle(shoulder, radius=0.6 * bd, fill=scale(back.colour, 0.75))
        draw.rectangle((bx - 0.2 * bd, by + 0.3 * bd, bx + 0.2 * bd, by + 0.8 * bd), fill=scale(back.skin, 0.7))
        head = (bx - 0.45 * bd, by - 0.55 * bd, bx + 0.45 * bd, by + 0.55 * bd)
        draw.ellipse(head, fill=back.hair)  # the back of the head: hair, no face
        self._label(draw, near.name, self.fx(0.2), self.fy(0.86), hd, back.colour, font)

    def _prop(self, draw: ImageDraw.ImageDraw) -> None:
        """An insert: the prop large in frame, held in two hands, no face."""
        w, h = 0.62 * self.W, 0.36 * self.H
        cx, cy = self.fx(0.5), self.fy(0.46)
        box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
        shadow = tuple(v + max(2.0, 0.02 * self.W) for v in box)
        draw.rounded_rectangle(shadow, radius=0.02 * self.W, fill=(40, 40, 44))
        draw.rounded_rectangle(box, radius=0.02 * self.W, fill=self.lit(PAPER, cx, cy),
                               outline=(120, 110, 95), width=max(1, round(0.006 * self.W)))
        for k in range(1, 7):  # lines of writing: a letter, a contract, a screen
            y = box[1] + k * h / 8
            draw.line((box[0] + 0.1 * w, y, box[2] - (0.1 + 0.15 * (k % 3)) * w, y),
                      fill=(90, 84, 76), width=max(1, round(0.008 * self.W)))
        skin = (224, 178, 140)
        hand = 0.16 * self.W
        for side in (-1, 1):
            hx = cx + side * (w / 2 - 0.05 * w)
            draw.ellipse((hx - hand / 2, cy + 0.05 * h, hx + hand / 2, cy + 0.05 * h + hand * 1.3),
                         fill=self.lit(skin, hx, cy), outline=scale(skin, 0.7))

    def _label(self, draw: ImageDraw.ImageDraw, name: str, cx: float, hy: float, hd: float, colour: RGB, font: Any) -> None:
        if self.size is ShotSize.ECU:
            y = self.fy(0.16)
        else:
            # under the feet when they are in frame, else on the chest, clear of the caption
            y = max(hy + 0.6 * hd, min(hy + 6.55 * hd, self.fy(0.8 if self.size in FEET_Y else 0.7)))
        width = font.getlength(name)
        ascent, descent = font.getmetrics() if hasattr(font, "getmetrics") else (10, 2)
        pad = max(1, (ascent + descent) // 5)
        box = (cx - width / 2 - pad, y, cx + width / 2 + pad, y + ascent + descent + 2 * pad)
        draw.rounded_rectangle(box, radius=pad, fill=(28, 28, 32), outline=colour, width=max(1, pad // 2))
        draw.text((cx - width / 2, y + pad), name, font=font, fill=(255, 255, 255))


def even_up(value: float) -> int:
    return int(math.ceil(value / 2.0)) * 2


def gradient(top: RGB, bottom: RGB, rows: int) -> np.ndarray:
    if rows <= 0:
        return np.zeros((0, 3), dtype=np.float32)
    t = np.linspace(0.0, 1.0, rows, dtype=np.float32)[:, None]
    return np.array(top, np.float32) * (1 - t) + np.array(bottom, np.float32) * t
