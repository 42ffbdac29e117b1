"""The lip-sync mouth check on real talking-head MP4s (tests/talking.py) through dlib's model."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from shotcraft.ranking import faces
from shotcraft.ranking.faces import FaceModel, FaceModelMissing, face_model
from shotcraft.ranking.mouth import (
    MIN_SPEECH_MOTION,
    MouthSync,
    judge,
    mouth_sync,
    read_wav_mono,
    speech_activity,
)
from shotcraft.shots.errors import MediaError
from shotcraft.shots.media import ffmpeg_binary
from tests import talking

WIDTH, HEIGHT, FPS = 360, 640, 25
TWO_SENTENCES = "The rain stopped an hour ago. Nobody came back for the car."


@pytest.fixture(scope="session")
def wavs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("lines")
    return {"burst": talking.write_burst_wav(root / "burst.wav"),
            "espeak": talking.write_espeak_wav(root / "espeak.wav", TWO_SENTENCES)}


@pytest.fixture(scope="session")
def takes(tmp_path_factory: pytest.TempPathFactory, wavs: dict[str, Path]) -> dict[str, Path]:
    """Lip-sync takes of the burst line in each mode, one of the espeak line, one that runs a
    second past its audio."""
    root = tmp_path_factory.mktemp("lipsync")
    made = {mode: talking.make_talking_video(root / f"{mode}.mp4", wavs["burst"], width=WIDTH,
                                             height=HEIGHT, fps=FPS, mode=mode)
            for mode in talking.MODES}
    made["espeak"] = talking.make_talking_video(root / "espeak.mp4", wavs["espeak"], width=WIDTH,
                                                height=HEIGHT, fps=FPS)
    made["long"] = talking.make_talking_video(root / "long.mp4", wavs["burst"], width=WIDTH,
                                              height=HEIGHT, fps=FPS, seconds=4.0)
    return made


@pytest.fixture(scope="session")
def checks(takes: dict[str, Path]) -> dict[str, MouthSync]:
    return {name: mouth_sync(path) for name, path in takes.items()}


def test_a_synced_mouth_passes(checks: dict[str, MouthSync]) -> None:
    result = checks["sync"]
    print(result.explanation())
    assert result.ok, result.explanation()
    assert result.reason is None
    assert result.face_frames == result.frames == 75
    assert result.speech_motion is not None and result.speech_motion > MIN_SPEECH_MOTION
    assert result.ratio is not None and result.ratio > 5
    assert "lip sync ok" in result.explanation()


def test_the_check_reports_its_progress(takes: dict[str, Path]) -> None:
    heard: list[float] = []
    assert mouth_sync(takes["sync"], progress=heard.append).ok
    assert heard[-1] == 1.0 and len(heard) >= 75
    assert heard == sorted(heard) and heard[0] < 0.05


def test_a_frozen_mouth_barely_moves(checks: dict[str, MouthSync]) -> None:
    result = checks["frozen"]
    print(result.explanation())
    assert not result.ok
    assert result.reason is not None
    assert result.reason.startswith("the mouth barely moves while the line is spoken (")
    assert result.failed == "still"
    assert "needs 1.0 %" in result.reason


def test_a_mouth_that_talks_in_the_pauses_fails(checks: dict[str, MouthSync]) -> None:
    result = checks["inverted"]
    print(result.explanation())
    assert not result.ok
    assert result.reason is not None and "moves in the pauses" in result.reason
    assert result.failed == "pauses"
    assert result.pause_motion is not None and result.speech_motion is not None
    assert result.pause_motion > 5 * result.speech_motion


def test_a_take_longer_than_its_audio_fails_the_length_check(checks: dict[str, MouthSync]) -> None:
    result = checks["long"]
    assert not result.ok
    assert result.reason is not None
    assert re.fullmatch(r"the take runs 4\.00 s but its audio 3\.0\d s", result.reason)
    assert result.failed == "length"
    assert result.video_seconds == pytest.approx(4.0)
    assert result.audio_seconds == pytest.approx(3.0, abs=0.07)  # AAC pads its last frame


def test_an_espeak_line_of_two_sentences_lip_synced_passes(
        checks: dict[str, MouthSync], wavs: dict[str, Path]) -> None:
    result = checks["espeak"]
    print(result.explanation())
    assert result.ok, result.explanation()
    # the pause between the sentences is found: speech, a pause, speech, the final silence
    samples, rate = read_wav_mono(wavs["espeak"])
    spoken = speech_activity(samples, rate, FPS, result.frames)
    runs = np.flatnonzero(np.diff(spoken.astype(int))) + 1
    assert spoken[0] and len(runs) == 3, "".join("#" if s else "." for s in spoken)


def test_a_take_without_a_face_fails(tmp_path: Path, wavs: dict[str, Path]) -> None:
    out = tmp_path / "testsrc.mp4"
    subprocess.run([ffmpeg_binary(), "-v", "error", "-f", "lavfi", "-i",
                    f"testsrc=size={WIDTH}x{HEIGHT}:rate={FPS}:duration=3", "-i", str(wavs["burst"]),
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
                    "-shortest", str(out)], check=True, capture_output=True)
    result = mouth_sync(out)
    assert not result.ok
    assert result.reason == "no face found in 100 % of the frames"
    assert result.failed == "face"
    assert result.face_frames == 0 and result.speech_motion is None


def test_speech_activity_finds_the_pauses_of_the_burst_line(wavs: dict[str, Path]) -> None:
    samples, rate = read_wav_mono(wavs["burst"])
    assert rate == talking.RATE and samples.size == 3 * rate
    for fps in (12, 25):
        spoken = speech_activity(samples, rate, fps, round(3 * fps))
        pause = np.flatnonzero(~spoken)
        # 1.0 s spoken, 0.8 s pause, 1.2 s spoken
        assert abs(pause[0] - 1.0 * fps) <= 2 and abs(pause[-1] + 1 - 1.8 * fps) <= 2
        assert pause.size == pause[-1] - pause[0] + 1  # one pause, no gaps between syllables


def test_silence_has_no_speech_and_the_check_says_so(tmp_path: Path) -> None:
    wav = talking.write_burst_wav(tmp_path / "quiet.wav", (("silence", 2.0),))
    samples, rate = read_wav_mono(wav)
    assert not speech_activity(samples, rate, FPS, 2 * FPS).any()
    take = talking.make_talking_video(tmp_path / "quiet.mp4", wav, width=WIDTH, height=HEIGHT,
                                      fps=FPS)
    result = mouth_sync(take, wav)  # the audio given as a file, not the take's own track
    assert not result.ok
    assert result.reason == "the audio has no speech in it, so there is no line to lip-sync"


def test_the_audio_of_a_take_is_read_from_its_track(takes: dict[str, Path],
                                                    wavs: dict[str, Path]) -> None:
    track, rate = read_wav_mono(takes["sync"])
    wav, wav_rate = read_wav_mono(wavs["burst"])
    assert rate == wav_rate == 16000
    assert track.size == pytest.approx(wav.size, abs=1100)  # AAC: up to one frame of padding
    loud = np.sqrt(np.mean(np.square(track[: rate // 2])))
    assert loud == pytest.approx(np.sqrt(np.mean(np.square(wav[: rate // 2]))), rel=0.1)


def test_a_take_without_audio_is_refused_in_one_sentence(tmp_path: Path) -> None:
    out = tmp_path / "silent.mp4"
    subprocess.run([ffmpeg_binary(), "-v", "error", "-f", "lavfi", "-i",
                    "testsrc=size=64x64:rate=10:duration=1", "-c:v", "libx264", "-pix_fmt",
                    "yuv420p", str(out)], check=True, capture_output=True)
    with pytest.raises(MediaError, match=r"^silent.mp4 has no audio track: give the line's audio"):
        mouth_sync(out)


def test_the_68_landmarks_sit_on_the_face() -> None:
    image = np.asarray(Image.open(talking.PORTRAITS / "obama.jpg").convert("RGB"))
    model = face_model()
    face = model.faces(image, embed=False)[0]
    points = model.landmarks68(image, face)
    assert points.shape == (68, 2)
    inside = ((points[:, 0] > face.left - 0.2 * face.width)
              & (points[:, 0] < face.left + 1.2 * face.width)
              & (points[:, 1] > face.top - 0.2 * face.height)
              & (points[:, 1] < face.top + 1.3 * face.height))
    assert inside.all()
    nose, lips, chin = points[30, 1], points[[62, 66], 1].mean(), points[8, 1]
    assert nose < lips < chin


def test_a_missing_68_point_model_file_is_named(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    model = FaceModel()  # a fresh model: its 68-point predictor is not loaded yet
    files = faces._model_files()
    # a model folder with everything but the 68-point file (only its folder is looked at)
    moved = {name: tmp_path / path.name for name, path in files.items()}
    monkeypatch.setattr(faces, "_model_files", lambda: moved)
    image = np.asarray(Image.open(talking.PORTRAITS / "obama.jpg").convert("RGB"))
    face = model.faces(image, embed=False)[0]
    with pytest.raises(FaceModelMissing, match=r"^the face model file "
                       r"shape_predictor_68_face_landmarks\.dat is missing from .*; reinstall it "
                       r"with `pip install 'shotcraft\[identity\]'`\.$"):
        model.landmarks68(image, face)


def _talking(frames: int, fps: float, moving: np.ndarray) -> np.ndarray:
    """Openings (share of face height) that swing by 8 % at 4 Hz where `moving`, else shut."""
    t = np.arange(frames) / fps
    return 0.10 + np.where(moving, 0.08 * np.sin(np.pi * 4 * t) ** 2, 0.0)


def test_a_line_spoken_throughout_is_judged_on_its_speech_alone() -> None:
    spoken = np.ones(50, dtype=bool)
    result = judge(_talking(50, 25, spoken), spoken, fps=25, audio_seconds=2.0)
    assert result.ok, result.explanation()
    assert result.pause_frames == 0 and result.pause_motion is None and result.ratio is None
    assert "n/a in pauses" in result.explanation()


def test_a_mouth_that_moves_almost_as_much_in_the_pauses_fails() -> None:
    spoken = np.zeros(75, dtype=bool)
    spoken[:25] = spoken[45:] = True
    openings = _talking(75, 25, np.ones(75, dtype=bool))  # talking all through, pauses too
    result = judge(openings, spoken, fps=25, audio_seconds=3.0)
    assert not result.ok
    assert result.reason is not None
    assert result.reason.startswith("the mouth moves in the pauses almost as much as while the "
                                    "line is spoken (")
    # the same take with a still mouth in the pause passes
    assert judge(_talking(75, 25, spoken), spoken, fps=25, audio_seconds=3.0).ok


def test_frames_without_a_face_are_counted_and_left_out() -> None:
    spoken = np.ones(50, dtype=bool)
    openings = _talking(50, 25, spoken)
    openings[::3] = np.nan  # a face lost in a third of the frames: still judged
    result = judge(openings, spoken, fps=25, audio_seconds=2.0)
    assert result.ok and result.face_frames == 33
    openings[:30] = np.nan
    assert judge(openings, spoken, fps=25, audio_seconds=2.0).reason == (
        "no face found in 74 % of the frames")  # 30 + 7 of the last 20
