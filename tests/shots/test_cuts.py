"""The shot-boundary detector (ffmpeg's scene score) finds the hard cuts a clip has, no others."""

from __future__ import annotations

from pathlib import Path

from shotcraft.shots.cuts import cuts_match, detect_cuts
from tests.engine.clips import clip


def test_cuts_are_found_where_the_clip_cuts_and_nowhere_else(tmp_path: Path) -> None:
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(clip(180, 320, 24, 120, cuts=(30, 75)))
    assert detect_cuts(cut, 24) == [30, 75]
    whole = tmp_path / "whole.mp4"
    whole.write_bytes(clip(180, 320, 24, 120))  # one moving shot: no cut
    assert detect_cuts(whole, 24) == []


def test_cuts_match_only_as_many_and_each_near_its_planned_frame() -> None:
    assert cuts_match([30, 76], [30, 75], tolerance=12)
    assert not cuts_match([30], [30, 75], tolerance=12)  # one cut missing
    assert not cuts_match([10, 75], [30, 75], tolerance=12)  # one too early
    assert not cuts_match([30, 50, 75], [30, 75], tolerance=12)  # one too many
