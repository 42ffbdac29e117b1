"""The episode mix as a director hears it: lines on a dialogue track, the music ducked under
speech by a measured depth, sound effects at their shots, −14 LUFS / ≤ −1 dBTP on the written file."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest

from shotcraft.assembly.audio import DUCK_DB, DUCK_RAMP_S, mix_audio, split_lines
from shotcraft.assembly.episode import ExportOptions, export_episode, parse_sfx
from shotcraft.shots.errors import AssemblyError, SpecError
from shotcraft.shots.models import DialogueLine
from tests.assembly.conftest import clip_for, timeline_of
from tests.assembly.test_audio import _lavfi, _loudness, _pcm
from tests.projects.conftest import write_script
from tests.studio.conftest import invoke

RATE = 48_000
TONE_HZ = 60  # the music bed: below any espeak-ng voice's fundamental, so speech adds ~nothing


@pytest.fixture(scope="module")
def sounds(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("sounds")
    return {
        "tone": _lavfi(f"sine=f={TONE_HZ}:r=48000:d=2", folder / "tone.wav"),
        "quiet": _lavfi("sine=f=220:r=48000:d=2,volume=-40dB", folder / "quiet.wav"),
        "loud": _lavfi("anoisesrc=r=48000:d=2:c=white:a=1.0:seed=3", folder / "loud.wav"),
        "knock": _lavfi("sine=f=2000:r=48000:d=0.4", folder / "knock.wav"),
    }


def _line(speaker: str, text: str) -> list[DialogueLine]:
    return [DialogueLine(speaker=speaker, text=text)]


@pytest.fixture(scope="module")
def exported(tmp_path_factory, sounds) -> tuple[Path, object, ExportOptions]:
    """Three 2 s slates at 30 fps (a line in shots 1 and 3), scratch voice, a sine bed, an effect."""
    folder = tmp_path_factory.mktemp("mix")
    clips = [
        clip_for(1, None, 60, dialogue=_line("林晚", "你终于来了")),
        clip_for(2, None, 60),
        clip_for(3, None, 60, dialogue=_line("顾言", "我一直在等你")),
    ]
    options = ExportOptions(preset="test-small", voice="scratch", music=sounds["tone"],
                            formats=["otio"], sfx={"E01-S01-002": sounds["knock"]})
    result = export_episode(timeline_of(clips), options, cache_dir=folder / "cache",
                            out_path=folder / "ep.mp4")
    return folder, result, options


def _tone_db(pcm: np.ndarray, start_s: float, end_s: float) -> float:
    """The level of the music's sine in a window, in dB, from its FFT bin."""
    window = pcm[int(start_s * RATE): int(end_s * RATE)].astype(np.float64)
    window = window * np.hanning(len(window))
    spectrum = np.abs(np.fft.rfft(window))
    bin_ = round(TONE_HZ * len(window) / RATE)
    return 20 * np.log10(spectrum[bin_ - 1: bin_ + 2].max() + 1e-12)


def test_the_written_file_is_at_minus_14_lufs_and_its_true_peak_under_minus_1(exported):
    _, result, _ = exported
    integrated, peak = _loudness(result.output)
    assert integrated == pytest.approx(-14.0, abs=1.0)
    assert peak <= -1.0
    # the export reports what it measured on the file, not the target
    assert result.loudness_lufs == pytest.approx(integrated, abs=0.05)
    assert result.true_peak_dbtp == pytest.approx(peak, abs=0.05)


def test_music_ducks_by_the_designed_depth_while_a_line_is_spoken(exported):
    _, result, _ = exported
    pcm = _pcm(result.output)
    timeline = otio.adapters.read_from_file(str(result.otio))
    dialogue = next(t for t in timeline.audio_tracks() if t.name == "Dialogue")
    speech = next(iter(dialogue.find_clips())).range_in_parent()
    start = speech.start_time.to_seconds() + DUCK_RAMP_S + 0.05
    end = start + 0.4
    clear = 2.7  # shot 2, well away from both cues' ramps (and its effect ends at 2.4 s)
    depth = _tone_db(pcm, start, end) - _tone_db(pcm, clear, clear + 0.4)
    assert depth == pytest.approx(DUCK_DB, abs=2.0)


def test_otio_carries_dialogue_music_and_effects_as_separate_tracks(exported):
    folder, result, _ = exported
    timeline = otio.adapters.read_from_file(str(result.otio))
    tracks = {t.name: t for t in timeline.audio_tracks()}
    assert set(tracks) == {"Dialogue", "Music", "Effects"}
    lines = list(tracks["Dialogue"].find_clips())
    assert [c.name for c in lines] == ["E01-S01-001 林晚", "E01-S01-003 顾言"]
    cue_starts = [c.range_in_parent().start_time.value for c in lines]
    assert cue_starts[0] < 60 <= 120 <= cue_starts[1] < 180  # each line inside its shot
    effects = list(tracks["Effects"].find_clips())
    assert len(effects) == 1
    assert effects[0].range_in_parent().start_time.value == 60  # shot 2's first frame
    assert effects[0].range_in_parent().duration.value == 12  # the 0.4 s knock
    assert len(list(tracks["Music"].find_clips())) >= 1
    # each dialogue clip's file holds exactly its line's span on the timeline
    for clip in lines:
        path = folder / clip.media_reference.target_url  # relative to the OTIO file
        assert path.parent == folder / "ep-dialogue"
        with wave.open(str(path)) as handle:
            seconds = handle.getnframes() / handle.getframerate()
        assert seconds == pytest.approx(clip.range_in_parent().duration.to_seconds(), abs=1 / 30)
    assert sorted(result.files["dialogue"]) == sorted((folder / "ep-dialogue").glob("*.wav"))


def test_the_effect_sounds_at_its_shot(exported):
    _, result, _ = exported
    pcm = _pcm(result.output)
    spectrum = np.abs(np.fft.rfft(pcm[int(2.05 * RATE): int(2.35 * RATE)]))
    later = np.abs(np.fft.rfft(pcm[int(2.55 * RATE): int(2.85 * RATE)]))
    knock_bin = round(2000 * int(0.3 * RATE) / RATE)
    assert spectrum[knock_bin] > 30 * later[knock_bin]


@pytest.mark.parametrize("level", ["quiet", "loud"])
def test_quiet_and_loud_beds_both_land_at_minus_14(tmp_path: Path, sounds, level):
    out = mix_audio(total_frames=60, fps=30, out=tmp_path / "bed.m4a", music=sounds[level])
    integrated, peak = _loudness(out)
    assert integrated == pytest.approx(-14.0, abs=1.0)
    assert peak <= -1.0


def test_a_silent_export_stays_silent_and_reports_no_loudness(tmp_path: Path):
    result = export_episode(timeline_of([clip_for(1, None, 30)]),
                            ExportOptions(preset="test-small", subtitles="none"),
                            cache_dir=tmp_path / "cache", out_path=tmp_path / "ep.mp4")
    assert np.abs(_pcm(result.output)).max() == 0
    assert result.loudness_lufs is None and result.true_peak_dbtp is None
    assert "dialogue" not in result.files


def test_an_effect_for_a_shot_the_episode_lacks_is_refused_before_any_work(tmp_path: Path, sounds):
    options = ExportOptions(preset="test-small", sfx={"E09-S01-001": sounds["knock"]})
    with pytest.raises(SpecError, match="--sfx names shot E09-S01-001, which episode 1"):
        export_episode(timeline_of([clip_for(1, None, 30)]), options,
                       cache_dir=tmp_path / "cache", out_path=tmp_path / "ep.mp4")
    assert not (tmp_path / "ep.mp4").exists()
    missing = ExportOptions(preset="test-small", sfx={"E01-S01-001": tmp_path / "none.wav"})
    with pytest.raises(AssemblyError, match="none.wav for E01-S01-001 does not exist"):
        export_episode(timeline_of([clip_for(1, None, 30)]), missing,
                       cache_dir=tmp_path / "cache", out_path=tmp_path / "ep.mp4")


def test_sfx_values_need_a_shot_and_a_file():
    assert parse_sfx(["E01-S01-002=knock.wav"]) == {"E01-S01-002": Path("knock.wav")}
    with pytest.raises(SpecError, match="--sfx takes SHOT_ID=FILE, not 'knock.wav'"):
        parse_sfx(["knock.wav"])


def test_export_json_reports_the_measured_loudness_of_the_mp4(tmp_path: Path, sounds):
    project_dir = tmp_path / "proj"
    assert invoke("new", project_dir).exit_code == 0
    assert invoke("import", project_dir, write_script(tmp_path)).exit_code == 0
    out = tmp_path / "ep1.mp4"
    done = invoke("export", project_dir, "--episode", "1", "--preset", "test-small",
                  "--voice", "scratch", "--music", sounds["tone"], "-o", out,
                  "--sfx", f"E01-S01-001={sounds['knock']}", "--json")
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    integrated, peak = _loudness(out)
    assert data["loudness_lufs"] == pytest.approx(integrated, abs=0.05)
    assert data["true_peak_dbtp"] == pytest.approx(peak, abs=0.05)
    assert integrated == pytest.approx(-14.0, abs=1.0) and peak <= -1.0
    assert data["files"]["dialogue"]  # the lines, for editors
    bad = invoke("export", project_dir, "--episode", "1", "--preset", "test-small",
                 "--sfx", "E01-S01-001")
    assert bad.exit_code == 1
    assert "--sfx takes SHOT_ID=FILE" in bad.output



def test_a_voice_of_any_format_is_cut_into_line_files_and_old_lines_go(tmp_path: Path):
    # a float 44.1 kHz mono voice, as another speech engine might write: a tone from 1 s to 2 s
    voice = _lavfi("aevalsrc='0.5*sin(2*PI*300*t)*between(t,1,2)':s=44100:d=3",
                   tmp_path / "voice.wav", "-c:a", "pcm_f32le")
    lines = tmp_path / "ep-dialogue"
    lines.mkdir()
    (lines / "009-E01-S09-001.wav").write_bytes(b"a line cut from the script")
    written = split_lines(voice, [(30, 60, "001-E01-S01-001")], fps=30, out_dir=lines)
    assert written == [lines / "001-E01-S01-001.wav"]
    assert sorted(p.name for p in lines.iterdir()) == ["001-E01-S01-001.wav"]
    pcm = _pcm(written[0])
    assert len(pcm) == RATE  # exactly the line's second
    assert np.sqrt(np.mean(pcm[RATE // 10: -RATE // 10] ** 2)) > 0.2
