"""Framing: head sizes and horizons per shot size, and the seeded composition of one take."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from shotcraft.shots.models import ShotSize

# head diameter as (fraction of frame height, fraction of frame width): the smaller wins
HEAD = {
    ShotSize.EWS: (0.028, 0.05), ShotSize.WS: (0.07, 0.12), ShotSize.MS: (0.17, 0.24),
    ShotSize.MCU: (0.3, 0.42), ShotSize.CU: (0.5, 0.78), ShotSize.ECU: (1.6, 1.6),
}
# head centre height (frame heights) for close sizes; wide sizes stand figures on the ground
HEAD_Y = {ShotSize.MS: 0.24, ShotSize.MCU: 0.3, ShotSize.CU: 0.38, ShotSize.ECU: 0.47}
FEET_Y = {ShotSize.EWS: 0.8, ShotSize.WS: 0.86}
MAX_CAST = {ShotSize.ECU: 1, ShotSize.CU: 1, ShotSize.MCU: 2, ShotSize.MS: 3}
HORIZON = {
    ShotSize.EWS: 0.6, ShotSize.WS: 0.64, ShotSize.MS: 0.74, ShotSize.MCU: 0.86,
    ShotSize.CU: 0.97, ShotSize.ECU: 1.2,
}
SET_ZOOM = {
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
