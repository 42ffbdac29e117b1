"""Camera motion: what a `CameraMove` does to the picture over one clip.

One model, used by previz to draw a move and by the ranker to judge whether a take made it.
With intensity s (0–1), over the whole clip, whatever its length:

- pan / truck left or right: the camera travels TRAVEL · s = 0.27 · s frame widths;
- tilt up or down: it travels TRAVEL · s frame heights;
- dolly / zoom in or out: the picture's log magnification changes by ZOOM · s = 0.4 · s
  (×1.49 at full intensity, ×1.22 at half);
- orbit: ORBIT_TRAVEL · s = 0.8 · TRAVEL · s frame widths sideways (either way round, when
  judged) while closing in by ORBIT_ZOOM · s = 0.14 · s log magnification;
- handheld: no travel; a shake of SHAKE_AMPLITUDE(s) = 0.004 + 0.016 · s frame widths, which
  scatters the picture's velocity by about SHAKE_SPEED(s) = 0.03 + 0.15 · s frames per second;
- static: nothing.

Progress along the clip is eased like a real head, but never below half speed (a camera that
stops dead repeats frames, which reads as a stall): e(t) = t/2 + smoothstep(t)/2 for t in 0..1.
The camera sits at its mid-clip position at e = 1/2, so a move is centred on the set.

Positions are the camera's (+x right, +y down, + zoom = closer); the picture moves the other
way across the frame (panning right slides the content left) and the same way in zoom.
TRAVEL fits previz's canvas, drawn 1.3× the frame: ±0.135 of 0.15 spare frame on each side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from shotcraft.shots.models import CameraMove, Move

__all__ = [
    "MIN_TRAVEL",
    "TRAVEL",
    "ZOOM",
    "CameraPath",
    "eased",
    "shake_amplitude",
    "shake_speed",
]

TRAVEL = 0.27  # frame widths (heights for a tilt) per unit of intensity, over the clip
ZOOM = 0.4  # log magnification per unit of intensity, over the clip
ORBIT_TRAVEL = 0.8 * TRAVEL
ORBIT_ZOOM = 0.14
MIN_TRAVEL = 0.03  # below this a move is not told from a still camera; intensity 0 still moves

# camera direction of each move: (x, y, zoom) per unit of travel
_DIRECTIONS: dict[Move, tuple[float, float, float]] = {
    Move.PAN_RIGHT: (TRAVEL, 0.0, 0.0), Move.TRUCK_RIGHT: (TRAVEL, 0.0, 0.0),
    Move.PAN_LEFT: (-TRAVEL, 0.0, 0.0), Move.TRUCK_LEFT: (-TRAVEL, 0.0, 0.0),
    Move.TILT_UP: (0.0, -TRAVEL, 0.0), Move.TILT_DOWN: (0.0, TRAVEL, 0.0),
    Move.DOLLY_IN: (0.0, 0.0, ZOOM), Move.ZOOM_IN: (0.0, 0.0, ZOOM),
    Move.DOLLY_OUT: (0.0, 0.0, -ZOOM), Move.ZOOM_OUT: (0.0, 0.0, -ZOOM),
    Move.ORBIT: (ORBIT_TRAVEL, 0.0, ORBIT_ZOOM),
}  # fmt: skip


def eased(t: float) -> float:
    """Share of the move done at clip time `t` (0 = first frame, 1 = last), eased in and out."""
    t = min(1.0, max(0.0, t))
    return 0.5 * t + 0.5 * t * t * (3 - 2 * t)


def shake_amplitude(intensity: float) -> float:
    """How far a handheld camera wanders from its rest position, in frame widths."""
    return 0.004 + 0.016 * intensity


def shake_speed(intensity: float) -> float:
    """How much a handheld camera's velocity scatters, in frame widths per second."""
    return 0.03 + 0.15 * intensity


@dataclass(frozen=True)
class CameraPath:
    """A camera move over one clip: where the camera is at clip time t, and how far it goes."""

    move: Move
    intensity: float

    @classmethod
    def of(cls, camera: CameraMove) -> CameraPath:
        return cls(move=camera.move, intensity=camera.intensity)

    @property
    def either_way(self) -> bool:
        """An orbit may go round either way: judge its size, not its direction."""
        return self.move is Move.ORBIT

    def travel(self) -> tuple[float, float, float]:
        """The camera's whole move over the clip: (x frame widths, y frame heights, log zoom)."""
        x, y, zoom = _DIRECTIONS.get(self.move, (0.0, 0.0, 0.0))
        return x * self.intensity, y * self.intensity, zoom * self.intensity

    def at(self, t: float) -> tuple[float, float, float]:
        """The camera at clip time `t` (0..1) relative to its mid-clip position: (x, y, log zoom)."""
        share = eased(t) - 0.5
        x, y, zoom = self.travel()
        return x * share, y * share, zoom * share

    def zoom_at(self, t: float) -> float:
        """Magnification at clip time `t` relative to mid-clip (> 1: closer, content larger)."""
        return math.exp(self.at(t)[2])

    def picture_travel(self) -> tuple[float, float, float]:
        """How the picture moves over the clip: (x, y, log zoom), + = content right/down/larger.

        The content moves against the camera across the frame and with it in zoom.
        """
        x, y, zoom = self.travel()
        return -x, -y, zoom
