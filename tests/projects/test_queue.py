"""The render queue's lease: a heartbeat that cannot be written is reported, never lost."""

from __future__ import annotations

import time

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from shotcraft.engine.previz import PrevizEngine
from shotcraft.projects import Project
from shotcraft.projects.db import JobRow
from shotcraft.projects.draw import Draw, lease
from shotcraft.projects.draw.run import RenderEvent

pytestmark = pytest.mark.usefixtures("small_previz")


@pytest.fixture
def broken_heartbeat(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every beat fails as a locked database would, many times while one take renders."""

    def beat(_store: object, _job_ids: list[int]) -> None:
        raise OperationalError("UPDATE job SET heartbeat_at=?", {}, Exception("database is locked"))

    monkeypatch.setattr(lease, "beat", beat)
    monkeypatch.setattr(lease, "HEARTBEAT_SECONDS", 0.01)


def _slow_previz(monkeypatch: pytest.MonkeyPatch, before_return=None) -> None:
    real = PrevizEngine.render

    def render(self, request, **kwargs):  # type: ignore[no-untyped-def]
        time.sleep(0.3)  # long enough for the heartbeat to try (and fail) several times
        if before_return is not None:
            before_return()
        return real(self, request, **kwargs)

    monkeypatch.setattr(PrevizEngine, "render", render)


@pytest.mark.usefixtures("broken_heartbeat")
def test_a_failing_heartbeat_is_reported_once_and_the_job_released(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    _slow_previz(monkeypatch)
    shot = project.shots(episode=1)[0]
    events: list[RenderEvent] = []
    summary = project.draw(Draw(shots=[shot.id], takes=1), on_event=events.append)
    warnings = [e for e in events if e.kind == "warning"]
    assert len(warnings) == 1, "the first failed beat is told at once, not once per beat"
    message = warnings[0].message
    assert warnings[0].shot_id == shot.id
    assert "lease could not be renewed" in message
    assert "OperationalError" in message and "database is locked" in message
    assert summary.warnings == [message]
    # the lease still held (nobody took the take over), so the take is kept
    assert (summary.done, summary.failed) == (1, 0)
    assert not [j for j in project.jobs() if j["state"] == "running"]


@pytest.mark.usefixtures("broken_heartbeat")
def test_a_take_whose_lease_lapsed_is_failed_and_not_registered_over_another_render(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    def taken_over() -> None:  # what another machine's render does once our lease looks stale
        with project.db.write() as session:
            for job in session.exec(select(JobRow).where(JobRow.state == "running")).all():
                job.worker = "elsewhere:1"
                session.add(job)

    _slow_previz(monkeypatch, before_return=taken_over)
    shot = project.shots(episode=1)[0]
    summary = project.draw(Draw(shots=[shot.id], takes=1))
    assert (summary.done, summary.failed) == (0, 1)
    reason = summary.results[0].reason or ""
    assert "lease lapsed" in reason and "database is locked" in reason
    running = [j for j in project.jobs() if j["state"] == "running"]
    assert [j["worker"] for j in running] == ["elsewhere:1"], "left to the render that holds it"
    assert project.takes(shot.id)[0].take.media_path is None
