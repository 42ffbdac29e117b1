"""A project drawn on the Kling stand-in keeps Kling's own 720p/1080p takes; export scales them."""

from __future__ import annotations

import pytest

from shotcraft.projects import Project
from shotcraft.shots.media import probe
from shotcraft.shots.models import TakeStatus
from shotcraft.studio.views import takes_json
from tests.engine.kling_server import FakeKling

ACCESS = "ak-test-2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f"
SECRET = "sk-test-5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b"


@pytest.fixture
def kling(monkeypatch: pytest.MonkeyPatch):
    fake = FakeKling(access_key=ACCESS, secret_key=SECRET).start()
    for key, value in {"BASE_URL": fake.base_url, "ACCESS_KEY": ACCESS, "SECRET_KEY": SECRET,
                       "POLL_INTERVAL": "0.01", "POLL_MAX_INTERVAL": "0.02",
                       "RETRY_DELAY": "0.01", "REQUEST_TIMEOUT": "10"}.items():
        monkeypatch.setenv(f"SHOTCRAFT_KLING_{key}", value)
    yield fake
    fake.stop()


@pytest.mark.parametrize(("mode", "native"), [("std", (720, 1280)), ("pro", (1080, 1920))])
def test_kling_takes_keep_their_native_size_and_export_at_the_project_s(
    project: Project, kling: FakeKling, monkeypatch: pytest.MonkeyPatch, mode: str,
    native: tuple[int, int],
) -> None:
    monkeypatch.setenv("SHOTCRAFT_KLING_MODE", mode)
    shots = project.shots(episode=1)
    summary = project.render(episode=1, takes=1, engine="kling")

    assert (summary.done, summary.failed) == (len(shots), 0), summary.results
    assert {t["body"]["mode"] for t in kling.created} == {mode}
    for shot in shots:
        [view] = project.takes(shot.id)
        take = view.take
        assert take.status is TakeStatus.DONE, take.reason
        assert (take.width, take.height, take.fps) == (*native, 30)
        assert take.duration_frames == 150  # Kling's 5 s at 30 fps, not the shot's length
        [row] = takes_json(project, [view])
        assert (row["width"], row["height"], row["fps"]) == (*native, 30.0)
        project.pick(shot.id, take.number)

    result = project.export(1)
    info = probe(result.output)
    assert (info.width, info.height) == (1080, 1920)
    assert info.frames == sum(shot.duration_frames for shot in shots) == result.duration_frames
