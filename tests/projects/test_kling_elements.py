"""Kling elements and keyframe stills in a project, against the fake Kling (tests/engine).

A character with two or more usable references becomes one Kling element, made once and kept on
the character; shots with it in frame go through omni-video naming that element; a changed set
of references makes a new one. Keyframe stills and character sheets come from image generation.
"""

from __future__ import annotations

import pytest
from PIL import Image

from shotcraft.engine.kling.stills import STILL_SIZES
from shotcraft.projects import Project
from shotcraft.projects.db import ProviderStateRow
from shotcraft.projects.draw import Draw
from shotcraft.shots.models import TakeKind, TakeStatus
from tests.engine.kling_server import FakeKling
from tests.projects.faces import FACES
from tests.projects.kling_stand_in import kling_stand_in


@pytest.fixture
def kling(monkeypatch: pytest.MonkeyPatch):
    with kling_stand_in(monkeypatch) as fake:
        yield fake


def stored_element(project: Project, name: str) -> dict | None:
    """The element Kling's engine keeps for `name` in the project (its provider state)."""
    with project.store.db.read() as session:
        row = session.get(ProviderStateRow, ("kling", "element", name))
        return dict(row.value) if row is not None else None


def test_an_element_is_made_once_for_every_shot_and_again_when_the_references_change(
    project: Project, kling: FakeKling,
) -> None:
    project.add_reference("林晚", FACES / "obama.jpg")
    project.add_reference("林晚", FACES / "obama2.jpg")
    lin_shots = [s.id for s in project.shots(episode=1) if "林晚" in s.characters]
    assert len(lin_shots) >= 2

    summary = project.draw(Draw(shots=lin_shots, takes=1, engine="kling"))
    assert summary.failed == 0, summary.results
    [made] = kling.elements_created  # one element for all the shots
    body = made["body"]
    assert body["element_name"] == "林晚" and body["reference_type"] == "image_refer"
    assert len(body["element_image_list"]["refer_images"]) == 1  # frontal + the other portrait
    record = stored_element(project, "林晚")
    assert record is not None and record["id"] == str(made["element_id"])
    assert record["region"] == "127.0.0.1" and len(record["references_hash"]) == 64
    omni = [t for t in kling.created if t["endpoint"] == "omni-video"]
    assert len(omni) == len(lin_shots)
    for task in omni:
        assert task["body"]["model_name"] == "kling-video-o1"
        assert {"element_id": made["element_id"]} in task["body"]["element_list"]
        assert "林晚 is <<<element_1>>>" in task["body"]["prompt"]
    views = [v for s in lin_shots for v in project.takes(s)]
    assert all(v.take.status is TakeStatus.DONE for v in views)
    assert all(v.take.params["endpoint"] == "omni-video" for v in views)
    assert all(str(made["element_id"]) in v.take.params["element_ids"] for v in views)

    project.draw(Draw(shots=lin_shots, takes=1, engine="kling"))  # more takes: the same element
    assert len(kling.elements_created) == 1
    assert stored_element(project, "林晚") == record

    project.add_reference("林晚", FACES / "obama3.jpg")  # the references changed
    project.draw(Draw(shots=lin_shots[:1], takes=1, engine="kling"))
    assert len(kling.elements_created) == 2
    remade = kling.elements_created[1]
    assert len(remade["body"]["element_image_list"]["refer_images"]) == 2
    new_record = stored_element(project, "林晚")
    assert new_record["id"] == str(remade["element_id"]) != record["id"]
    assert new_record["references_hash"] != record["references_hash"]
    latest = kling.created[-1]["body"]
    assert latest["element_list"][0] == {"element_id": remade["element_id"]}


def test_one_portrait_is_not_enough_for_an_element_so_the_shot_keeps_its_reference_image(
    project: Project, kling: FakeKling,
) -> None:
    project.add_reference("林晚", FACES / "obama.jpg")  # Kling wants a frontal image and 1-3 more
    shot = next(s.id for s in project.shots(episode=1) if "林晚" in s.characters)
    summary = project.draw(Draw(shots=[shot], takes=1, engine="kling"))
    assert summary.failed == 0, summary.results
    assert kling.elements_created == [] and stored_element(project, "林晚") is None
    assert {t["endpoint"] for t in kling.created} == {"multi-image2video"}


def test_keyframe_stills_are_drawn_by_image_generation_with_the_character_s_face(
    project: Project, kling: FakeKling,
) -> None:
    project.add_reference("林晚", FACES / "obama.jpg")
    shot = next(s for s in project.shots(episode=1) if "林晚" in s.characters)
    summary = project.draw(Draw(what="keyframes", shots=[shot.id], takes=2, engine="kling"))
    assert (summary.done, summary.failed) == (2, 0), summary.results
    assert len(kling.images_created) == 2 and kling.created == []  # no video task, no element
    body = kling.images_created[0]["body"]
    assert body["model_name"] == "kling-v1-5" and body["image_reference"] == "face"
    assert body["image"] and "negative_prompt" not in body
    width, height = STILL_SIZES[project.store.aspect]
    for view in project.takes(shot.id):
        take = view.take
        assert take.kind is TakeKind.KEYFRAME and take.status is TakeStatus.DONE, take.reason
        assert (take.width, take.height) == (width, height)
        with Image.open(project.layout.resolve(take.media_path)) as img:
            assert img.size == (width, height)


def test_a_character_sheet_is_drawn_on_kling(project: Project, kling: FakeKling) -> None:
    project.add_reference("林晚", FACES / "obama.jpg")
    summary = project.draw(Draw(what="sheet", character="林晚", engine="kling", takes=2))
    assert (summary.done, summary.failed) == (2, 0), summary.results
    views = project.takes("SHEET-林晚")
    assert [v.take.kind for v in views] == [TakeKind.KEYFRAME] * 2
    assert all(b["body"]["image_reference"] == "face" for b in kling.images_created)
