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


def _pairs(modes: str, secs: tuple[int, ...] = (5, 10)) -> frozenset[tuple[str, int]]:
    return frozenset((m, s) for m in modes.split() for s in secs)


# Kling's capability map ("skillsMap"), as read in mid-2025; see docs/kling.md for the sources.
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
}


def _costs(std5: float, pro5: float) -> dict[str, float]:
    return {"std/5": std5, "std/10": 2 * std5, "pro/5": pro5, "pro/10": 2 * pro5}


# Kling API units per task ("model/mode/seconds"), from Kling's API pricing page; see docs/kling.md.
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
    }.items()
    for key, value in table.items()
}


def task_cost(model: str, mode: str, seconds: int, overrides: dict[str, float]) -> float | None:
    """Kling units for one task of `seconds` on model+mode; `overrides` win over COST_TABLE."""
    key = f"{model}/{mode}/{seconds}"
    return overrides.get(key, COST_TABLE.get(key))
