"""The set: a palette from the location (hashed: a place looks the same in every shot), lit by
the time of day."""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from shotcraft.engine.previz.colour import RGB, hsv, stable_hash


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


LIGHTS = {
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
        wall=hsv(hue, rng.uniform(0.12, 0.3), rng.uniform(0.7, 0.85)),
        floor=hsv(hue + 0.08, rng.uniform(0.25, 0.45), rng.uniform(0.35, 0.5)),
        ground=hsv(rng.choice([0.28, 0.1, 0.6, hue]), rng.uniform(0.2, 0.4), rng.uniform(0.35, 0.5)),
        skyline=hsv(hue + 0.5, rng.uniform(0.1, 0.25), rng.uniform(0.3, 0.45)),
        trim=hsv(hue + 0.05, 0.35, 0.3),
        window_x=window_x,
        door_x=door_x,
        has_window=rng.random() < 0.85,
        has_door=rng.random() < 0.6,
        buildings=buildings,
    )
