"""The cloud speech stand-ins as fixtures (`openai_server`, `fake_kling`), their keys set in the
environment as a user would; import the `*_fixture` names into a test module to use them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.assembly.openai_tts_server import FakeSpeechServer
from tests.engine.kling_server import FakeKling

ACCESS, SECRET = "ak-test-4f1c", "sk-test-9d2e-secret-long-enough-for-hs256"
API_KEY = "tts-key-7b3a-secret"


@pytest.fixture(name="openai_server")
def openai_server_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSpeechServer]:
    server = FakeSpeechServer(key=API_KEY).start()
    monkeypatch.setenv("SHOTCRAFT_TTS_BASE_URL", server.base_url)
    monkeypatch.setenv("SHOTCRAFT_TTS_API_KEY", API_KEY)
    monkeypatch.setenv("SHOTCRAFT_TTS_MODEL", "tts-1")
    monkeypatch.setenv("SHOTCRAFT_TTS_RETRY_DELAY", "0")
    yield server
    server.stop()


@pytest.fixture(name="fake_kling")
def fake_kling_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeKling]:
    server = FakeKling(access_key=ACCESS, secret_key=SECRET, polls_to_finish=2).start()
    monkeypatch.setenv("SHOTCRAFT_KLING_BASE_URL", server.base_url)
    monkeypatch.setenv("SHOTCRAFT_KLING_ACCESS_KEY", ACCESS)
    monkeypatch.setenv("SHOTCRAFT_KLING_SECRET_KEY", SECRET)
    monkeypatch.setenv("SHOTCRAFT_KLING_TTS_POLL_INTERVAL", "0.01")
    monkeypatch.setenv("SHOTCRAFT_KLING_RETRY_DELAY", "0")
    monkeypatch.setenv("SHOTCRAFT_KLING_RETRIES", "1")
    yield server
    server.stop()
