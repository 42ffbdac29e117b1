"""Normalising clips with real ffmpeg: exact format and length, stills, slates, the cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from shotcraft.assembly.normalize import CacheStats, normalize_clip, normalize_segments
from shotcraft.assembly.presets import get_preset
from shotcraft.shots.media import probe, read_frames
from tests.assembly.conftest import MakeTake, clip_for, make_still_file

SMALL = get_preset("test-small")


def assert_episode_format(path: Path, frames: int) -> None:
    info = probe(path)
    assert (info.width, info.height, info.fps_fraction) == (180, 320, "30/1")
    assert (info.codec, info.pix_fmt, info.frames) == ("h264", "yuv420p", frames)
    assert not info.has_audio


def test_other_size_and_rate_become_the_preset_exactly(tmp_path: Path, make_take: MakeTake) -> None:
    take = make_take(size="320x240", rate=24, seconds=1.0, audio=True)
    path = normalize_clip(clip_for(1, take, 36), SMALL, tmp_path / "cache")
    assert_episode_format(path, 36)


def test_landscape_take_is_letterboxed_with_pad_and_filled_with_crop(
    tmp_path: Path, make_take: MakeTake
) -> None:
    take = make_take(size="192x108", source="testsrc2", seconds=0.5)
    padded = read_frames(normalize_clip(clip_for(1, take, 10), SMALL, tmp_path / "c"), max_frames=1)
    cropped = read_frames(
        normalize_clip(clip_for(1, take, 10), SMALL, tmp_path / "c", fit="crop"), max_frames=1
    )
    # pad: black bars above and below the picture; crop: picture all the way to the top
    assert padded[0, :40].max() < 20
    assert cropped[0, :40].mean() > 40


def test_short_take_holds_its_last_frame_and_long_take_is_trimmed(
    tmp_path: Path, make_take: MakeTake
) -> None:
    short = make_take(seconds=0.5)  # 15 frames for a 30-frame shot
    frames = read_frames(normalize_clip(clip_for(1, short, 30), SMALL, tmp_path / "c"))
    assert len(frames) == 30
    held = frames[15:].astype(int)
    assert np.abs(held - held[0]).mean() < 1.0  # a frozen frame, up to encoder noise
    assert np.abs(frames[5].astype(int) - frames[10].astype(int)).mean() > 1  # it moved before
    long = make_take(seconds=2.0)
    assert_episode_format(normalize_clip(clip_for(2, long, 20), SMALL, tmp_path / "c"), 20)


def test_still_keyframe_becomes_a_clip_of_the_shot_length(tmp_path: Path) -> None:
    still = make_still_file(tmp_path / "key.png", size="120x90")
    assert_episode_format(normalize_clip(clip_for(1, still, 25), SMALL, tmp_path / "c"), 25)


def test_shot_without_a_take_becomes_a_slate_with_text(tmp_path: Path) -> None:
    # a cache folder with ':' and "'" proves the text-file paths are escaped for drawtext
    path = normalize_clip(clip_for(1, None, 18), SMALL, tmp_path / "it's:cache")
    assert_episode_format(path, 18)
    frame = read_frames(path, max_frames=1)[0]
    bright = (frame.max(axis=2) > 150).sum()
    assert bright > 200  # the shot id and action are drawn on the dark card


def test_cache_hits_until_the_media_or_length_changes(tmp_path: Path, make_take: MakeTake) -> None:
    stats = CacheStats()
    take = make_take(seconds=0.5)
    first = normalize_clip(clip_for(1, take, 15), SMALL, tmp_path / "c", stats=stats)
    mtime = first.stat().st_mtime_ns
    again = normalize_clip(clip_for(1, take, 15), SMALL, tmp_path / "c", stats=stats)
    assert (again, again.stat().st_mtime_ns, stats.hits, stats.misses) == (first, mtime, 1, 1)
    normalize_clip(clip_for(1, take, 16), SMALL, tmp_path / "c", stats=stats)
    other = make_take(seconds=0.5, source="smptebars")
    normalize_clip(clip_for(1, other, 15), SMALL, tmp_path / "c", stats=stats)
    assert (stats.hits, stats.misses) == (1, 3)
    assert not list((tmp_path / "c").glob(".tmp-*"))  # no temp leftovers


def test_segments_split_one_encode_at_the_requested_frames(
    tmp_path: Path, make_take: MakeTake
) -> None:
    take = make_take(seconds=1.0)
    parts = normalize_segments(clip_for(1, take, 40), SMALL, tmp_path / "c", split_at=(8, 32))
    assert [probe(p).frames for p in parts] == [8, 24, 8]
    whole = read_frames(normalize_clip(clip_for(1, take, 40), SMALL, tmp_path / "c"))
    body = read_frames(parts[1])
    assert np.abs(body[0].astype(int) - whole[8].astype(int)).mean() < 3  # the same picture
