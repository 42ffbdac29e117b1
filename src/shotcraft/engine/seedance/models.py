"""What each Seedance model can do, the frame sizes it draws, and what a task costs.

Sources, with the dates they were read, are in docs/engines/seedance.md and in the stand-in's
docstring (tests/engine/seedance_server.py), which keeps its own copy of these tables so the
two are checked against each other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

FPS = 24  # every Seedance model draws 24 fps
RATIOS = ("16:9", "4:3", "1:1", "3:4", "9:16", "21:9")
URL_HOURS = 24  # a result URL is valid 24 h


@dataclass(frozen=True)
class ModelFacts:
    durations: tuple[int, int]  # whole seconds, inclusive
    resolutions: tuple[str, ...]
    references: int  # reference images one task takes (0: none)
    first_frame: bool
    last_frame: bool
    text: bool  # draws from text alone
    audio: bool  # native sound (generate_audio)
    v2: bool  # Seedance 2.0: its own size table, multi-shot prompts


def _v2(resolutions: tuple[str, ...]) -> ModelFacts:
    return ModelFacts((4, 15), resolutions, 9, True, True, True, True, True)


ALL = ("480p", "720p", "1080p")
MODELS: dict[str, ModelFacts] = {
    "doubao-seedance-2-0-260128": _v2(ALL),
    "doubao-seedance-2-0-fast-260128": _v2(("480p", "720p")),
    "dreamina-seedance-2-0-260128": _v2(ALL),
    "dreamina-seedance-2-0-fast-260128": _v2(("480p", "720p")),
    "doubao-seedance-1-5-pro-251215": ModelFacts((4, 12), ALL, 0, True, True, True, True, False),
    "seedance-1-5-pro-251215": ModelFacts((4, 12), ALL, 0, True, True, True, True, False),
    "doubao-seedance-1-0-pro-250528": ModelFacts((2, 12), ALL, 0, True, True, True, False, False),
    "seedance-1-0-pro-250528": ModelFacts((2, 12), ALL, 0, True, True, True, False, False),
    "doubao-seedance-1-0-pro-fast-251015": ModelFacts((2, 12), ALL, 0, True, False, True, False,
                                                      False),
    "doubao-seedance-1-0-lite-t2v-250428": ModelFacts((2, 12), ALL, 0, False, False, True, False,
                                                      False),
    "doubao-seedance-1-0-lite-i2v-250428": ModelFacts((2, 12), ALL, 4, True, True, False, False,
                                                      False),
}
MAX_SHOTS = 6  # shots one multi-shot prompt is asked to hold (ASSUMED: Kling 3's limit)

SIZES_2 = {
    "480p": {"16:9": (864, 496), "4:3": (752, 560), "1:1": (640, 640), "3:4": (560, 752),
             "9:16": (496, 864), "21:9": (992, 432)},
    "720p": {"16:9": (1280, 720), "4:3": (1112, 834), "1:1": (960, 960), "3:4": (834, 1112),
             "9:16": (720, 1280), "21:9": (1470, 630)},
    "1080p": {"16:9": (1920, 1080), "4:3": (1664, 1248), "1:1": (1440, 1440),
              "3:4": (1248, 1664), "9:16": (1080, 1920), "21:9": (2206, 946)},
}
SIZES_1 = {
    "480p": {"16:9": (864, 480), "4:3": (736, 544), "1:1": (640, 640), "3:4": (544, 736),
             "9:16": (480, 864), "21:9": (960, 416)},
    "720p": {"16:9": (1248, 704), "4:3": (1120, 832), "1:1": (960, 960), "3:4": (832, 1120),
             "9:16": (704, 1248), "21:9": (1504, 640)},
    "1080p": {"16:9": (1920, 1088), "4:3": (1664, 1248), "1:1": (1440, 1440),
              "3:4": (1248, 1664), "9:16": (1088, 1920), "21:9": (2176, 928)},
}

# price per million output tokens: CNY on Volcengine (china), USD on BytePlus (international)
PRICES: dict[str, float] = {
    # Seedance 2.0, no video input: 1080p 51 CNY (airlabs billing.py "官方单价", 2026-04-17);
    # 480p/720p 46 and fast 37: ASSUMED
    "doubao-seedance-2-0-260128/480p": 46.0, "doubao-seedance-2-0-260128/720p": 46.0,
    "doubao-seedance-2-0-260128/1080p": 51.0,
    "doubao-seedance-2-0-fast-260128/480p": 37.0, "doubao-seedance-2-0-fast-260128/720p": 37.0,
    # 1.x: 1.5 pro 8 silent / 16 with sound, 1.0 pro 15, pro fast 4.2, lite 10 CNY: the ratios of
    # 302.ai's table (1.2 / 2.4 / 2.2 / 1.5 per million), the CNY amounts ASSUMED
    "doubao-seedance-1-5-pro-251215": 8.0, "doubao-seedance-1-5-pro-251215/audio": 16.0,
    "doubao-seedance-1-0-pro-250528": 15.0, "doubao-seedance-1-0-pro-fast-251015": 4.2,
    "doubao-seedance-1-0-lite-t2v-250428": 10.0, "doubao-seedance-1-0-lite-i2v-250428": 10.0,
    # BytePlus: "a 5-second 1080p video costs about $0.93" (apidog.com, 2026-04-04) → 3.8 USD
    # per million tokens at 1080p; the other rows ASSUMED in the same ratios as Volcengine's
    "dreamina-seedance-2-0-260128/480p": 3.4, "dreamina-seedance-2-0-260128/720p": 3.4,
    "dreamina-seedance-2-0-260128/1080p": 3.8,
    "dreamina-seedance-2-0-fast-260128/480p": 2.8, "dreamina-seedance-2-0-fast-260128/720p": 2.8,
}


def frame_size(model: str, resolution: str, ratio: str) -> tuple[int, int]:
    """(width, height) Seedance draws for `resolution` at `ratio`."""
    table = SIZES_2 if MODELS[model].v2 else SIZES_1
    return table[resolution][ratio]


def tokens(width: int, height: int, seconds: int) -> int:
    """Ark's token count for a clip: width × height × fps × seconds / 1024."""
    return math.floor(width * height * FPS * seconds / 1024)


def price_of(model: str, resolution: str, audio: bool,
             overrides: dict[str, float]) -> float | None:
    """Price per million tokens for this model, resolution and sound; None when unknown."""
    for key in (f"{model}/{resolution}/audio" if audio else "", f"{model}/{resolution}",
                f"{model}/audio" if audio else "", model):
        if key and key in overrides:
            return overrides[key]
        if key and key in PRICES:
            return PRICES[key]
    return None


def task_cost(model: str, resolution: str, ratio: str, seconds: int, audio: bool,
              overrides: dict[str, float]) -> float | None:
    """What one task costs in the region's currency (None when its price is unknown)."""
    price = price_of(model, resolution, audio, overrides)
    if price is None:
        return None
    width, height = frame_size(model, resolution, ratio)
    return round(tokens(width, height, seconds) * price / 1_000_000, 4)
