"""Tiny real media for assembly tests: takes made with ffmpeg's lavfi sources."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from shotcraft.assembly.timeline import Clip, ClipSource, Timeline
from shotcraft.shots.media import ffmpeg_binary, sha256_file

MakeTake = Callable[..., Path]


def make_take_file(
    path: Path,
    *,
    size: str = "108x192",
    rate: int = 30,
    seconds: float = 1.0,
    source: str = "testsrc2",
    audio: bool = False,
) -> Path:
    """Write a small H.264 test take (optionally with a sine-tone audio track)."""
    args = [ffmpeg_binary(), "-v", "error", "-y", "-f", "lavfi",
            "-t", str(seconds), "-i", f"{source}=s={size}:r={rate}"]
    if audio:
        args += ["-f", "lavfi", "-t", str(seconds), "-i", "sine=frequency=440:sample_rate=44100"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    args += ["-c:a", "aac"] if audio else []
    subprocess.run([*args, str(path)], check=True, capture_output=True)
    return path


def make_still_file(path: Path, *, size: str = "120x90") -> Path:
    """Write a small PNG keyframe take."""
    subprocess.run(
        [ffmpeg_binary(), "-v", "error", "-y", "-f", "lavfi", "-i", f"smptebars=s={size}",
         "-frames:v", "1", str(path)],
        check=True, capture_output=True,
    )
    return path


@pytest.fixture
def make_take(tmp_path: Path) -> MakeTake:
    counter = iter(range(10_000))

    def factory(**kwargs) -> Path:
        folder = tmp_path / "takes"
        folder.mkdir(exist_ok=True)
        return make_take_file(folder / f"take-{next(counter)}.mp4", **kwargs)

    return factory


def clip_for(shot: int, media: Path | None, frames: int, **extra) -> Clip:
    """A timeline clip for shot number `shot` of scene 1-1."""
    return Clip(
        shot_id=f"E01-S01-{shot:03d}",
        scene_id="1-1",
        scene_heading="1-1 内 客厅 夜",
        duration_frames=frames,
        media=media,
        media_hash=sha256_file(media) if media else None,
        take=1 if media else None,
        source=ClipSource.PICKED if media else ClipSource.SLATE,
        action=None if media else "林晚推门而入，雨水顺着伞尖滴落。",
        **extra,
    )


def timeline_of(clips: list[Clip], fps: int = 30) -> Timeline:
    return Timeline(title="Test", episode=1, fps=fps, clips=clips)
