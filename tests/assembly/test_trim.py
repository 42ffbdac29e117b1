"""A trimmed clip (an editor's trim, read back by import-edit) plays the frames it was given."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import opentimelineio as otio

from shotcraft.assembly.audio import mix_audio
from shotcraft.assembly.episode import ExportOptions, export_episode, retime
from shotcraft.assembly.formats.otio import write_otio
from shotcraft.assembly.normalize import normalize_clip
from shotcraft.assembly.presets import get_preset
from shotcraft.shots.media import probe, read_frames
from tests.assembly.conftest import MakeTake, clip_for, timeline_of
from tests.assembly.test_audio import _lavfi, _pcm, _rms

SMALL = get_preset("test-small")


def _nearest(frame: np.ndarray, frames: np.ndarray) -> int:
    return int(np.argmin([np.abs(frame.astype(int) - f.astype(int)).mean() for f in frames]))


def test_a_trimmed_clip_starts_exactly_on_its_trim_in_frame(tmp_path: Path, make_take: MakeTake) -> None:
    take = make_take(size="108x192", source="testsrc2", seconds=1.0)  # 30 frames, each different
    whole = read_frames(normalize_clip(clip_for(1, take, 30), SMALL, tmp_path / "c"), gray=True)
    trimmed_path = normalize_clip(clip_for(1, take, 10, source_start_frames=7), SMALL, tmp_path / "c")
    trimmed = read_frames(trimmed_path, gray=True)
    assert probe(trimmed_path).frames == 10
    assert _nearest(trimmed[0], whole) == 7
    assert _nearest(trimmed[-1], whole) == 16


def test_an_export_of_a_trimmed_clip_is_shorter_and_its_otio_clip_starts_at_the_trim(
    tmp_path: Path, make_take: MakeTake
) -> None:
    first, second = make_take(seconds=1.0), make_take(source="testsrc2", seconds=1.0)
    timeline = timeline_of([clip_for(1, first, 30), clip_for(2, second, 18, source_start_frames=6)])
    result = export_episode(timeline, ExportOptions(preset="test-small", subtitles="none", otio=True),
                            cache_dir=tmp_path / "cache", out_path=tmp_path / "ep.mp4")
    assert probe(result.output).frames == 48
    assert result.otio is not None
    clips = list(otio.adapters.read_from_file(str(result.otio)).find_clips())
    assert [(c.source_range.start_time.value, c.source_range.duration.value) for c in clips] == [
        (0, 30), (6, 18)]


def test_retiming_moves_the_trim_in_frame_to_the_new_rate(make_take: MakeTake) -> None:
    clip = clip_for(1, None, 50, source_start_frames=24)
    assert retime(timeline_of([clip], fps=24), 30).clips[0].source_start_frames == 30


def test_a_slate_ignores_a_trim_in_frame(tmp_path: Path) -> None:
    slate = clip_for(1, None, 12, source_start_frames=5)
    path = write_otio(timeline_of([slate]), tmp_path / "s.otio")
    [clip] = otio.adapters.read_from_file(str(path)).find_clips()
    assert clip.source_range.start_time.value == 0


def test_a_trimmed_clip_skips_the_sound_before_its_trim_in_frame(tmp_path: Path) -> None:
    # half a second of silence, then a tone: a trim-in at frame 15 starts on the tone
    take = _lavfi("aevalsrc=if(gte(t\\,0.5)\\,0.5*sin(2*PI*300*t)\\,0):s=48000:d=1.5",
                  tmp_path / "take.wav")
    untrimmed = _pcm(mix_audio(total_frames=30, fps=30, out=tmp_path / "a.m4a",
                               clip_audio=[(take, 0, 30)]))
    trimmed = _pcm(mix_audio(total_frames=30, fps=30, out=tmp_path / "b.m4a",
                             clip_audio=[(take, 0, 30, 15)]))
    assert _rms(untrimmed, 0.05, 0.45) < 1e-3 < _rms(untrimmed, 0.55, 0.95)
    assert _rms(trimmed, 0.05, 0.45) > 0.05 and _rms(trimmed, 0.55, 0.95) > 0.05  # tone throughout
