"""The character bible's reference images: one clear face each, checked before anything is copied."""

from __future__ import annotations

from pathlib import Path

import pytest

from shotcraft.projects import Project, ReferenceRefused
from tests.projects.faces import FACES, flat, small_face, two_faces


def refs_folder(project: Project) -> list[Path]:
    return sorted(project.layout.refs.iterdir())


def test_a_portrait_with_one_clear_face_is_copied_attached_and_usable(project: Project) -> None:
    added = project.add_reference("林晚", FACES / "obama.jpg")
    assert added.check.usable and added.check.faces == 1
    assert added.note is None
    assert project.character("林晚").references == [added.reference]
    assert project.layout.resolve(added.reference).read_bytes() == (FACES / "obama.jpg").read_bytes()
    [check] = project.reference_checks("林晚")
    assert (check.path, check.faces, check.usable) == (added.reference, 1, True)


@pytest.mark.parametrize(("make", "said"), [
    (flat, "shows no face"),
    (two_faces, "shows 2 faces"),
    (small_face, "under 80 px"),
])
def test_a_refused_picture_names_the_file_and_nothing_is_copied_or_attached(
    project: Project, tmp_path: Path, make, said: str,  # noqa: ANN001
) -> None:
    picture = make(tmp_path / "candidate.png")
    with pytest.raises(ReferenceRefused) as refused:
        project.add_reference("林晚", picture)
    message = str(refused.value)
    assert "candidate.png" in message and said in message and "--force" in message
    assert project.character("林晚").references == []
    assert refs_folder(project) == []


def test_force_keeps_a_refused_picture_but_identity_does_not_use_it(project: Project, tmp_path: Path) -> None:
    added = project.add_reference("林晚", two_faces(tmp_path / "pair.png"), force=True)
    assert not added.check.usable and added.check.faces == 2
    assert "not used for identity" in (added.note or "")
    project.add_reference("林晚", FACES / "obama2.jpg")
    checks = project.character_faces()["林晚"]
    assert [(c.faces, c.usable) for c in checks] == [(2, False), (1, True)]
    assert project.character_faces()["顾言"] == []


def test_without_the_face_model_a_picture_is_kept_with_a_note_saying_how_to_install_it(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import shotcraft.ranking.identity as identity

    monkeypatch.setattr(identity, "missing_reason", lambda: "dlib is not installed")
    added = project.add_reference("林晚", flat(tmp_path / "plain.png"))
    assert added.check.faces is None and not added.check.usable
    assert "pip install 'shotcraft[identity]'" in (added.note or "")
    assert len(project.character("林晚").references) == 1


def test_face_checks_are_kept_in_the_project_cache(project: Project) -> None:
    project.add_reference("顾言", FACES / "biden.jpg")
    assert list((project.layout.cache / "faces").glob("*.json"))


def test_an_unknown_character_is_refused_before_the_picture_is_read(project: Project) -> None:
    with pytest.raises(Exception, match="no character 无名"):
        project.add_reference("无名", FACES / "obama.jpg")
    assert refs_folder(project) == []


def test_a_face_that_looks_like_another_character_is_added_with_a_warning(project: Project) -> None:
    project.add_reference("顾言", FACES / "obama.jpg")
    first = project.add_reference("林晚", FACES / "obama2.jpg")  # the same man, as 林晚's first
    assert first.lookalike is not None and "looks like 顾言's references" in first.lookalike
    project.remove_reference("林晚", first.reference)
    project.add_reference("林晚", FACES / "biden.jpg")
    nearer = project.add_reference("林晚", FACES / "obama3.jpg")
    assert nearer.lookalike is not None
    assert "looks more like 顾言" in nearer.lookalike and "than like 林晚's other references" in nearer.lookalike
    assert project.add_reference("顾言", FACES / "obama2.jpg").lookalike is None  # his own face
