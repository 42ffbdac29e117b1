"""Prompts that say what the shot is: composed again whenever the spec changes, unless written
by hand; only a character's appearance reaches them."""

from __future__ import annotations

from pathlib import Path

from shotcraft.projects import Project
from shotcraft.shots.models import CameraMove, Move, ShotKind, ShotSize

LINE = "E01-S01-003"  # 顾言：你迟到了。


def test_editing_size_and_move_composes_the_prompt_again(project: Project) -> None:
    before = project.shot(LINE).prompt
    shot = project.update_shot(LINE, size=ShotSize.WS, camera=CameraMove(move=Move.HANDHELD))
    assert "wide shot" in shot.prompt and "handheld camera" in shot.prompt
    assert shot.prompt != before and not shot.prompt_by_hand
    assert project.shot(LINE).prompt == shot.prompt


def test_a_hand_written_prompt_is_kept_and_marked_until_auto_prompt(project: Project) -> None:
    project.update_shot(LINE, prompt="my own words, rain on glass")
    shot = project.update_shot(LINE, size=ShotSize.ECU)
    assert shot.prompt == "my own words, rain on glass" and shot.prompt_by_hand
    composed = project.update_shot(LINE, auto_prompt=True)
    assert not composed.prompt_by_hand and "extreme close-up" in composed.prompt


def test_reimport_composes_the_prompt_of_an_edited_shot_from_the_edit(
        project: Project, script_file: Path) -> None:
    project.update_shot(LINE, kind=ShotKind.OTS, size=ShotSize.CU, characters=["顾言", "林晚"])
    project.import_script(script_file)
    shot = project.shot(LINE)
    assert (shot.kind, shot.size) == (ShotKind.OTS, ShotSize.CU)
    assert "over-the-shoulder close-up, 顾言 facing the camera past 林晚's shoulder" in shot.prompt


def test_only_appearance_reaches_the_prompt_and_an_edit_of_it_does_at_once(
        project: Project) -> None:
    project.update_character("顾言", appearance="男，28岁，黑西装", biography="前世被害死在订婚宴上，重生归来")
    shot = project.shot(LINE)
    assert "顾言 (男，28岁，黑西装)" in shot.prompt
    assert "重生" not in shot.prompt and "订婚宴" not in shot.prompt
