"""Identity in a project: takes are scored against the character bible with the real face model,
`rescore` brings old takes up to date, and `pick --auto` passes over a take of the wrong person."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import select

from shotcraft.projects import Project
from shotcraft.projects.db import TakeRow
from shotcraft.projects.draw import Draw
from tests.studio.conftest import invoke

FACES = Path(__file__).resolve().parents[1] / "data" / "faces"
CLOSE_UP = "E01-S01-004"  # CU, 林晚 alone
MEDIUM_CLOSE = "E01-S01-003"  # MCU, 顾言 alone


@pytest.fixture
def cast(project: Project) -> Project:
    project.add_reference("林晚", FACES / "obama.jpg")
    project.add_reference("顾言", FACES / "biden.jpg")
    return project


def test_takes_of_characters_with_references_are_scored_by_their_faces(
        cast: Project, small_previz: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOTCRAFT_PREVIZ_SCALE", "0.5")  # faces need pixels: 540×960
    cast.draw(Draw(shots=[CLOSE_UP], takes=1))
    [view] = cast.takes(CLOSE_UP)
    assert view.take.scores["identity"] > 0.8
    assert view.explanations["identity"].startswith("林晚 ")
    assert "frames" in view.explanations["identity"]


def test_without_references_identity_is_left_out_and_rescore_counts_it_once_added(
        project: Project, small_previz: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOTCRAFT_PREVIZ_SCALE", "0.5")
    project.draw(Draw(shots=[CLOSE_UP], takes=1))
    [before] = project.takes(CLOSE_UP)
    assert "identity" not in before.take.scores  # never guessed
    assert "林晚 (no reference image)" in before.explanations["identity"]
    assert before.explanations["identity"].startswith("left out:")

    # the previz figure drew no face, so the new reference finds nobody: rescore says so
    project.add_reference("林晚", FACES / "obama.jpg")
    result = invoke("rescore", str(project.root), "--json")
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)
    assert row["shot_id"] == CLOSE_UP and row["take"] == 1
    assert row["identity"] == 0.0
    assert "林晚 not found" in row["identity_explanation"]
    [after] = project.takes(CLOSE_UP)
    assert after.take.scores["identity"] == 0.0
    assert after.take.score < before.take.score - 0.1  # identity now weighs in the total


def test_rescore_of_an_unknown_shot_is_one_sentence(project: Project) -> None:
    result = invoke("rescore", str(project.root), "--shot", "E09-S09-009")
    assert result.exit_code == 1
    assert "there is no shot E09-S09-009" in result.output


def _set_scores(project: Project, shot_id: str, values: dict[int, tuple[float, float]]) -> None:
    """Give takes a total and an identity (a stand-in for takes judged on real faces)."""
    with project.store.db.write() as session:
        for row in session.exec(select(TakeRow).where(TakeRow.shot_id == shot_id)).all():
            total, identity = values[row.number]
            row.score = total
            row.scores = {**row.scores, "identity": identity}
            session.add(row)


def test_auto_pick_passes_over_a_take_of_the_wrong_person_and_says_so(
        project: Project, small_previz: None) -> None:
    project.draw(Draw(shots=[CLOSE_UP, MEDIUM_CLOSE], takes=3))
    # take 1 is the sharpest but shows somebody else; take 3 is the right face
    _set_scores(project, CLOSE_UP, {1: (0.95, 0.2), 2: (0.9, 0.4), 3: (0.85, 0.9)})
    # nobody reaches the threshold: the top take is picked, with a warning
    _set_scores(project, MEDIUM_CLOSE, {1: (0.7, 0.1), 2: (0.9, 0.3), 3: (0.8, 0.2)})
    result = invoke("pick", str(project.root), "--auto")
    assert result.exit_code == 0, result.output
    assert project.shot(CLOSE_UP).picked_take == 3
    assert f"{CLOSE_UP}: picked take 3 (rank 3) over take 1, whose identity 0.20 is under 0.5" in (
        result.output.replace("\n", " "))
    assert project.shot(MEDIUM_CLOSE).picked_take == 2
    assert "no take's identity reaches 0.5 (best 0.30)" in result.output.replace("\n", " ")


def test_identity_threshold_is_a_setting(project: Project, small_previz: None,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    project.draw(Draw(shots=[CLOSE_UP], takes=2))
    _set_scores(project, CLOSE_UP, {1: (0.95, 0.2), 2: (0.85, 0.3)})
    monkeypatch.setenv("SHOTCRAFT_IDENTITY_THRESHOLD", "0.25")
    assert project.auto_pick().picked == {CLOSE_UP: 2}
    project.unpick(CLOSE_UP)
    monkeypatch.setenv("SHOTCRAFT_IDENTITY_THRESHOLD", "1.5")
    result = invoke("pick", str(project.root), "--auto")
    assert result.exit_code == 1
    assert "SHOTCRAFT_IDENTITY_THRESHOLD is 1.5; it must be between 0 and 1" in result.output


def test_without_the_face_model_identity_is_left_out_with_the_install_line(
        cast: Project, small_previz: None, monkeypatch: pytest.MonkeyPatch) -> None:
    sentence = "the face model is not installed (dlib); install it with `pip install 'shotcraft[identity]'`."
    monkeypatch.setattr("shotcraft.ranking.identity.missing_reason", lambda: sentence)
    monkeypatch.setattr("shotcraft.ranking.faces.missing_reason", lambda: sentence)
    cast.draw(Draw(shots=[CLOSE_UP], takes=1))
    [view] = cast.takes(CLOSE_UP)
    assert "identity" not in view.take.scores
    assert view.explanations["identity"] == f"left out: {sentence}"
    result = invoke("rescore", str(cast.root))
    assert result.exit_code == 0
    assert "identity is left out of the total" in result.output
    assert "pip install 'shotcraft[identity]'" in result.output


def test_continuity_asks_whether_a_character_in_both_shots_looks_the_same_across_the_cut(
        cast: Project, small_previz: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOTCRAFT_PREVIZ_SCALE", "0.5")
    # E01-S01-003 (MCU, 顾言) then E01-S01-004 (CU, 林晚): different people, no face check
    cast.draw(Draw(shots=[MEDIUM_CLOSE], takes=1))
    cast.pick(MEDIUM_CLOSE, 1)
    cast.draw(Draw(shots=[CLOSE_UP], takes=1))
    [view] = cast.takes(CLOSE_UP)
    assert "faces" not in view.explanations["continuity"]
    # the same cut with 林晚 in both shots: her face is compared across it
    cast.update_shot(MEDIUM_CLOSE, characters=["林晚"])
    cast.unpick(MEDIUM_CLOSE)
    cast.draw(Draw(shots=[MEDIUM_CLOSE], takes=1))
    cast.pick(MEDIUM_CLOSE, 2)
    cast.rescore(shot_ids=[CLOSE_UP])
    [view] = cast.takes(CLOSE_UP)
    assert "林晚 looks the same across the cut (face distance 0." in view.explanations["continuity"]


def test_rescore_goes_on_past_a_take_whose_file_is_gone(project: Project, small_previz: None) -> None:
    project.draw(Draw(shots=[CLOSE_UP], takes=2))
    [first, second] = project.takes(CLOSE_UP)
    project.take_path(first.take).unlink()
    result = invoke("rescore", str(project.root), "--shot", CLOSE_UP)
    assert result.exit_code == 0, result.output
    assert f"{CLOSE_UP} take 1: " in result.output and "does not exist" in result.output
    assert "rescored 1 takes; 0 changed; 1 could not be read and keep their scores" in result.output
    assert project.takes(CLOSE_UP)[0].take.score == first.take.score
