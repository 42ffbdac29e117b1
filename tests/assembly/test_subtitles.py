"""Subtitles: cue timing from dialogue, SRT output, and burned-in drawtext that renders literally."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from shotcraft.assembly.subtitles import (
    Cue,
    build_cues,
    clip_subtitle_filter,
    cues_for_clip,
    escape_filter_value,
    wrap_text,
    write_srt,
)
from shotcraft.assembly.timeline import Clip, Timeline
from shotcraft.shots.errors import AssemblyError
from shotcraft.shots.media import cjk_font, ffmpeg_binary
from shotcraft.shots.models import DialogueLine, DialogueMode

LONG_ZH = "我早就知道你会来，只是没想到你会这么晚才来，外面下着大雨，你一个人是怎么找到这里的？"


def _timeline(*clips: Clip) -> Timeline:
    return Timeline(title="雨夜", episode=1, fps=30, clips=list(clips))


def _clip(shot: str, frames: int, *lines: DialogueLine) -> Clip:
    return Clip(shot_id=shot, scene_id="1-1", duration_frames=frames, dialogue=list(lines))


def _starts(timeline: Timeline) -> list[int]:
    starts, at = [], 0
    for clip in timeline.clips:
        starts.append(at)
        at += clip.duration_frames
    return starts


def test_long_line_splits_into_cues_that_fit_two_lines_inside_the_clip():
    timeline = _timeline(
        _clip("E01-S01-001", 45),
        _clip("E01-S01-002", 120, DialogueLine(speaker="林夏", text=LONG_ZH)),
    )
    cues = build_cues(timeline, _starts(timeline))
    assert len(cues) >= 2
    assert "".join(cue.text for cue in cues) == LONG_ZH
    assert [cue.index for cue in cues] == list(range(1, len(cues) + 1))
    assert cues[0].start_frame == 45 and cues[-1].end_frame == 165
    for cue in cues:
        lines = wrap_text(cue.text).split("\n")
        assert len(lines) <= 2
        assert all(len(line) <= 16 for line in lines)
        assert cue.speaker == "林夏"
    for before, after in zip(cues, cues[1:], strict=False):
        assert before.end_frame == after.start_frame  # back to back, never overlapping


def test_lines_in_one_clip_share_its_duration_by_length():
    timeline = _timeline(
        _clip(
            "E01-S01-001", 90,
            DialogueLine(speaker="A", text="好。"),
            DialogueLine(speaker="B", text="那我们明天早上再见吧。", mode=DialogueMode.VO),
        )
    )
    cues = build_cues(timeline, [0])
    assert [cue.text for cue in cues] == ["好。", "那我们明天早上再见吧。"]  # VO keeps its plain text
    short, long = (cue.end_frame - cue.start_frame for cue in cues)
    assert long > 3 * short
    assert short + long == 90


def test_english_lines_wrap_at_42_characters_between_words():
    text = ("I knew you would come, I just did not think you would be this late. "
            "It is pouring outside, how on earth did you find this place all by yourself?")
    timeline = _timeline(_clip("E01-S01-001", 150, DialogueLine(speaker="MAYA", text=text)))
    cues = build_cues(timeline, [0], language="en")
    assert " ".join(cue.text for cue in cues) == text
    for cue in cues:
        lines = wrap_text(cue.text, language="en").split("\n")
        assert len(lines) <= 2 and all(len(line) <= 42 for line in lines)
        assert all(word in text.split() for line in lines for word in line.split())


def test_srt_times_are_exact_from_frames(tmp_path: Path):
    cues = [
        Cue(index=1, start_frame=1, end_frame=45, speaker="A", text="第一句"),
        Cue(index=2, start_frame=45, end_frame=108_000, speaker="B", text="second"),
    ]
    path = write_srt(cues, tmp_path / "ep01.srt", fps=30)
    assert path.read_bytes().decode("utf-8") == (
        "1\n00:00:00,033 --> 00:00:01,500\n第一句\n\n"
        "2\n00:00:01,500 --> 01:00:00,000\nsecond\n"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["ep01.srt"]  # no temp file left behind


def test_escape_filter_value_escapes_both_filtergraph_levels():
    assert escape_filter_value("plain/path.txt") == "plain/path.txt"
    assert escape_filter_value("a:b'c\\d,e[f];g") == "a\\\\:b\\\\\\'c\\\\\\\\d\\,e\\[f\\]\\;g"


def _render(fragment: str, frame: int, tmp_path: Path) -> np.ndarray:
    out = tmp_path / f"frame{frame}.rgb"
    args = [ffmpeg_binary(), "-v", "error", "-y", "-f", "lavfi", "-i",
            "color=c=0x204080:s=108x192:r=30:d=0.5", "-vf",
            f"{fragment},select=eq(n\\,{frame})", "-frames:v", "1",
            "-f", "rawvideo", "-pix_fmt", "rgb24", str(out)]
    result = subprocess.run(args, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return np.frombuffer(out.read_bytes(), dtype=np.uint8).reshape(192, 108, 3)


def test_hostile_line_renders_literally_from_a_hostile_folder(tmp_path: Path):
    font = cjk_font()
    assert font is not None, "the test machine needs a CJK font"
    line = "他:'a' \"b\" C:\\x 5% {}[];\n%{pts} \\N"
    work = tmp_path / "it's: [odd],;dir\\x"
    cues = [Cue(index=1, start_frame=5, end_frame=10, speaker="他", text=line)]
    fragment = clip_subtitle_filter(cues, work_dir=work, width=108, height=192, font=font)
    assert fragment is not None and fragment.count("drawtext=") == 1
    [text_file] = list(work.iterdir())
    assert text_file.read_text(encoding="utf-8") == line
    before, during, after = (_render(fragment, n, tmp_path) for n in (2, 7, 12))
    bottom = slice(120, 175)
    assert (during[bottom].mean(axis=2) > 120).sum() > 10  # light text pixels near the bottom
    assert (during[:100] == during[0, 0]).all()  # the top of the frame is untouched
    background = before[0, 0]
    assert (before == background).all() and (after == background).all()  # only while the cue is on


def test_cjk_cue_without_a_font_is_a_clear_error(tmp_path: Path):
    cues = [Cue(index=1, start_frame=0, end_frame=5, speaker="A", text="你好")]
    with pytest.raises(AssemblyError, match="no CJK font found: install fonts-wqy-microhei"):
        clip_subtitle_filter(cues, work_dir=tmp_path, width=108, height=192, font=None)


def test_no_cues_means_no_filter(tmp_path: Path):
    assert clip_subtitle_filter([], work_dir=tmp_path, width=108, height=192, font=None) is None


def test_cues_for_a_clip_are_relative_to_its_first_frame():
    timeline = _timeline(
        _clip("E01-S01-001", 30, DialogueLine(speaker="A", text="第一个镜头。")),
        _clip("E01-S01-002", 60, DialogueLine(speaker="B", text="第二个镜头的台词。")),
    )
    cues = build_cues(timeline, _starts(timeline))
    second = cues_for_clip(cues, 30, 60)
    assert [(cue.start_frame, cue.end_frame, cue.text) for cue in second] == [(0, 60, "第二个镜头的台词。")]
    assert cues_for_clip(cues, 90, 30) == []


def test_a_wrapped_chinese_line_never_leaves_one_character_alone_on_its_last_line() -> None:
    for text in ("[/] 你终于来了 [bold]x[/bold] 上面", "你父亲欠顾氏三千万你拿几张纸来抵押"):
        lines = wrap_text(text).split("\n")
        assert len(lines) >= 2, lines
        assert len(lines[-1]) >= 2, lines
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")
