"""A project shot longer than one Kling task: planned and priced with its extension, drawn as
one take, resumed after a kill -9 without paying twice, conformed to the shot at export."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlmodel import select

from shotcraft.engine.kling import COST_TABLE
from shotcraft.projects import Project, export_options
from shotcraft.projects.db import JobRow
from shotcraft.projects.draw import Draw
from shotcraft.shots.errors import EngineError
from shotcraft.shots.media import probe
from shotcraft.shots.models import TakeStatus
from tests.engine.kling_server import FakeKling
from tests.projects.kling_stand_in import kling_stand_in

REPO = Path(__file__).resolve().parents[2]
# kling-v1-6 std: a 10 s clip and one extension (assumed priced as a 5 s task)
CLIP_10, EXTENSION = COST_TABLE["kling-v1-6/std/10"], COST_TABLE["kling-v1-6/std/5"]


@pytest.fixture
def kling(monkeypatch: pytest.MonkeyPatch):
    with kling_stand_in(monkeypatch, MODEL_NAME="kling-v1-6") as fake:
        yield fake


def _long_shot(project: Project, seconds: float = 14) -> str:
    shot = project.shots(episode=1)[0]
    project.update_shot(shot.id, duration_frames=round(seconds * project.fps))
    return shot.id


def test_the_dry_run_prices_the_extensions(project: Project, kling: FakeKling) -> None:
    shot_id = _long_shot(project)
    plan = project.plan(Draw(shots=[shot_id], takes=2, engine="kling"))
    [entry] = plan.shots
    assert entry.credits_per_take == CLIP_10 + EXTENSION
    assert plan.credits == 2 * (CLIP_10 + EXTENSION)
    assert entry.downgrades == []  # not cut to 10 s: drawn whole through an extension
    assert kling.posts == []


def test_a_model_that_cannot_extend_refuses_the_long_shot(
    project: Project, kling: FakeKling, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SHOTCRAFT_KLING_MODEL_NAME", "kling-v2-master")
    shot_id = _long_shot(project)
    with pytest.raises(EngineError, match="cannot extend a video") as refused:
        project.plan(Draw(shots=[shot_id], takes=1, engine="kling"))
    assert shot_id in str(refused.value) and "\n" not in str(refused.value)
    # with --allow-downgrade it draws (and prices) the model's 10 s; the take records why
    plan = project.plan(Draw(shots=[shot_id], takes=1, engine="kling", allow_downgrade=True))
    assert plan.shots[0].credits_per_take == COST_TABLE["kling-v2-master/std/10"]


def test_kill_9_between_the_clip_and_its_extension_resumes_unpaid_and_exports_the_shot(
    project: Project, kling: FakeKling,
) -> None:
    shot_id = _long_shot(project)
    kling.hold_posts.add("video-extend")  # the extension reaches Kling; its answer never returns
    cmd = [sys.executable, "-m", "shotcraft.studio.cli", "render", str(project.root),
           "--shot", shot_id, "--engine", "kling", "--takes", "1"]
    proc = subprocess.Popen(cmd, env={**os.environ, "PYTHONPATH": str(REPO / "src")},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    try:
        deadline = time.monotonic() + 60
        while not kling.posted_to("video-extend") and time.monotonic() < deadline:
            time.sleep(0.02)
        assert kling.posted_to("video-extend"), "the render never asked for the extension"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    kling.hold_posts.clear()  # Kling creates (and bills) the extension the dead render sent
    with project.db.read() as session:
        [saved] = [row.provider_state for row in session.exec(select(JobRow)).all()]
    # the clip's task and video are saved; the extension only as sent (its answer was lost)
    assert saved["task_id"] and saved["video_id"]
    assert [step["state"] for step in saved["extends"]] == ["submitting"]

    summary = project.draw(Draw(shots=[shot_id], engine="kling"))

    assert summary.resumed == 1 and summary.done == 1, summary.results
    assert len(kling.posted_to("text2video")) == len(kling.created_on("text2video")) == 1
    assert len(kling.posted_to("video-extend")) == len(kling.created_on("video-extend")) == 1
    [view] = project.takes(shot_id)
    take = view.take
    assert take.status is TakeStatus.DONE, take.reason
    assert (take.width, take.height, take.fps) == (720, 1280, 30)
    assert abs(take.duration_frames - 14 * 30) <= 30 // 4  # 10 s clip + 4 s extension
    assert take.cost_credits == CLIP_10 + EXTENSION
    project.pick(shot_id, take.number)
    result = project.export(1, export_options(preset="test-small"))  # frames are judged, not size
    assert probe(result.output).frames == result.duration_frames == sum(
        s.duration_frames for s in project.shots(episode=1))
