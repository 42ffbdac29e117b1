"""Probing, decoding and frame extraction with the real ffmpeg binaries."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from shotcraft.engine.writer import FrameWriter, write_video
from shotcraft.shots import media
from shotcraft.shots.errors import EngineError, MediaError


def _numbered_clip(path: Path, frames: int = 45) -> Path:
    """Frame i is a flat grey of level 4*i, so every frame is recognisable after decoding."""
    write_video((np.full((64, 36, 3), 4 * i, np.uint8) for i in range(frames)), path,
                width=36, height=64, fps=30)
    return path


def test_probe_reports_size_fps_and_exact_frame_count(tmp_path: Path) -> None:
    clip = _numbered_clip(tmp_path / "c.mp4")
    info = media.probe(clip)
    assert (info.width, info.height, info.fps, info.frames, info.codec) == (36, 64, 30.0, 45, "h264")
    assert info.pix_fmt == "yuv420p" and not info.has_audio


def test_probe_refuses_missing_empty_and_garbage_files(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="does not exist"):
        media.probe(tmp_path / "nope.mp4")
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(MediaError, match="empty"):
        media.probe(tmp_path / "empty.mp4")
    (tmp_path / "junk.mp4").write_bytes(b"not a video at all" * 50)
    with pytest.raises(MediaError, match="junk.mp4"):
        media.probe(tmp_path / "junk.mp4")


def test_probe_without_ffprobe_falls_back_to_ffmpeg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clip = _numbered_clip(tmp_path / "c.mp4")
    monkeypatch.setattr(media, "ffprobe_binary", lambda: None)
    info = media.probe(clip)
    assert (info.width, info.height, info.frames) == (36, 64, 45)
    assert info.fps == pytest.approx(30.0)


def test_read_frames_decodes_every_nth_frame_in_order(tmp_path: Path) -> None:
    clip = _numbered_clip(tmp_path / "c.mp4")
    frames = media.read_frames(clip, every=5, gray=True)
    assert frames.shape == (9, 64, 36)
    levels = frames.reshape(9, -1).mean(axis=1)
    assert np.allclose(levels, [4 * i for i in range(0, 45, 5)], atol=3)


@pytest.mark.parametrize(("position", "index"), [("first", 0), ("middle", 22), ("last", 44)])
def test_extract_frame_takes_the_right_frame(tmp_path: Path, position: str, index: int) -> None:
    clip = _numbered_clip(tmp_path / "c.mp4")
    out = media.extract_frame(clip, tmp_path / f"{position}.png", position=position)
    level = np.asarray(Image.open(out).convert("L")).mean()
    assert abs(level - 4 * index) <= 6


def test_frame_writer_removes_a_partial_file_when_rendering_fails(tmp_path: Path) -> None:
    target = tmp_path / "take.mp4"
    with pytest.raises(RuntimeError):
        with FrameWriter(target, 36, 64, 30) as out:
            out.write(np.zeros((64, 36, 3), np.uint8))
            raise RuntimeError("engine crashed mid-take")
    assert not target.exists()
    with pytest.raises(EngineError, match="expected"):
        with FrameWriter(target, 36, 64, 30) as out:
            out.write(np.zeros((10, 10, 3), np.uint8))
    with pytest.raises(EngineError, match="even"):
        FrameWriter(target, 35, 64, 30)


def test_a_cjk_font_is_found_through_fontconfig() -> None:
    font = media.cjk_font()
    assert font is not None and font.is_file()
    listed = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, check=False)
    assert str(font) in listed.stdout or font.name in listed.stdout


def test_ffmpeg_setting_that_points_nowhere_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from shotcraft.shots.errors import ConfigError

    media.ffmpeg_binary.cache_clear()
    monkeypatch.setenv("SHOTCRAFT_FFMPEG", "/nowhere/ffmpeg")
    try:
        with pytest.raises(ConfigError, match="SHOTCRAFT_FFMPEG"):
            media.ffmpeg_binary()
    finally:
        monkeypatch.delenv("SHOTCRAFT_FFMPEG")
        media.ffmpeg_binary.cache_clear()
