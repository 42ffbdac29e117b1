"""Exporting whole episodes with real ffmpeg: format, length, cache reuse, atomic output."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from shotcraft.assembly.episode import ExportOptions, export_episode
from shotcraft.assembly.timeline import ClipSource, Timeline
from shotcraft.shots.errors import AssemblyError
from shotcraft.shots.media import ffmpeg_binary, probe
from shotcraft.shots.models import DialogueLine
from tests.assembly.conftest import MakeTake, clip_for, make_still_file, timeline_of

SMALL = ExportOptions(preset="test-small", subtitles="none")


def mixed_timeline(tmp_path: Path, make_take: MakeTake) -> Timeline:
    """Four shots: a 24 fps landscape take, a slate, a still keyframe, a vertical take."""
    return timeline_of([
        clip_for(1, make_take(size="320x240", rate=24, seconds=1.0), 30),
        clip_for(2, None, 20),
        clip_for(3, make_still_file(tmp_path / "key.png"), 15),
        clip_for(4, make_take(size="108x192", rate=30, seconds=0.5, source="smptebars"), 25),
    ])


def test_cut_export_is_h264_aac_at_the_preset_for_the_summed_length(
    tmp_path: Path, make_take: MakeTake
) -> None:
    timeline = mixed_timeline(tmp_path, make_take)
    result = export_episode(timeline, SMALL, cache_dir=tmp_path / "cache",
                            out_path=tmp_path / "out" / "ep1.mp4")
    info = probe(result.output)
    assert (info.codec, info.pix_fmt, info.width, info.height) == ("h264", "yuv420p", 180, 320)
    assert info.fps_fraction == "30/1"
    assert (info.audio_codec, info.audio_rate, info.audio_channels) == ("aac", 48000, 2)
    assert abs(info.frames - 90) <= 1 and result.duration_frames == 90
    assert abs(info.duration - 3.0) <= 1 / 30
    assert [row.source for row in result.clips] == [
        ClipSource.PICKED, ClipSource.SLATE, ClipSource.PICKED, ClipSource.PICKED
    ]
    assert [row.start_frame for row in result.clips] == [0, 30, 50, 65]
    assert result.sizes["ep1.mp4"] == result.output.stat().st_size
    assert list(result.output.parent.glob(".*")) == []  # no temp or lock file left
    # the mp4 moov atom comes before the media data (+faststart)
    head = result.output.read_bytes()[:4096]
    assert 0 <= head.find(b"moov") < head.find(b"mdat") or b"mdat" not in head


def test_crossfade_shortens_the_episode_by_the_overlaps(tmp_path: Path, make_take: MakeTake) -> None:
    timeline = mixed_timeline(tmp_path, make_take)
    options = SMALL.model_copy(update={"transition": "crossfade:6"})
    result = export_episode(timeline, options, cache_dir=tmp_path / "cache",
                            out_path=tmp_path / "ep.mp4")
    info = probe(result.output)
    assert result.transition_frames == 6 and result.joins_rendered == 3
    assert abs(info.frames - (90 - 6 * 3)) <= 3
    assert abs(info.duration - (90 - 18) / 30) <= 3 / 30
    assert [row.start_frame for row in result.clips] == [0, 24, 38, 47]


def test_reexport_after_one_new_pick_reencodes_one_clip(tmp_path: Path, make_take: MakeTake) -> None:
    timeline = mixed_timeline(tmp_path, make_take)
    kwargs = {"cache_dir": tmp_path / "cache", "out_path": tmp_path / "ep.mp4"}
    first = export_episode(timeline, SMALL, **kwargs)
    assert (first.cache_hits, first.cache_misses) == (0, 4)
    timeline.clips[3] = clip_for(4, make_take(seconds=0.5, source="rgbtestsrc"), 25)
    second = export_episode(timeline, SMALL, **kwargs)
    assert (second.cache_hits, second.cache_misses) == (3, 1)
    fade = SMALL.model_copy(update={"transition": "crossfade:4"})
    export_episode(timeline, fade, **kwargs)
    timeline.clips[1] = clip_for(2, make_take(seconds=0.5), 20)
    third = export_episode(timeline, fade, **kwargs)
    # one clip re-encoded, and only the two joins that touch it re-rendered
    assert (third.cache_misses, third.joins_rendered) == (1, 2)


def test_failed_ffmpeg_run_keeps_the_earlier_export(tmp_path: Path, make_take: MakeTake) -> None:
    timeline = mixed_timeline(tmp_path, make_take)
    out = tmp_path / "ep.mp4"
    export_episode(timeline, SMALL, cache_dir=tmp_path / "cache", out_path=out)
    before = out.read_bytes()
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypisom" + os.urandom(2000))
    timeline.clips[0] = clip_for(1, broken, 30)
    with pytest.raises(AssemblyError) as err:
        export_episode(timeline, SMALL, cache_dir=tmp_path / "cache", out_path=out)
    assert "ffmpeg failed while normalising shot E01-S01-001" in str(err.value)
    assert err.value.stderr_tail.strip()
    assert out.read_bytes() == before


def test_cancelled_export_writes_nothing(tmp_path: Path, make_take: MakeTake) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(AssemblyError, match="cancelled"):
        export_episode(mixed_timeline(tmp_path, make_take), SMALL, cache_dir=tmp_path / "c",
                       out_path=tmp_path / "ep.mp4", cancel=cancel)
    assert not (tmp_path / "ep.mp4").exists()


_KILLED_EXPORT = textwrap.dedent("""
    import sys
    from pathlib import Path
    from shotcraft.assembly.episode import ExportOptions, export_episode
    from shotcraft.assembly.timeline import Timeline
    timeline = Timeline.model_validate_json(Path(sys.argv[1]).read_text())
    export_episode(timeline, ExportOptions(preset="test-small", subtitles="none"),
                   cache_dir=Path(sys.argv[2]), out_path=Path(sys.argv[3]))
""")


@pytest.mark.parametrize("moment", ["normalising", "muxing"])
def test_sigkill_mid_export_leaves_the_earlier_file_untouched(
    tmp_path: Path, make_take: MakeTake, moment: str
) -> None:
    out, cache = tmp_path / "ep.mp4", tmp_path / "cache"
    export_episode(timeline_of([clip_for(1, None, 10)]), SMALL, cache_dir=cache, out_path=out)
    before = out.read_bytes()
    take = make_take(seconds=1.0)
    longer = timeline_of([clip_for(n, take, 20 + n) for n in range(1, 9)])
    # an ffmpeg that starts slowly and muxes in real time, so the kill surely lands mid-way
    slow = tmp_path / "slow-ffmpeg"
    slow.write_text(
        f'#!/bin/sh\ncase "$*" in *concat*) exec "{ffmpeg_binary()}" -re "$@";; esac\n'
        f'sleep 0.3\nexec "{ffmpeg_binary()}" "$@"\n'
    )
    slow.chmod(0o755)
    spec = tmp_path / "timeline.json"
    spec.write_text(longer.model_dump_json())
    already = set(cache.glob("clip-*.mp4"))
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_EXPORT, str(spec), str(cache), str(out)],
        cwd=Path(__file__).resolve().parents[2], start_new_session=True,
        env={**os.environ, "SHOTCRAFT_FFMPEG": str(slow)},
    )
    def partials() -> list[Path]:  # the episode being written, in its staging folder
        return [*out.parent.glob(f".{out.stem}.*.partial.mp4"),
                *out.parent.glob(f".{out.name}.staging-*/.{out.stem}.*.partial.mp4")]

    def reached() -> bool:
        if moment == "normalising":
            return bool(set(cache.glob("clip-*.mp4")) - already)
        return any(p.is_file() and p.stat().st_size > 0 for p in partials())

    deadline = time.monotonic() + 60
    while not reached() and proc.poll() is None:
        assert time.monotonic() < deadline, f"the export never reached {moment}"
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the export and its ffmpeg children, mid-way
    assert proc.wait() == -signal.SIGKILL
    assert out.read_bytes() == before
    assert probe(out).frames == 10
    # whatever was left half-done is not the episode, and the next export finishes from the cache
    result = export_episode(longer, SMALL, cache_dir=cache, out_path=out)
    assert result.cache_hits >= 1 and probe(out).frames == longer.duration_frames
    assert partials() == [] and not list(out.parent.glob(f".{out.name}.staging-*"))


def test_srt_is_written_next_to_the_episode(tmp_path: Path, make_take: MakeTake) -> None:
    timeline = timeline_of([
        clip_for(1, make_take(seconds=0.5), 30,
                 dialogue=[DialogueLine(speaker="林晚", text="你终于来了。")]),
        clip_for(2, None, 30, dialogue=[DialogueLine(speaker="沈舟", text="我一直都在。")]),
    ])
    options = SMALL.model_copy(update={"subtitles": "burn"})
    result = export_episode(timeline, options, cache_dir=tmp_path / "c",
                            out_path=tmp_path / "out" / "final.mp4")
    assert result.srt == tmp_path / "out" / "final.srt"  # named after -o
    text = result.srt.read_text(encoding="utf-8")
    assert "你终于来了" in text and "00:00:01,000 -->" in text
    assert probe(result.output).frames == 60


def test_take_audio_is_mixed_into_the_episode_track(tmp_path: Path, make_take: MakeTake) -> None:
    timeline = timeline_of([
        clip_for(1, make_take(seconds=1.0), 30),
        clip_for(2, make_take(seconds=1.0, audio=True), 30),
    ])
    result = export_episode(timeline, SMALL, cache_dir=tmp_path / "c", out_path=tmp_path / "e.mp4")
    info = probe(result.output)
    assert info.audio_codec == "aac" and abs(info.duration - 2.0) <= 1 / 30
    loud = subprocess.run(
        ["ffmpeg", "-v", "info", "-ss", "1.2", "-i", str(result.output), "-map", "0:a",
         "-af", "volumedetect", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    ).stderr
    mean = float(loud.split("mean_volume:")[1].split("dB")[0])
    assert mean > -40  # the tone of shot 2 is heard in the second half


def test_a_long_take_s_sound_stops_at_its_shot_s_end(tmp_path: Path, make_take: MakeTake) -> None:
    timeline = timeline_of([
        clip_for(1, make_take(seconds=2.0, audio=True), 30),  # 2 s take in a 1 s shot
        clip_for(2, make_take(seconds=1.0), 30),  # silent take
    ])
    result = export_episode(timeline, SMALL, cache_dir=tmp_path / "c", out_path=tmp_path / "e.mp4")
    loud = subprocess.run(
        ["ffmpeg", "-v", "info", "-ss", "1.2", "-i", str(result.output), "-map", "0:a",
         "-af", "volumedetect", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    ).stderr
    mean = float(loud.split("mean_volume:")[1].split("dB")[0])
    assert mean < -60  # shot 2 is silent: shot 1's tone did not spill over


def test_otio_and_contact_sheet_land_next_to_the_episode(
    tmp_path: Path, make_take: MakeTake
) -> None:
    timeline = timeline_of([clip_for(1, make_take(seconds=0.5), 15), clip_for(2, None, 15)])
    options = SMALL.model_copy(update={"otio": True, "sheet": True})
    result = export_episode(timeline, options, cache_dir=tmp_path / "c",
                            out_path=tmp_path / "out" / "ep.mp4")
    assert result.otio == tmp_path / "out" / "ep.otio"
    assert [p.name for p in result.sheet] == ["ep-sheet.png", "ep-sheet.pdf"]
    assert "E01-S01-002" in result.otio.read_text(encoding="utf-8")
    assert result.sheet and all(p.parent == tmp_path / "out" and p.is_file() for p in result.sheet)
