"""A project drawn on the Kling stand-in keeps Kling's own 720p/1080p takes; export scales them."""

from __future__ import annotations

import pytest

from shotcraft.projects import Project
from shotcraft.projects.draw import Draw
from shotcraft.shots.media import probe
from shotcraft.shots.models import TakeStatus
from shotcraft.studio.views import takes_json
from tests.engine.kling_server import FakeKling
from tests.projects.kling_stand_in import kling_stand_in


@pytest.fixture
def kling(monkeypatch: pytest.MonkeyPatch):
    with kling_stand_in(monkeypatch) as fake:
        yield fake


@pytest.mark.parametrize(("mode", "native"), [("std", (720, 1280)), ("pro", (1080, 1920))])
def test_kling_takes_keep_their_native_size_and_export_at_the_project_s(
    project: Project, kling: FakeKling, monkeypatch: pytest.MonkeyPatch, mode: str,
    native: tuple[int, int],
) -> None:
    monkeypatch.setenv("SHOTCRAFT_KLING_MODE", mode)
    shots = project.shots(episode=1)
    summary = project.draw(Draw(episode=1, takes=1, engine="kling"))

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


@pytest.mark.parametrize("lipsync", [False, True])
def test_without_keys_a_kling_draw_is_one_sentence_and_burns_no_take(
        project: Project, kling: FakeKling, monkeypatch: pytest.MonkeyPatch, lipsync: bool) -> None:
    from tests.studio.conftest import invoke

    shot = next(s for s in project.shots(episode=1)
                if any(not (line.mode or "") for line in s.dialogue))
    if lipsync:
        project.draw(Draw(shots=[shot.id], takes=1, engine="kling"))
    before = [v.take.number for v in project.takes(shot.id)]
    monkeypatch.delenv("SHOTCRAFT_KLING_ACCESS_KEY")
    monkeypatch.delenv("SHOTCRAFT_KLING_SECRET_KEY")
    args = ["--lipsync"] if lipsync else ["--engine", "kling", "--takes", "1"]

    result = invoke("render", project.store.root, "--shot", shot.id, *args)

    assert result.exit_code == 1
    assert "Kling needs API keys: set SHOTCRAFT_KLING_ACCESS_KEY and SHOTCRAFT_KLING_SECRET_KEY" \
        in result.output
    assert [v.take.number for v in Project.open(project.store.root).takes(shot.id)] == before
    assert len(kling.created) == len(before)  # nothing sent
    # the plan and its price still show without keys
    dry = invoke("render", project.store.root, "--shot", shot.id, *args, "--dry-run")
    assert dry.exit_code == 0, dry.output
