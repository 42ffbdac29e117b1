"""A shot's camera move as Kling `camera_control`, or as words for the prompt."""

from __future__ import annotations

from typing import Any

from shotcraft.shots.models import CameraMove, Move

# Move → (config axis, sign). Kling's axes: horizontal/vertical translate the camera, `tilt`
# rotates it around the vertical (y) axis (negative = turn left), `pan` around the horizontal
# (x) axis (negative = down), `zoom` negative = narrower field of view (closer).
_CAMERA_AXES: dict[Move, tuple[str, int]] = {
    Move.PAN_LEFT: ("tilt", -1),
    Move.PAN_RIGHT: ("tilt", 1),
    Move.TILT_UP: ("pan", 1),
    Move.TILT_DOWN: ("pan", -1),
    Move.TRUCK_LEFT: ("horizontal", -1),
    Move.TRUCK_RIGHT: ("horizontal", 1),
    Move.ZOOM_IN: ("zoom", -1),
    Move.ZOOM_OUT: ("zoom", 1),
    Move.DOLLY_IN: ("zoom", -1),  # Kling's simple camera has no forward move; zoom is closest
    Move.DOLLY_OUT: ("zoom", 1),
    Move.ORBIT: ("horizontal", 1),  # a truck right, the subject held in the prompt
}
_CONFIG_AXES = ("horizontal", "vertical", "pan", "tilt", "roll", "zoom")
APPROXIMATED = {
    Move.DOLLY_IN: "dolly in drawn as a zoom in: Kling's camera control has no forward move",
    Move.DOLLY_OUT: "dolly out drawn as a zoom out: Kling's camera control has no backward move",
    Move.ORBIT: "orbit drawn as a truck right: Kling's camera control has no orbit",
}


def camera_control_for(camera: CameraMove) -> dict[str, Any] | None:
    """Kling `camera_control` for a shot's move: one non-zero axis, intensity → 1..10.

    Static and handheld give None (Kling has no shake; handheld goes into the prompt).
    """
    axis = _CAMERA_AXES.get(camera.move)
    if axis is None:
        return None
    name, sign = axis
    magnitude = min(10, max(1, round(camera.intensity * 10)))
    config = {key: 0 for key in _CONFIG_AXES}
    config[name] = sign * magnitude
    return {"type": "simple", "config": config}


def move_words(camera: CameraMove) -> str:
    speed = "slow" if camera.intensity < 0.4 else "fast" if camera.intensity > 0.7 else "steady"
    words = camera.move.value.replace("_", " ")
    if camera.move is Move.HANDHELD:
        return "handheld camera, subtle natural shake"
    return f"{speed} camera {words}"
