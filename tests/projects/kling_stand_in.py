"""The Kling stand-in (tests/engine/kling_server.py) on localhost, with the engine's settings
pointed at it and its waits shortened, for project-level tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.engine.kling_server import FakeKling

ACCESS = "ak-test-2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f"
SECRET = "sk-test-5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b"


@contextmanager
def kling_stand_in(monkeypatch: pytest.MonkeyPatch, **settings: str) -> Iterator[FakeKling]:
    """A started stand-in; `settings` are more SHOTCRAFT_KLING_* values (e.g. MODEL_NAME)."""
    fake = FakeKling(access_key=ACCESS, secret_key=SECRET).start()
    for key in ("SHOTCRAFT_KLING_COST_TABLE", "SHOTCRAFT_KLING_MODE"):
        monkeypatch.delenv(key, raising=False)
    for key, value in {"BASE_URL": fake.base_url, "ACCESS_KEY": ACCESS, "SECRET_KEY": SECRET,
                       "POLL_INTERVAL": "0.01", "POLL_MAX_INTERVAL": "0.02",
                       "RETRY_DELAY": "0.01", "REQUEST_TIMEOUT": "10", **settings}.items():
        monkeypatch.setenv(f"SHOTCRAFT_KLING_{key}", value)
    try:
        yield fake
    finally:
        fake.stop()
