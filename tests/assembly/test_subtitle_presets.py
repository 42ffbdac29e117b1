"""Burned subtitles land inside the platform's safe area the preset names, measured on the
exported frames against the same export without subtitles; a position asked for outside it is
burned there and said in a warning."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from shotcraft.assembly.episode import ExportOptions, export_episode
from shotcraft.assembly.subtitle_style import PRESETS
from shotcraft.shots.media import ffmpeg_binary
from shotcraft.shots.models import DialogueLine
from tests.assembly.conftest import MakeTake, clip_for, timeline_of

W, H = 180, 320  # the test-small preset
LINE = "唉，你这孩子！天天看见天，看见土，看见风，还不够好看么？"


def first_frame(path: Path) -> np.ndarray:
    raw = subprocess.run([ffmpeg_binary(), "-v", "error", "-i", str(path), "-frames:v", "1",
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(H, W, 3).astype(int)


@pytest.fixture
def plain(tmp_path: Path, make_take: MakeTake) -> dict:
    take = make_take(seconds=1.0, source="mandelbrot")
    timeline = timeline_of([clip_for(1, take, 30, dialogue=[DialogueLine(speaker="老翁", text=LINE)])])
    out = tmp_path / "plain.mp4"
    export_episode(timeline, ExportOptions(preset="test-small", subtitles="none"),
                   cache_dir=tmp_path / "cache", out_path=out)
    return {"timeline": timeline, "frame": first_frame(out), "tmp": tmp_path}


def burned_box(plain: dict, **options) -> tuple[tuple[float, float, float, float], list[str]]:
    """(left, top, right, bottom) of what the subtitles changed, as shares of the frame."""
    out = plain["tmp"] / f"{'-'.join(str(v) for v in options.values())}.mp4"
    result = export_episode(plain["timeline"],
                            ExportOptions(preset="test-small", subtitles="burn", **options),
                            cache_dir=plain["tmp"] / "cache", out_path=out)
    changed = np.abs(first_frame(out) - plain["frame"]).sum(axis=2) > 120  # not the encoder's noise
    ys, xs = np.nonzero(changed)
    return (xs.min() / W, ys.min() / H, (xs.max() + 1) / W, (ys.max() + 1) / H), result.warnings


@pytest.mark.parametrize("preset", list(PRESETS))
def test_each_preset_burns_the_subtitles_inside_its_safe_area(plain: dict, preset: str) -> None:
    (left, top, right, bottom), warnings = burned_box(plain, subtitle_preset=preset)
    safe = PRESETS[preset].safe
    tolerance = 2 / H  # a pixel's rounding at this size
    assert left >= safe.left - 2 / W and right <= 1 - safe.right + 2 / W, (preset, left, right)
    assert top >= safe.top and bottom <= 1 - safe.bottom + tolerance, (preset, top, bottom)
    assert bottom >= 1 - safe.bottom - 0.03  # just above the covered band, not floating higher
    assert not any("subtitles end at" in w for w in warnings)


def test_douyin_is_the_default_for_a_vertical_frame_and_sits_above_where_it_used_to(
    plain: dict,
) -> None:
    (_, _, _, bottom), _ = burned_box(plain)
    assert bottom <= 1 - PRESETS["douyin"].safe.bottom + 2 / H < 0.85  # it used to end at 88 %


def test_size_outline_and_position_options_change_the_burned_block(plain: dict) -> None:
    (l1, t1, r1, b1), _ = burned_box(plain, subtitle_preset="generic")
    (l2, t2, r2, b2), _ = burned_box(plain, subtitle_preset="generic", subtitle_size=40)
    assert (b2 - t2) < (b1 - t1) and (r2 - l2) <= (r1 - l1)  # smaller type, a smaller block
    (_, _, _, b3), warnings = burned_box(plain, subtitle_preset="douyin", subtitle_position=0.9)
    assert abs(b3 - 0.9) <= 2 / H
    assert warnings[0] == ("Subtitles end at 90% of the height, inside douyin's bottom 24% that "
                           "its interface covers; its clear area ends at 76%.")
