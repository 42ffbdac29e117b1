"""A take's filmstrip: its first, middle and last frames, made at scoring time or on first view."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from shotcraft.projects import Project
from shotcraft.projects.draw import Draw
from shotcraft.projects.filmstrip import SHORT_SIDE
from shotcraft.shots.ffmpeg import ffmpeg_binary
from shotcraft.shots.models import TakeKind

SHOT = "E01-S01-001"


def three_colour_clip(path: Path) -> Path:
    """30 frames at 10 fps: 10 red, 10 green, 10 blue, so each filmstrip frame has one colour."""
    sources = []
    for colour in ("red", "lime", "blue"):
        sources += ["-f", "lavfi", "-i", f"color=c={colour}:s=96x64:r=10:d=1"]
    subprocess.run(
        [ffmpeg_binary(), "-v", "error", "-y", *sources, "-filter_complex",
         "[0:v][1:v][2:v]concat=n=3:v=1:a=0[v]", "-map", "[v]", "-c:v", "libx264",
         "-pix_fmt", "yuv420p", "-g", "1", str(path)], check=True)
    return path


def mean_colour(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), dtype=float).reshape(-1, 3).mean(axis=0)


def dominant(path: Path) -> str:
    red, green, blue = mean_colour(path)
    return max((red, "red"), (green, "green"), (blue, "blue"))[1]


def test_scoring_a_take_makes_its_first_middle_and_last_frames(
        project: Project, tmp_path: Path) -> None:
    take = project.add_take(SHOT, three_colour_clip(tmp_path / "rgb.mp4"))
    strip = project.filmstrip(take, make=False)  # made already: nothing left to make
    assert strip is not None
    assert [f.position for f in strip] == ["first", "middle", "last"]
    assert [f.frame for f in strip] == [0, 14, 29]
    assert [round(f.seconds, 1) for f in strip] == [0.0, 1.4, 2.9]
    assert [dominant(f.path) for f in strip] == ["red", "green", "blue"]
    assert all(f.path.parent == project.root / "media" / "frames" for f in strip)
    assert not [p for p in strip[0].path.parent.iterdir() if p.name.startswith(".")]


def test_filmstrip_frames_are_large_enough_to_judge_a_face(
        project: Project, small_previz: None) -> None:
    project.draw(Draw(shots=[SHOT], takes=1))
    take = project.takes(SHOT)[0].take
    strip = project.filmstrip(take, make=False)
    assert strip is not None and len(strip) == 3
    for frame in strip:
        with Image.open(frame.path) as image:
            # previz at scale 0.1 is smaller than the strip size: never upscaled, never cropped
            assert min(image.size) <= SHORT_SIDE
            assert image.size[0] / image.size[1] == pytest.approx(take.width / take.height, rel=0.05)


def test_an_older_take_gets_its_filmstrip_on_first_view(project: Project, tmp_path: Path) -> None:
    take = project.add_take(SHOT, three_colour_clip(tmp_path / "rgb.mp4"))
    made = project.filmstrip(take, make=False)
    assert made is not None
    for frame in made:
        frame.path.unlink()  # as if scored before filmstrips existed
    assert project.filmstrip(take, make=False) is None
    strip = project.filmstrip(take)
    assert strip is not None
    assert [dominant(f.path) for f in strip] == ["red", "green", "blue"]
    stamps = [f.path.stat().st_mtime_ns for f in strip]
    again = project.filmstrip(take)
    assert again is not None
    assert [f.path.stat().st_mtime_ns for f in again] == stamps  # cached, not made twice


def test_a_keyframe_take_has_one_frame(project: Project, tmp_path: Path) -> None:
    still = tmp_path / "still.png"
    Image.new("RGB", (800, 450), (200, 30, 30)).save(still)
    take = project.add_take(SHOT, still)
    assert take.kind is TakeKind.KEYFRAME
    strip = project.filmstrip(take, make=False)
    assert strip is not None
    assert [f.position for f in strip] == ["still"]
    with Image.open(strip[0].path) as image:
        assert image.size == (640, 360)
    assert dominant(strip[0].path) == "red"
