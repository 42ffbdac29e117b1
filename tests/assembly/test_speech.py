"""Speech with the real espeak-ng: voices that sound apart, OS/VO treatments, the per-line cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from shotcraft.assembly.speech import espeak, get_engine, speak, voice_track
from shotcraft.assembly.speech.cache import RATE, read_samples
from shotcraft.assembly.timeline import Cue
from shotcraft.shots.errors import ConfigError, SpecError
from shotcraft.storyboard.voices import Voice, assign_voices
from tests.assembly.speech_measure import median_f0, rms_db, spectral_centroid

LINE = "你迟到了，我等了你很久。"


@pytest.fixture
def synth_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts espeak-ng was asked to speak, in order."""
    calls: list[str] = []
    real = espeak.EspeakEngine.synthesize

    def spy(self, text, voice, out, task_file=None):  # type: ignore[no-untyped-def]
        calls.append(text)
        return real(self, text, voice, out, task_file)

    monkeypatch.setattr(espeak.EspeakEngine, "synthesize", spy)
    return calls


def test_two_characters_default_voices_are_audibly_different(tmp_path: Path) -> None:
    voices = assign_voices(["林晚", "顾言"], {}, "zh")
    lin = speak(LINE, voices["林晚"][0], "line", tmp_path)
    gu = speak(LINE, voices["顾言"][0], "line", tmp_path)
    lin_f0, gu_f0 = median_f0(lin.path), median_f0(gu.path)
    # measured: 林晚 (cmn+f2) ≈ 188 Hz, 顾言 (cmn+m3) ≈ 65 Hz
    assert lin_f0 > 1.5 * gu_f0, (lin_f0, gu_f0)
    assert spectral_centroid(lin.path) > spectral_centroid(gu.path) + 150


def test_an_inner_voice_is_duller_and_quieter_and_a_voice_over_lower(tmp_path: Path) -> None:
    voice = Voice(voice="cmn+f2", pitch=70)
    line, os_line, vo_line = (speak(LINE, voice, t, tmp_path) for t in ("line", "os", "vo"))
    # measured: centroid 1885 Hz → 1377 Hz (OS), level −17 → −21.5 dBFS, OS 9 % longer
    assert spectral_centroid(os_line.path) < spectral_centroid(line.path) - 250
    assert rms_db(os_line.path) < rms_db(line.path) - 2
    assert os_line.seconds > line.seconds * 1.04
    assert median_f0(vo_line.path) < median_f0(line.path) - 8  # 188 → 170 Hz


def test_a_line_is_synthesised_once_and_a_new_voice_or_text_again(tmp_path, synth_calls) -> None:
    voice = Voice(voice="cmn+m3", pitch=35)
    first = speak("签字吧。", voice, "line", tmp_path)
    again = speak("签字吧。", voice, "line", tmp_path)
    assert synth_calls == ["签字吧。"] and not first.cached and again.cached
    assert again.path == first.path and again.seconds == first.seconds
    assert first.path.parent == tmp_path / "speech" and first.path.name == f"{first.key}.wav"
    speak("签字吧。", voice.model_copy(update={"speed": 1.2}), "line", tmp_path)
    speak("签字吧。", voice, "os", tmp_path)
    assert len(synth_calls) == 3
    assert not list((tmp_path / "speech").glob(".*"))  # no temp left beside the lines


def test_the_voice_track_speaks_each_cue_at_its_frame_and_changes_one_line_only(
    tmp_path, synth_calls,
) -> None:
    cues = [Cue(index=1, start_frame=15, end_frame=60, speaker="顾言", text="你迟到了。"),
            Cue(index=2, start_frame=75, end_frame=140, speaker="林晚", text="是你来早了。"),
            Cue(index=3, start_frame=150, end_frame=240, speaker="顾言", text="她到底是谁？", mode="OS")]
    track = voice_track(cues, {}, fps=30, total_frames=240, cache_dir=tmp_path, out=tmp_path / "v.wav")
    assert [line.treatment for line in track.lines] == ["line", "line", "os"]
    assert track.lines[0].voice != track.lines[1].voice  # two speakers, two default voices
    assert track.lines[0].voice == track.lines[2].voice
    samples = read_samples(track.path)
    assert len(samples) == 8 * RATE  # 240 frames at 30 fps
    assert not samples[: RATE // 2].any()  # silent before the first cue (frame 15 = 0.5 s)
    assert abs(samples[RATE // 2: RATE // 2 + RATE // 5]).max() > 1000  # speaking just after
    assert all(line.seconds > 0.5 for line in track.lines)  # measured from the files
    assert track.synthesised == 3

    cues[1] = cues[1].model_copy(update={"text": "是你来得太早了。"})
    synth_calls.clear()
    again = voice_track(cues, {}, fps=30, total_frames=240, cache_dir=tmp_path, out=tmp_path / "v.wav")
    assert synth_calls == ["是你来得太早了。"] and again.synthesised == 1


def test_an_unknown_espeak_voice_names_some_that_exist() -> None:
    engine = get_engine("espeak")
    with pytest.raises(SpecError) as caught:
        engine.check(Voice(voice="cmn+zz"))
    message = str(caught.value)
    assert message.startswith("voice: 'cmn+zz' is not an espeak-ng voice: 'zz' is no variant")
    assert "f2" in message and "m3" in message
    with pytest.raises(SpecError, match="'klingon' is no language it speaks; try cmn"):
        engine.check(Voice(voice="klingon+f2"))
    engine.check(Voice(voice="zh+f3"))  # zh is taken as espeak-ng's Mandarin (cmn)


def test_an_unknown_speech_engine_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError,
                       match="unknown speech engine 'azure'; installed: espeak, kling, openai."):
        get_engine("azure")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_default_voice_is_one_espeak_ng_speaks(language: str) -> None:
    from shotcraft.storyboard.voices import default_voices, narrator_voice

    engine = get_engine("espeak")
    for voice in [*default_voices(language), narrator_voice(language)]:
        engine.check(voice)  # refused voices raise SpecError


def test_an_english_line_is_spoken_in_an_english_default(tmp_path: Path) -> None:
    voice = assign_voices(["MAYA"], {}, "en")["MAYA"][0]
    assert voice.voice == "en+f2"
    assert speak("You are late.", voice, "line", tmp_path).seconds > 0.5
