"""Script text in subtitles: SRT tags neutralised; burned lines literal, wrapped, with fallback fonts."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from shotcraft.assembly.subtitle_style import Placement, SubtitleStyle
from shotcraft.assembly.subtitles import Cue, clip_subtitle_filter, srt_text, write_srt
from shotcraft.shots.fonts import fallback_font
from shotcraft.shots.media import cjk_font, ffmpeg_binary

W, H = 216, 384
BACKGROUND = (0x20, 0x40, 0x80)
LONG_EN = "I knew you would come, I just did not think you would be this late tonight"
LONG_ZH = "我早就知道你会来只是没想到你会这么晚才来外面下着大雨你一个人"
UNDRAWABLE = "\U000f0001"  # a private-use character: no installed font has it


def cue(text: str) -> Cue:
    return Cue(index=1, start_frame=0, end_frame=5, speaker="A", text=text)


def placement(preset: str = "douyin") -> Placement:
    return SubtitleStyle(preset=preset).resolve(W, H)


def burn(text: str, tmp_path: Path, warnings: list[str] | None = None,
         preset: str = "douyin") -> np.ndarray:
    fragment = clip_subtitle_filter([cue(text)], work_dir=tmp_path / "work", width=W, height=H,
                                    font=cjk_font(), where="E01-S01-003", warnings=warnings,
                                    placement=placement(preset))
    assert fragment is not None
    out = tmp_path / "frame.rgb"
    colour = "0x" + "".join(f"{c:02x}" for c in BACKGROUND)
    result = subprocess.run(
        [ffmpeg_binary(), "-v", "error", "-y", "-f", "lavfi", "-i", f"color=c={colour}:s={W}x{H}:r=30:d=0.1",
         "-vf", fragment, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", str(out)],
        capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return np.frombuffer(out.read_bytes(), dtype=np.uint8).reshape(H, W, 3)


def drawn_box(frame: np.ndarray) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of every pixel that is not the background."""
    ys, xs = np.nonzero(np.abs(frame.astype(int) - frame[0, 0]).sum(axis=2) > 30)
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


def light_columns(frame: np.ndarray) -> int:
    """How many columns hold glyph pixels (white text), a width measure free of the box."""
    return int((frame.min(axis=2) > 150).any(axis=0).sum())


def test_srt_drops_override_tags_and_shows_markup_characters_as_lookalikes(tmp_path: Path) -> None:
    cues = [Cue(index=1, start_frame=0, end_frame=30, speaker="A", text="{\\an8}上面 {\\i1}真的{\\i0}"),
            Cue(index=2, start_frame=30, end_frame=60, speaker="B", text="<i>斜体</i> <font color=red>红</font>"),
            Cue(index=3, start_frame=60, end_frame=90, speaker="C", text="C:\\temp [/] a --> b 🦄 שלום"),
            Cue(index=4, start_frame=90, end_frame=120, speaker="D", text="{\\pos(1,1)}")]
    written = write_srt(cues, tmp_path / "ep.srt", fps=30).read_text(encoding="utf-8")
    assert "{\\" not in written and not re.search(r"<\s*/?\s*[a-z]+[^>]*>", written)
    assert written.count("-->") == 3  # the timing lines only; the empty cue 4 is left out
    for words in ("上面", "真的", "‹i›斜体‹/i›", "红", "C:＼temp", "[/]", "🦄", "שלום"):
        assert words in written
    assert srt_text("{odd} \\N") == "｛odd｝ ＼N"  # libass would hide {odd} and break at \N


def test_burned_braces_and_backslashes_are_drawn(tmp_path: Path) -> None:
    with_braces = light_columns(burn("{\\an8}[x]\\N", tmp_path))
    without = light_columns(burn("[x]", tmp_path))
    assert with_braces > without + 20  # "{\an8}" and "\N" take room: drawn, not swallowed


@pytest.mark.parametrize("preset", ["douyin", "kuaishou", "wechat-channels", "generic"])
@pytest.mark.parametrize("text", [LONG_EN, LONG_ZH])
def test_long_burned_lines_wrap_inside_the_platform_s_safe_area(
    text: str, preset: str, tmp_path: Path,
) -> None:
    frame = burn(text, tmp_path, preset=preset)
    left, top, right, bottom = drawn_box(frame)
    place = placement(preset)
    assert left >= place.left - 1 and right <= place.right + 1, (left, right, place)
    assert place.safe_top < top and bottom <= place.bottom + 1 <= place.safe_bottom + 1
    assert top > H / 2  # below the middle of the picture
    [text_file] = (tmp_path / "work").iterdir()
    lines = text_file.read_text(encoding="utf-8").split("\n")
    assert 2 <= len(lines) <= 3 and "".join(lines).replace(" ", "") == text.replace(" ", "")


def test_rtl_and_emoji_are_drawn_with_fallback_fonts(tmp_path: Path) -> None:
    if fallback_font("\u05d0") is None or fallback_font("\U0001f984") is None:
        pytest.fail("scripts/setup-system.sh installs fonts-dejavu-core and fonts-symbola")
    warnings: list[str] = []
    frame = burn("שלום 🦄 مرحبا", tmp_path, warnings, preset="generic")
    assert warnings == []
    band = frame[int(H * 0.7):placement("generic").bottom]
    assert (band.min(axis=2) > 150).sum() > 40  # white glyph pixels in the subtitle band
    assert light_columns(frame) > 40
    assert (frame[: H // 2] == frame[0, 0]).all()


def test_characters_no_font_has_are_named_in_one_warning(tmp_path: Path) -> None:
    warnings: list[str] = []
    burn(f"看 {UNDRAWABLE} 好", tmp_path, warnings)
    assert warnings == [
        f"E01-S01-003: 1 character cannot be drawn in burned subtitles (no installed font has "
        f"them): {UNDRAWABLE}"]
