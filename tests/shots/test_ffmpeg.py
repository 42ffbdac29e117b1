"""The one ffmpeg runner: real ffmpeg on real broken input, and the line it says why with."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from shotcraft.assembly.runner import run as run_export
from shotcraft.engine import writer
from shotcraft.engine.writer import FrameWriter
from shotcraft.shots import ffmpeg, media
from shotcraft.shots.errors import AssemblyError, EngineError, MediaError


def _clip(path: Path) -> Path:
    ffmpeg.run(["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=64x64:r=10", "-t", "2",
                "-c:v", "libx264", "-pix_fmt", "yuv420p", str(path)], what="making a clip")
    return path


def test_random_bytes_fail_with_what_ffmpeg_said(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(os.urandom(5000))
    with pytest.raises(MediaError) as err:
        ffmpeg.run(["-v", "error", "-i", str(junk), "-f", "null", "-"], what="reading junk.mp4")
    # random bytes may or may not look like mp4 to ffmpeg's probe; either way it says why
    assert str(err.value) in (
        "ffmpeg failed while reading junk.mp4: moov atom not found",
        "ffmpeg failed while reading junk.mp4: junk.mp4: Invalid data found when processing input",
    )
    assert str(junk) in err.value.stderr_tail


def test_an_mp4_header_over_garbage_says_the_index_is_missing(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypisom" + os.urandom(2000))
    with pytest.raises(MediaError) as err:
        ffmpeg.run(["-v", "error", "-i", str(broken), "-f", "null", "-"], what="reading broken.mp4")
    assert str(err.value) == "ffmpeg failed while reading broken.mp4: moov atom not found"
    assert "Invalid data found when processing input" in err.value.stderr_tail


def test_a_truncated_mp4_names_the_missing_index(tmp_path: Path) -> None:
    clip = _clip(tmp_path / "whole.mp4")
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])  # the moov atom is at the end
    with pytest.raises(MediaError) as err:
        media.read_frames(cut)
    assert "moov atom not found" in str(err.value)
    assert str(err.value).startswith("cut.mp4 is not a readable video")
    assert "[mov" not in str(err.value)  # the "[demuxer @ 0x…]" prefix is not for the user


def test_a_bad_filter_is_named_not_the_generic_failure(tmp_path: Path) -> None:
    clip = _clip(tmp_path / "c.mp4")
    with pytest.raises(AssemblyError) as err:
        run_export(["-i", str(clip), "-vf", "foo", "-f", "null", "-"], what="normalising take 3")
    assert str(err.value) == "ffmpeg failed while normalising take 3: No such filter: 'foo'"
    assert "exit code" in err.value.stderr_tail


@pytest.mark.parametrize(("stderr", "expected"), [
    ("ffmpeg version 5.1\n  built with gcc\n  configuration: --x\n\n"
     "[mov,mp4 @ 0x55d] moov atom not found\nin.mp4: Invalid data found when processing input\n",
     "moov atom not found"),
    ("[AVFilterGraph @ 0x5576] No such filter: 'foo'\nError reinitializing filters!\n"
     "Failed to inject frame into filter network: Invalid argument\n"
     "Error while processing the decoded data for stream #0:0\nConversion failed!\n",
     "No such filter: 'foo'"),
    ("in.mp4: Invalid data found when processing input\n",
     "in.mp4: Invalid data found when processing input"),
    ("Press [q] to stop, [?] for help\nnowhere.mp4: No such file or directory\n",
     "nowhere.mp4: No such file or directory"),
    ("", "ffmpeg gave no reason"),
])
def test_cause_is_the_last_line_that_says_why(stderr: str, expected: str) -> None:
    assert ffmpeg.cause(stderr) == expected


def test_frame_writer_failure_says_what_the_encoder_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer, "X264_ARGS", ["-c:v", "nosuchcodec"])
    target = tmp_path / "take.mp4"
    with pytest.raises(EngineError) as err:
        with FrameWriter(target, 36, 64, 30) as out:
            out.write(np.zeros((64, 36, 3), np.uint8))
    assert "encoding take.mp4" in str(err.value)
    assert str(err.value).endswith("Unknown encoder 'nosuchcodec'")
    assert not target.exists()


def test_input_is_piped_and_stdout_returned() -> None:
    frame = np.full((4, 4, 3), 200, np.uint8).tobytes()
    result = ffmpeg.run(["-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "4x4", "-i", "-",
                         "-f", "rawvideo", "-pix_fmt", "gray", "-"], what="converting", input=frame)
    assert len(result.stdout) == 16 and result.code == 0


def test_progress_and_cancel_still_work() -> None:
    seen: list[float] = []
    ffmpeg.run(["-v", "error", "-progress", "pipe:1", "-nostats", "-f", "lavfi", "-i",
                "testsrc2=s=64x64:r=30", "-frames:v", "30", "-f", "null", "-"],
               what="counting", progress=seen.append, total_frames=30)
    assert seen and seen[-1] == 1.0
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    started = time.monotonic()
    with pytest.raises(AssemblyError, match="cancelled while waiting"):
        ffmpeg.run(["-re", "-f", "lavfi", "-i", "testsrc2=s=64x64:r=30", "-t", "20", "-f", "null", "-"],
                   what="waiting", error=AssemblyError, cancel=cancel)
    assert time.monotonic() - started < 5


def test_a_cancelled_export_says_so_in_the_directors_words() -> None:
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    with pytest.raises(AssemblyError) as err:
        run_export(["-re", "-f", "lavfi", "-i", "testsrc2=s=64x64:r=30", "-t", "20", "-f", "null", "-"],
                   what="normalising shot E01-S01-001", cancel=cancel)
    assert str(err.value) == "export cancelled while normalising shot E01-S01-001."


def _reader(source: Path, size: tuple[int, int] = (16, 16)) -> ffmpeg.FrameReader:
    width, height = size
    return ffmpeg.FrameReader(
        ["-v", "error", "-nostdin", "-i", str(source), "-vf", f"scale={width}:{height}",
         "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        frame_size=width * height * 3, what=f"decoding {source.name}",
        failed=f"could not decode {source.name}")


def test_frame_reader_hands_out_every_frame_as_decoded(tmp_path: Path) -> None:
    clip = _clip(tmp_path / "clip.mp4")
    frames = list(_reader(clip))
    assert len(frames) == media.probe(clip).frames
    assert all(len(frame) == 16 * 16 * 3 for frame in frames)


def test_frame_reader_says_what_ffmpeg_said_and_stops_ffmpeg_when_left_early(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video")
    with pytest.raises(MediaError, match="could not decode broken.mp4: moov atom not found"):
        list(_reader(broken))
    frames = iter(_reader(_clip(tmp_path / "clip.mp4")))
    next(frames)
    frames.close()  # the caller stopped: ffmpeg is killed, nothing raises
