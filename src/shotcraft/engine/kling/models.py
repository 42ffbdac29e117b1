"""What each Kling model+mode can do, and what one task costs (Kling units)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelCaps:
    """What one Kling model accepts; feature sets hold the (mode, seconds) pairs allowed."""

    text: bool
    image: bool
    modes: frozenset[str]
    cfg_scale: bool
    last_frame: frozenset[tuple[str, int]] = frozenset()
    camera: frozenset[tuple[str, int]] = frozenset()
    multi_image: frozenset[tuple[str, int]] = frozenset()
    durations: tuple[int, ...] = (5, 10)
    sound: frozenset[str] = frozenset()  # modes with native sound (the `sound` on|off field)


def _pairs(modes: str, secs: tuple[int, ...] = (5, 10)) -> frozenset[tuple[str, int]]:
    return frozenset((m, s) for m in modes.split() for s in secs)


ANY_LENGTH = tuple(range(3, 16))  # kling-v3 takes any whole second from 3 to 15


# Kling's capability map ("skillsMap"), as read in mid-2025; sources in the README's Kling section.
MODELS: dict[str, ModelCaps] = {
    "kling-v1": ModelCaps(
        True, True, frozenset({"std", "pro"}), True,
        last_frame=_pairs("std pro", (5,)), camera=_pairs("std", (5,)),
    ),
    "kling-v1-5": ModelCaps(
        True, True, frozenset({"std", "pro"}), True,
        last_frame=_pairs("pro"), camera=_pairs("pro", (5,)),
    ),
    "kling-v1-6": ModelCaps(
        True, True, frozenset({"std", "pro"}), True,
        last_frame=_pairs("pro"), multi_image=_pairs("std pro"),
    ),
    "kling-v2-master": ModelCaps(True, True, frozenset({"std", "pro"}), False),
    "kling-v2-1": ModelCaps(
        False, True, frozenset({"std", "pro"}), False, last_frame=_pairs("pro", (5,)),
    ),
    "kling-v2-1-master": ModelCaps(True, True, frozenset({"std", "pro"}), False),
    "kling-v2-5-turbo": ModelCaps(
        True, True, frozenset({"std", "pro"}), False, last_frame=_pairs("pro"),
    ),
    # read 2026-12-06. `sound` on|off "Only the V2.6 model and its subsequent versions", no
    # cfg_scale on V2.6: docs.cloudsway.net/maasapi/api-reference/video/kl (a copy of Kling's
    # text2video page); 5/10 s: docs.higgsfield.ai kling-2-6 pro text-to-video; sound in pro
    # only: wavespeed.ai/kling-2-6-api ("native audio on Pro"); last frame in pro (wavespeed
    # "image-to-video with optional end image"; which modes: ASSUMED pro only).
    "kling-v2-6": ModelCaps(
        True, True, frozenset({"std", "pro"}), False, last_frame=_pairs("pro"),
        sound=frozenset({"pro"}),
    ),
    # read 2026-12-06. std/pro 3-15 s, first+last frame in both: docs.cloudsway.net/maasapi/
    # api-reference/video/kl_v3 ("Competency Map"); duration any whole second 3..15 and
    # `sound` on|off in std and pro: docs.modellix.ai/kling/kling-v3-t2v, fal.ai kling-video/v3
    # (duration "3".."15"); cfg_scale not sent (ASSUMED unsupported, as on V2.6).
    "kling-v3": ModelCaps(
        True, True, frozenset({"std", "pro"}), False,
        last_frame=_pairs("std pro", ANY_LENGTH), durations=ANY_LENGTH,
        sound=frozenset({"std", "pro"}),
    ),
}


# What Kling hands back (frame lines per mode, and fps), per model: model → (std, pro, fps).
# Sources: runware.ai/docs/providers/klingai and its model pages (klingai-1-0-pro/-standard,
# klingai-1-6-standard, klingai-2-1-standard, klingai-2-1-master: 1280×720 / 720×720 / 720×1280
# at 720p, 1920×1080 / 1080×1080 / 1080×1920 at 1080p; kling 1.0 "Frame rate: 30 FPS");
# std = 720p, pro = 1080p: docs.apimart.ai (kling-v2-6, kling-v3), docs.unifically.com (2.6);
# the master models draw 1080p only; 24 fps for the 2.x models: developer.puter.com (2.0 master).
NATIVE: dict[str, tuple[int, int, int]] = {
    "kling-v1": (720, 720, 30),  # Kling 1.0 is 720p in both modes
    "kling-v1-5": (720, 1080, 30),
    "kling-v1-6": (720, 1080, 30),
    "kling-v2-master": (1080, 1080, 24),
    "kling-v2-1": (720, 1080, 24),
    "kling-v2-1-master": (1080, 1080, 24),
    "kling-v2-5-turbo": (720, 1080, 24),
    "kling-v2-6": (720, 1080, 24),  # std 720p / pro 1080p: docs.apimart.ai; 24 fps ASSUMED
    "kling-v3": (720, 1080, 24),  # 720p std: proxyapi.ru kling-v3.0-std; 24 fps ASSUMED
}
FRAME_SIZES: dict[int, dict[str, tuple[int, int]]] = {  # lines → aspect → (width, height)
    720: {"16:9": (1280, 720), "9:16": (720, 1280), "1:1": (720, 720)},
    1080: {"16:9": (1920, 1080), "9:16": (1080, 1920), "1:1": (1080, 1080)},
}


def native_format(model: str, mode: str, aspect: str) -> tuple[int, int, int]:
    """(width, height, fps) of the MP4 Kling returns for `model` in `mode` at `aspect`."""
    std, pro, fps = NATIVE[model]
    width, height = FRAME_SIZES[pro if mode == "pro" else std][aspect]
    return width, height, fps


def _costs(std5: float, pro5: float) -> dict[str, float]:
    return {"std/5": std5, "std/10": 2 * std5, "pro/5": pro5, "pro/10": 2 * pro5}


def _sound_costs(pro5: float) -> dict[str, float]:
    """kling-v2-6 with sound (pro only): twice the silent price (openai-hk.com/docs/lab/kling)."""
    return {"pro/5/sound": 2 * pro5, "pro/10/sound": 4 * pro5}


def _per_second(rates: dict[str, float]) -> dict[str, float]:
    """Any-length models are billed per second: "mode[/sound]" → units per second."""
    out = {}
    for key, rate in rates.items():
        mode, _, sound = key.partition("/")
        for seconds in ANY_LENGTH:
            out[f"{mode}/{seconds}" + (f"/{sound}" if sound else "")] = round(rate * seconds, 4)
    return out


# Kling API units per task ("model/mode/seconds"), sources and dates in the README's Kling section ("Cost").
COST_TABLE: dict[str, float] = {
    f"{model}/{key}": value
    for model, table in {
        "kling-v1": _costs(1.0, 3.5),
        "kling-v1-5": _costs(2.0, 3.5),
        "kling-v1-6": _costs(2.0, 3.5),
        "kling-v2-master": _costs(10.0, 10.0),
        "kling-v2-1": _costs(2.0, 3.5),
        "kling-v2-1-master": _costs(10.0, 10.0),
        "kling-v2-5-turbo": _costs(1.5, 2.5),
        # read 2026-12-06 (ratios sourced, unit amounts ASSUMED, see README "Cost"):
        # pro 5 s = 2.5 × kling-v1 std 5 s, sound ×2, 10 s ×2: openai-hk.com/docs/lab/kling;
        # std 5 s ≈ 0.6 × pro 5 s: apimodels.app/zh/docs/kling-video
        "kling-v2-6": {**_costs(1.5, 2.5), **_sound_costs(2.5)},
        # per second; std : pro : std+sound : pro+sound = 1 : 1.33 : 1.5 : 2 (docs.krea.ai
        # kling-30, discuss.huggingface.co Kling cost analysis); std/s = 1.2 × kling-v2-6 pro/s
        # ASSUMED (fal.ai v3 standard $0.084/s)
        "kling-v3": _per_second({"std": 0.6, "pro": 0.8, "std/sound": 0.9, "pro/sound": 1.2}),
        # omni-video, per second, the same rates as kling-v3: apimodels.app/en/docs/kling-omni-video
        # lists kling-video-o1 and kling-v3-omni at one price ($/s std 0.0633, pro 0.0853, with
        # audio ×1.5), and discuss.huggingface.co (Kling cost analysis) has O3 = 3.0 at 720p
        # silent; the unit amounts inherit kling-v3's ASSUMED anchor
        "kling-video-o1": _per_second({"std": 0.6, "pro": 0.8, "std/sound": 0.9,
                                       "pro/sound": 1.2}),
    }.items()
    for key, value in table.items()
}


def task_cost(model: str, mode: str, seconds: int, overrides: dict[str, float],
              sound: bool = False) -> float | None:
    """Kling units for one task of `seconds` on model+mode (with native sound when `sound`);
    `overrides` win over COST_TABLE."""
    key = f"{model}/{mode}/{seconds}" + ("/sound" if sound else "")
    return overrides.get(key, COST_TABLE.get(key))
