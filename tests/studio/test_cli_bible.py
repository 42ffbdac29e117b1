"""The character bible on the command line: add-ref and its face check, characters, sheets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.plugins import added
from tests.projects.faces import FACES, flat, two_faces
from tests.studio.conftest import invoke


def references(folder: Path, name: str) -> list[dict]:
    people = json.loads(invoke("characters", folder, "--json").stdout)
    return next(p for p in people if p["name"] == name)["references"]


def test_add_ref_attaches_a_portrait_and_characters_shows_its_face_check(project_dir: Path) -> None:
    result = invoke("add-ref", project_dir, "林晚", FACES / "obama.jpg")
    assert result.exit_code == 0, result.output
    assert "usable" in result.stdout
    [ref] = references(project_dir, "林晚")
    assert ref["faces"] == 1 and ref["usable"] is True and ref["path"].startswith("refs/")
    assert ref["reason"] is None
    assert project_dir.joinpath(ref["path"]).is_file()


def test_a_picture_without_one_clear_face_is_refused_in_one_sentence_and_not_copied(
    project_dir: Path, tmp_path: Path,
) -> None:
    result = invoke("add-ref", project_dir, "林晚", two_faces(tmp_path / "pair.png"))
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "pair.png shows 2 faces" in result.stderr
    assert references(project_dir, "林晚") == []
    assert list((project_dir / "refs").iterdir()) == []


def test_force_keeps_it_and_the_table_counts_usable_references(project_dir: Path, tmp_path: Path) -> None:
    forced = invoke("add-ref", project_dir, "林晚", flat(tmp_path / "plain.png"), "--force")
    assert forced.exit_code == 0, forced.output
    assert "not used for identity" in forced.stderr
    assert invoke("add-ref", project_dir, "林晚", FACES / "obama2.jpg").exit_code == 0
    assert [(r["faces"], r["usable"]) for r in references(project_dir, "林晚")] == [(0, False), (1, True)]
    assert "2 (1 usable)" in invoke("characters", project_dir).stdout


def test_without_the_face_model_add_ref_says_how_to_install_it(
    project_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import shotcraft.ranking.identity as identity

    monkeypatch.setattr(identity, "missing_reason", lambda: "dlib is not installed")
    result = invoke("add-ref", project_dir, "顾言", flat(tmp_path / "plain.png"))
    assert result.exit_code == 0, result.output
    assert "pip install 'shotcraft[identity]'" in result.stderr
    [ref] = references(project_dir, "顾言")
    assert ref["faces"] is None and ref["usable"] is False


def test_add_ref_needs_an_image_or_a_take(project_dir: Path) -> None:
    assert invoke("add-ref", project_dir, "林晚").exit_code == 2
    assert invoke("add-ref", project_dir, "林晚", FACES / "obama.jpg", "--take", 1).exit_code == 2


def test_a_character_sheet_is_drawn_listed_and_a_take_made_a_reference(project_dir: Path) -> None:
    assert invoke("add-ref", project_dir, "林晚", FACES / "obama.jpg").exit_code == 0
    drawn = invoke("render", project_dir, "--character", "林晚", "--takes", 2)
    assert drawn.exit_code == 0, drawn.output
    assert "drew 2 takes" in drawn.stdout
    listed = json.loads(invoke("takes", project_dir, "--character", "林晚", "--json").stdout)
    assert len(listed) == 2
    assert json.loads(invoke("takes", project_dir, "SHEET-林晚", "--json").stdout) == listed
    assert "SHEET-" not in invoke("shots", project_dir, "--json").stdout
    added = invoke("add-ref", project_dir, "林晚", "--take", 2)
    assert added.exit_code == 0, added.output
    assert [r["usable"] for r in references(project_dir, "林晚")] == [True, True]


def test_a_sheet_on_an_engine_without_stills_is_refused(
    project_dir: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from shotcraft.engine import registry
    from shotcraft.engine.previz import PrevizEngine
    from shotcraft.engine.protocol import Capabilities
    from shotcraft.shots.models import TakeKind

    class VideoOnly(PrevizEngine):  # kling draws stills now; an engine that cannot
        name = "video-only"

        def capabilities(self, kind: TakeKind = TakeKind.VIDEO) -> Capabilities:
            return super().capabilities(kind).model_copy(update={"keyframes": False})

    with added(registry.ENGINES, "video-only", VideoOnly):  # as if installed
        result = invoke("render", project_dir, "--character", "林晚", "--engine", "video-only")
        assert result.exit_code == 1
        assert "video-only cannot draw stills" in result.stderr
        listed = invoke("takes", project_dir, "--character", "林晚")
        assert listed.exit_code == 1 and "林晚 has no character sheet yet" in listed.stderr


def test_add_ref_of_a_take_not_drawn_names_the_sheet(project_dir: Path) -> None:
    result = invoke("add-ref", project_dir, "顾言", "--take", 3)
    assert result.exit_code == 1
    assert "SHEET-顾言" in result.stderr and "render DIR --character 顾言" in result.stderr
