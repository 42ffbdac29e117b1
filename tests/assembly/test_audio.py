"""Episode audio: exact length, −14 LUFS loudness, music ducking under cues, scratch voice placement."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from shotcraft.assembly.audio import mix_audio, scratch_voice
from shotcraft.assembly.subtitles import Cue
from shotcraft.shots.errors import AssemblyError
from shotcraft.shots.media import ffmpeg_binary, ffprobe_binary

RATE = 48_000
AAC_FRAME_S = 1024 / RATE


def _lavfi(source: str, out: Path, *extra: str) -> Path:
    args = [ffmpeg_binary(), "-v", "error", "-y", "-f", "lavfi", "-i", source, *extra, str(out)]
    subprocess.run(args, check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def music(tmp_path_factory) -> Path:
    # a 1.3 s bed, shorter than the mixes, so it has to loop
    folder = tmp_path_factory.mktemp("music")
    return _lavfi("anoisesrc=r=48000:d=1.3:c=pink:a=0.3:seed=7", folder / "bed.wav")


def _duration(path: Path) -> float:
    result = subprocess.run(
        [ffprobe_binary(), "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
         str(path)], capture_output=True, text=True, check=True,
    )
    return float(result.stdout)


def _pcm(path: Path) -> np.ndarray:
    result = subprocess.run(
        [ffmpeg_binary(), "-v", "error", "-i", str(path), "-f", "f32le", "-ac", "1", "-ar",
         str(RATE), "-"], capture_output=True, check=True,
    )
    return np.frombuffer(result.stdout, dtype=np.float32)


def _rms(samples: np.ndarray, start_s: float, end_s: float) -> float:
    window = samples[int(start_s * RATE) : int(end_s * RATE)]
    return float(np.sqrt(np.mean(window.astype(np.float64) ** 2)))


def _loudness(path: Path) -> tuple[float, float]:
    """Integrated loudness (LUFS) and true peak (dBTP) as ffmpeg's ebur128 measures them."""
    result = subprocess.run(
        [ffmpeg_binary(), "-hide_banner", "-nostats", "-i", str(path), "-af",
         "ebur128=peak=true", "-f", "null", "-"], capture_output=True, text=True, check=True,
    )
    summary = result.stderr.split("Summary:")[-1]
    integrated = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary)[1])
    peak = float(re.search(r"True peak:\s+Peak:\s+(-?[\d.]+|-inf) dBFS", summary)[1])
    return integrated, peak


def test_mix_is_exactly_the_episode_length_with_clip_audio_at_its_start(tmp_path: Path, music):
    tone = _lavfi("sine=f=300:r=48000:d=0.5", tmp_path / "clip.m4a", "-c:a", "aac")
    out = mix_audio(total_frames=75, fps=30, out=tmp_path / "ep.m4a",
                    clip_audio=[(tone, 30)], music=None)
    assert abs(_duration(out) - 2.5) <= AAC_FRAME_S
    pcm = _pcm(out)
    assert _rms(pcm, 0.0, 0.95) < 1e-3  # nothing before the clip's first frame at 1.0 s
    assert _rms(pcm, 1.1, 1.4) > 0.05


def test_music_only_mix_is_normalised_to_minus_14_lufs(tmp_path: Path, music):
    out = mix_audio(total_frames=60, fps=30, out=tmp_path / "bed.m4a", music=music)
    integrated, peak = _loudness(out)
    assert abs(_duration(out) - 2.0) <= AAC_FRAME_S
    assert integrated == pytest.approx(-14.0, abs=1.0)
    assert peak <= -1.0 + 0.2


def test_music_ducks_under_a_cue(tmp_path: Path, music):
    cue = Cue(index=1, start_frame=24, end_frame=48, speaker="A", text="你好")
    out = mix_audio(total_frames=72, fps=24, out=tmp_path / "ducked.m4a", music=music, cues=[cue])
    pcm = _pcm(out)
    # cue runs 1.0–2.0 s; compare its middle with the clear stretches either side of the ramps
    during = _rms(pcm, 1.25, 1.8)
    outside = (_rms(pcm, 0.1, 0.75) + _rms(pcm, 2.3, 2.9)) / 2
    assert 20 * np.log10(during / outside) < -6


def test_silent_episode_still_gets_a_silent_track(tmp_path: Path):
    out = mix_audio(total_frames=45, fps=30, out=tmp_path / "silence.m4a")
    assert abs(_duration(out) - 1.5) <= AAC_FRAME_S
    assert np.abs(_pcm(out)).max() == 0


def test_failed_mix_keeps_the_previous_file(tmp_path: Path):
    out = tmp_path / "ep.m4a"
    out.write_bytes(b"previous good export")
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"not audio at all")
    with pytest.raises(AssemblyError, match="ffmpeg could not"):
        mix_audio(total_frames=30, fps=30, out=out, music=broken)
    assert out.read_bytes() == b"previous good export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.wav", "ep.m4a"]


def test_scratch_voice_speaks_inside_cues_and_is_silent_elsewhere(tmp_path: Path):
    cues = [
        Cue(index=1, start_frame=15, end_frame=36, speaker="林夏", text="你终于来了"),
        Cue(index=2, start_frame=60, end_frame=81, speaker="Sam", text="Sorry I am late"),
    ]
    wav = scratch_voice(cues, fps=30, total_frames=90, work_dir=tmp_path, language="zh")
    assert abs(_duration(wav) - 3.0) < 1e-3
    info = subprocess.run(
        [ffprobe_binary(), "-v", "error", "-show_entries", "stream=sample_rate,channels", "-of",
         "csv=p=0", str(wav)], capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert info == "48000,2"
    pcm = _pcm(wav)
    assert _rms(pcm, 0.0, 0.49) < 1e-4
    assert _rms(pcm, 0.5, 1.2) > 0.01
    assert _rms(pcm, 1.21, 1.99) < 1e-4
    assert _rms(pcm, 2.0, 2.7) > 0.01
    assert _rms(pcm, 2.71, 3.0) < 1e-4


def test_missing_espeak_is_a_clear_error(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    cues = [Cue(index=1, start_frame=0, end_frame=30, speaker="A", text="你好")]
    with pytest.raises(AssemblyError) as caught:
        scratch_voice(cues, fps=30, total_frames=30, work_dir=tmp_path)
    assert str(caught.value) == (
        "espeak-ng is not installed: apt-get install espeak-ng, or export without --voice"
    )


def test_clip_audio_stops_at_its_clip_end_when_given_a_length(tmp_path: Path):
    tone = _lavfi("sine=f=300:r=48000:d=1", tmp_path / "long-take.wav")
    out = mix_audio(total_frames=60, fps=30, out=tmp_path / "ep.m4a", clip_audio=[(tone, 15, 15)])
    pcm = _pcm(out)
    assert _rms(pcm, 0.55, 0.95) > 0.05  # the clip runs from 0.5 s to 1.0 s
    assert _rms(pcm, 1.05, 2.0) < 1e-3  # the take's remaining half second is cut
