"""Character sheets: portraits of one character alone, stored as keyframe takes of SHEET-<name>."""

from __future__ import annotations

from pathlib import Path

import pytest

from shotcraft.engine.registry import get_engine
from shotcraft.projects import Project, ReferenceRefused
from shotcraft.projects.db import TakeRow
from shotcraft.projects.draw import Draw
from shotcraft.projects.draw.batch import request_for
from shotcraft.projects.draw.queue import claim, queue_takes
from shotcraft.projects.draw.sheets import ensure_sheet
from shotcraft.shots.errors import EngineError, ProjectError
from shotcraft.shots.models import TakeKind, TakeStatus
from tests.plugins import added
from tests.projects.conftest import write_script
from tests.projects.faces import FACES


def test_a_sheet_draws_ranked_pickable_keyframe_takes_of_the_character(project: Project) -> None:
    project.add_reference("林晚", FACES / "obama.jpg")
    summary = project.draw(Draw(what="sheet", character="林晚", takes=2))
    assert (summary.done, summary.failed) == (2, 0)
    views = project.takes(project.sheet_id("林晚"))
    assert [v.take.kind for v in views] == [TakeKind.KEYFRAME] * 2
    assert sorted(v.rank for v in views) == [1, 2]
    assert all(v.take.score is not None and project.take_path(v.take).is_file() for v in views)
    assert all(v.take.reference_hashes for v in views)  # drawn with the reference face
    project.pick("SHEET-林晚", 2)
    assert [v.picked for v in project.takes("SHEET-林晚")] == [False, True]


def test_a_sheet_stays_out_of_the_storyboard_episodes_and_auto_pick(project: Project, small_previz: None) -> None:
    before = [s.id for s in project.shots()]
    project.draw(Draw(what="sheet", character="顾言", takes=1))
    assert [s.id for s in project.shots()] == before
    assert project.episodes() == [1, 2]
    assert "SHEET-顾言" not in {s.id for s in project.storyboard(include_archived=True).shots()}
    assert "SHEET-顾言" not in project.auto_pick()


def test_reimport_keeps_the_sheet_and_its_takes(project: Project, tmp_path: Path, small_previz: None) -> None:
    project.draw(Draw(what="sheet", character="顾言", takes=1))
    project.import_script(write_script(tmp_path, name="again.txt"))
    assert [v.take.status for v in project.takes("SHEET-顾言")] == [TakeStatus.DONE]
    assert "SHEET-顾言" not in {s.id for s in project.shots()}


def test_takes_alternate_front_and_three_quarter_views_from_the_bible(project: Project) -> None:
    project.update_character("林晚", description="25, white dress, long black hair")
    sheet = ensure_sheet(project.store, "林晚")
    engine = get_engine("previz")
    prompts = [request_for(project.store, sheet, engine=engine, kind=TakeKind.KEYFRAME, seeds=[n],
                           take_numbers=[n], options={})[0].prompt for n in (1, 2, 3)]
    assert "front view" in prompts[0] and "front view" in prompts[2]
    assert "three-quarter view" in prompts[1]
    assert all("long black hair" in p and "alone in frame" in p for p in prompts)


def test_one_engine_batch_holds_one_view(project: Project) -> None:
    sheet = ensure_sheet(project.store, "林晚")
    plan = project.plan(Draw(what="keyframes", shots=[sheet.id], takes=4))
    assert plan.engine == "previz"
    queue_takes(project.store, plan)
    batches = []
    for _ in range(2):
        jobs = claim(project.store, {sheet.id}, "previz", batch=4, worker="test")
        with project.store.db.read() as session:
            batches.append(sorted(session.get(TakeRow, job.take_id).number for job in jobs))
    assert batches == [[1, 3], [2, 4]]


def test_an_engine_that_cannot_draw_stills_is_refused_in_one_sentence(
    project: Project, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from shotcraft.engine import registry
    from shotcraft.engine.previz import PrevizEngine
    from shotcraft.engine.protocol import Capabilities

    class VideoOnly(PrevizEngine):
        name = "video-only"

        def capabilities(self, kind: TakeKind = TakeKind.VIDEO) -> Capabilities:
            return super().capabilities(kind).model_copy(update={"keyframes": False})

    with added(registry.ENGINES, "video-only", VideoOnly):  # as if installed
        with pytest.raises(EngineError, match="video-only cannot draw stills"):
            project.draw(Draw(what="sheet", character="林晚", engine="video-only", takes=1))
        with pytest.raises(ProjectError):
            project.shot("SHEET-林晚")  # nothing was made


def test_a_sheet_take_becomes_a_reference_through_the_face_check(project: Project) -> None:
    project.add_reference("林晚", FACES / "obama.jpg")
    project.draw(Draw(what="sheet", character="林晚", takes=1))
    added = project.add_reference_from_take("林晚", 1)
    assert added.check.usable
    assert len(project.character("林晚").references) == 2

    project.draw(Draw(what="sheet", character="顾言", takes=1, seed=7))  # no reference: previz draws a plain figure
    with pytest.raises(ReferenceRefused, match="take 1 of SHEET-顾言 shows no face"):
        project.add_reference_from_take("顾言", 1)
    assert project.character("顾言").references == []
    with pytest.raises(ProjectError, match="has no take 9"):
        project.add_reference_from_take("顾言", 9)
