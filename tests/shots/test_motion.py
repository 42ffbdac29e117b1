"""The camera motion model (shots/motion.py): how far a move goes over a clip."""

import math

import pytest

from shotcraft.shots.models import CameraMove, Move
from shotcraft.shots.motion import TRAVEL, ZOOM, CameraPath, eased


def test_easing_starts_and_ends_the_move_and_never_stops() -> None:
    assert (eased(0.0), eased(0.5), eased(1.0)) == (0.0, 0.5, 1.0)
    steps = [eased((i + 1) / 20) - eased(i / 20) for i in range(20)]
    assert min(steps) >= 0.5 / 20 - 1e-9  # never below half speed


@pytest.mark.parametrize("intensity", [0.2, 0.5, 1.0])
def test_travel_grows_with_intensity_and_is_centred_on_mid_clip(intensity: float) -> None:
    pan = CameraPath.of(CameraMove(move=Move.PAN_RIGHT, intensity=intensity))
    assert pan.travel() == pytest.approx((TRAVEL * intensity, 0.0, 0.0))
    assert pan.at(0.5) == (0.0, 0.0, 0.0)
    assert pan.at(1.0)[0] - pan.at(0.0)[0] == pytest.approx(TRAVEL * intensity)
    dolly = CameraPath(move=Move.DOLLY_IN, intensity=intensity)
    assert math.log(dolly.zoom_at(1.0) / dolly.zoom_at(0.0)) == pytest.approx(ZOOM * intensity)


def test_the_picture_moves_against_the_camera_across_and_with_it_in_zoom() -> None:
    assert CameraPath(move=Move.PAN_RIGHT, intensity=1.0).picture_travel()[0] < 0
    assert CameraPath(move=Move.TILT_UP, intensity=1.0).picture_travel()[1] > 0
    assert CameraPath(move=Move.DOLLY_IN, intensity=1.0).picture_travel()[2] > 0
    assert CameraPath(move=Move.DOLLY_OUT, intensity=1.0).picture_travel()[2] < 0


@pytest.mark.parametrize("move", [Move.STATIC, Move.HANDHELD])
def test_still_and_handheld_cameras_do_not_travel(move: Move) -> None:
    path = CameraPath(move=move, intensity=1.0)
    assert path.travel() == (0.0, 0.0, 0.0) and path.zoom_at(1.0) == 1.0
