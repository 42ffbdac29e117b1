"""The cloud speech engines (Kling TTS, an OpenAI-compatible /audio/speech) against stand-ins."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shotcraft.assembly.speech import get_engine, speak
from shotcraft.providers.kling.tasks import KlingApi
from shotcraft.shots.errors import AssemblyError, ConfigError, SpecError
from shotcraft.shots.settings import user_config_file
from shotcraft.storyboard.voices import Voice
from tests.assembly.cloud_fixtures import (  # noqa: F401 - fixtures
    ACCESS,
    API_KEY,
    SECRET,
    fake_kling_fixture,
    openai_server_fixture,
)
from tests.assembly.openai_tts_server import spoken_seconds
from tests.assembly.speech_measure import median_f0
from tests.engine.kling_server import tts_seconds

FRAME = 1 / 24
LINE = "你迟到了，我等了你整整一个小时。"


def _files_contain(folder: Path, secret: str) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


def test_openai_speaks_a_line_once_measured_and_never_stores_the_key(openai_server, tmp_path) -> None:
    voice = Voice(engine="openai", voice="nova")
    first = speak(LINE, voice, "line", tmp_path)
    assert not first.cached and abs(first.seconds - spoken_seconds(LINE)) <= FRAME
    assert openai_server.requests == [{"model": "tts-1", "input": LINE, "voice": "nova",
                                       "response_format": "wav", "speed": 1.0}]
    again = speak(LINE, voice, "line", tmp_path)
    assert again.cached and again.path == first.path and len(openai_server.requests) == 1
    assert _files_contain(tmp_path, API_KEY) == []
    assert list((tmp_path / "speech").glob("*.task.json")) == []


def test_a_cloud_voice_pitch_moves_the_voice_and_keeps_its_length(openai_server, tmp_path) -> None:
    own = speak(LINE, Voice(engine="openai", voice="alloy"), "line", tmp_path)
    higher = speak(LINE, Voice(engine="openai", voice="alloy", pitch=70), "line", tmp_path)
    assert median_f0(own.path) == pytest.approx(330, rel=0.03)
    assert median_f0(higher.path) == pytest.approx(330 * 2 ** (2 / 12), rel=0.03)  # 2 semitones
    assert abs(higher.seconds - own.seconds) <= FRAME


def test_openai_refusals_are_one_sentence(openai_server, tmp_path, monkeypatch) -> None:
    voice = Voice(engine="openai", voice="alloy")
    monkeypatch.setenv("SHOTCRAFT_TTS_API_KEY", "wrong")
    with pytest.raises(AssemblyError) as refused:
        speak(LINE, voice, "line", tmp_path)
    assert refused.value.message == ("the speech server refused the key (HTTP 401): check "
                                     "SHOTCRAFT_TTS_API_KEY.")
    monkeypatch.delenv("SHOTCRAFT_TTS_API_KEY")
    with pytest.raises(ConfigError, match="the openai speech engine needs SHOTCRAFT_TTS_API_KEY: "
                                          "set it in the environment"):
        speak(LINE, voice, "line", tmp_path)
    monkeypatch.setenv("SHOTCRAFT_TTS_API_KEY", API_KEY)
    with pytest.raises(AssemblyError, match=r"refused the line \(HTTP 400\): Invalid value for 'voice'"):
        speak(LINE, Voice(engine="openai", voice="nobody"), "line", tmp_path)
    assert list((tmp_path / "speech").glob("*.wav")) == []  # nothing half-made under a final name


def test_openai_rides_out_one_429_and_names_a_lasting_one(openai_server, tmp_path, monkeypatch) -> None:
    openai_server.faults = [429]
    assert speak("第一句。", Voice(engine="openai", voice="echo"), "line", tmp_path).seconds > 0
    assert len(openai_server.requests) == 2
    monkeypatch.setenv("SHOTCRAFT_TTS_RETRIES", "1")
    openai_server.faults = [429, 429]
    with pytest.raises(AssemblyError, match=r"rate-limited or out of quota \(HTTP 429\): Rate limit"):
        speak("第二句。", Voice(engine="openai", voice="echo"), "line", tmp_path)


def test_kling_speaks_through_a_task_once_and_never_stores_the_keys(fake_kling, tmp_path) -> None:
    voice = Voice(engine="kling", voice="chat1_female_new-3", speed=1.1)
    first = speak(LINE, voice, "line", tmp_path)
    assert not first.cached and abs(first.seconds - tts_seconds(LINE)) <= FRAME
    body = fake_kling.tts_created[0]["body"]
    assert body.pop("external_task_id").startswith("shotcraft-tts-")
    assert [body] == [
        {"text": LINE, "voice_id": "chat1_female_new-3", "voice_language": "zh", "voice_speed": 1.1}]
    assert speak(LINE, voice, "line", tmp_path).cached
    assert len(fake_kling.tts_created) == 1 and fake_kling.tts_downloads == 1
    assert list((tmp_path / "speech").glob("*.task.json")) == []
    assert _files_contain(tmp_path, ACCESS) == _files_contain(tmp_path, SECRET) == []


def test_a_crash_while_polling_kling_resumes_the_same_task(fake_kling, tmp_path, monkeypatch) -> None:
    fake_kling.hold = True  # the task stays processing
    real_sleep = KlingApi.sleep

    def crash(self: KlingApi, seconds: float) -> None:
        raise KeyboardInterrupt  # killed between two polls

    monkeypatch.setattr(KlingApi, "sleep", crash)
    voice = Voice(engine="kling", voice="genshin_vindi2")
    with pytest.raises(KeyboardInterrupt):
        speak(LINE, voice, "line", tmp_path)
    saved = list((tmp_path / "speech").glob("*.task.json"))
    assert len(saved) == 1 and fake_kling.tts_created[0]["task_id"] in saved[0].read_text()

    monkeypatch.setattr(KlingApi, "sleep", real_sleep)
    fake_kling.hold = False
    line = speak(LINE, voice, "line", tmp_path)
    assert abs(line.seconds - tts_seconds(LINE)) <= FRAME
    assert len(fake_kling.tts_created) == 1 and len(fake_kling.posted_to("audio/tts")) == 1
    assert not saved[0].exists()


def test_an_expired_kling_audio_url_is_fetched_anew_without_a_new_task(fake_kling, tmp_path) -> None:
    fake_kling.tts_url_lifetime = -1  # expired by the time it is downloaded
    voice = Voice(engine="kling", voice="genshin_vindi2")
    with pytest.raises(AssemblyError, match=r"could not be downloaded \(HTTP 403\); export again"):
        speak(LINE, voice, "line", tmp_path)
    fake_kling.tts_url_lifetime = 60
    assert speak(LINE, voice, "line", tmp_path).seconds > 0
    assert len(fake_kling.tts_created) == 1


def test_a_kling_create_whose_answer_is_lost_is_found_not_made_again(fake_kling, tmp_path) -> None:
    fake_kling.inject("drop", "after-create")  # created and billed, the connection dropped
    line = speak(LINE, Voice(engine="kling", voice="genshin_vindi2"), "line", tmp_path)
    assert abs(line.seconds - tts_seconds(LINE)) <= FRAME
    assert len(fake_kling.tts_created) == 1 and len(fake_kling.posted_to("audio/tts")) == 1


@pytest.mark.parametrize(("setup", "sentence"), [
    ("no-key", "Kling's TTS needs SHOTCRAFT_KLING_ACCESS_KEY: set it in the environment, or "
               "access_key under [kling] in {user_file} (mode 0600); it is never stored in a "
               "project."),
    ("bad-secret", "Kling refused the keys (code 1002): check SHOTCRAFT_KLING_ACCESS_KEY and "
                   "SHOTCRAFT_KLING_SECRET_KEY for this region."),
    ("429", "Kling's TTS is rate-limited (code 1302); try again later."),
    ("balance", "Kling's account balance is spent (code 1102); top it up and export again."),
])
def test_kling_refusals_are_one_sentence(fake_kling, tmp_path, monkeypatch, setup, sentence) -> None:
    if setup == "no-key":
        monkeypatch.delenv("SHOTCRAFT_KLING_ACCESS_KEY")
    elif setup == "bad-secret":
        monkeypatch.setenv("SHOTCRAFT_KLING_SECRET_KEY", "not-the-secret-but-as-long-as-the-real-one")
    else:
        fake_kling.inject(setup, "submit", times=2)  # more than the one retry allowed
    with pytest.raises((AssemblyError, ConfigError)) as refused:
        speak(LINE, Voice(engine="kling", voice="genshin_vindi2"), "line", tmp_path)
    assert refused.value.message == sentence.format(user_file=user_config_file())
    assert fake_kling.tts_created == [] and list((tmp_path / "speech").glob("*.wav")) == []


def test_kling_refuses_what_its_tts_cannot_speak_before_any_request(fake_kling) -> None:
    engine = get_engine("kling")
    with pytest.raises(SpecError, match="speed: Kling's TTS speaks at 0.8-2.0, not 0.6"):
        engine.check(Voice(engine="kling", voice="genshin_vindi2", speed=0.6))
    with pytest.raises(SpecError, match="language: Kling's TTS speaks zh or en, not 'ja'"):
        engine.check(Voice(engine="kling", voice="genshin_vindi2", language="ja"))
    assert fake_kling.posts == [] and fake_kling.tts_created == []


def test_kill_9_while_polling_kling_then_export_again_creates_one_task(fake_kling, tmp_path) -> None:
    fake_kling.hold = True
    child = subprocess.Popen(  # a separate process so it can be killed outright
        [sys.executable, "-c", "import sys; from pathlib import Path; "
         "from shotcraft.assembly.speech import speak; from shotcraft.storyboard.voices import Voice; "
         "speak(sys.argv[1], Voice(engine='kling', voice='genshin_vindi2'), 'line', Path(sys.argv[2]))",
         LINE, str(tmp_path)],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    try:
        deadline = time.monotonic() + 30
        while not list((tmp_path / "speech").glob("*.task.json")) and time.monotonic() < deadline:
            assert child.poll() is None, "the export ended before it polled"
            time.sleep(0.05)
        assert list((tmp_path / "speech").glob("*.task.json")), "no task id saved before polling"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    fake_kling.hold = False
    line = speak(LINE, Voice(engine="kling", voice="genshin_vindi2"), "line", tmp_path)
    assert abs(line.seconds - tts_seconds(LINE)) <= FRAME
    assert len(fake_kling.tts_created) == 1
