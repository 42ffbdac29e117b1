"""build_request: a Shot becomes a RenderRequest checked against the engine's capabilities."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from shotcraft.engine.previz import PrevizEngine
from shotcraft.engine.request import build_request
from shotcraft.shots.errors import EngineError, SpecError
from shotcraft.shots.media import sha256_file
from shotcraft.shots.models import (
    CameraMove,
    DialogueLine,
    Keyframe,
    Move,
    Shot,
    ShotSize,
    TakeKind,
)
from shotcraft.storyboard.models import Character, Scene
from tests.engine.conftest import LimitedEngine, save_image


def shot(**overrides) -> Shot:
    values = {
        "id": "E01-S01-002", "episode": 1, "scene_id": "1-1", "order": 1, "size": ShotSize.CU,
        "camera": CameraMove(move=Move.PAN_LEFT, intensity=0.3), "duration_frames": 90,
        "characters": ["林夏"], "action": "林夏推门而入。",
        "dialogue": [DialogueLine(speaker="林夏", text="你骗我。")],
        "prompt": "close-up of Lin Xia", "negative_prompt": "blurry",
    }
    values.update(overrides)
    return Shot(**values)


SCENE = Scene(id="1-1", episode=1, number=1, heading="1-1 客厅 夜 内", location="客厅", time="夜", interior=True)


def build(s: Shot, project: Path, engine=None, **kw):
    args = {
        "engine": engine or PrevizEngine(), "kind": TakeKind.VIDEO, "seeds": [5, 6],
        "take_numbers": [1, 2], "width": 72, "height": 128, "fps": 30, "aspect": "9:16",
        "project_dir": project, "scene": SCENE,
    }
    args.update(kw)
    return build_request(s, **args)


def test_request_carries_the_shot_and_scene(tmp_path: Path) -> None:
    req = build(shot(), tmp_path)
    assert (req.shot_id, req.prompt, req.negative_prompt) == ("E01-S01-002", "close-up of Lin Xia", "blurry")
    assert (req.width, req.height, req.fps, req.num_frames, req.aspect) == (72, 128, 30, 90, "9:16")
    assert req.size is ShotSize.CU and req.camera.move is Move.PAN_LEFT
    assert req.dialogue[0].text == "你骗我。" and req.action == "林夏推门而入。"
    assert (req.location, req.time_of_day, req.interior) == ("客厅", "夜", True)
    assert [c.name for c in req.characters] == ["林夏"]
    assert req.seeds == [5, 6] and req.take_numbers == [1, 2] and req.downgrades == []


def test_empty_prompt_is_composed_from_the_shot(tmp_path: Path) -> None:
    req = build(shot(prompt=""), tmp_path)
    assert "CU" in req.prompt and "林夏" in req.prompt and "客厅" in req.prompt


def test_keyframe_takes_are_one_frame(tmp_path: Path) -> None:
    assert build(shot(), tmp_path, kind=TakeKind.KEYFRAME).num_frames == 1


@pytest.mark.parametrize(("seeds", "takes"), [([], []), ([1, 2], [1]), ([1, 2], [3, 3])])
def test_seeds_and_take_numbers_must_match(tmp_path: Path, seeds, takes) -> None:
    with pytest.raises(SpecError):
        build(shot(), tmp_path, seeds=seeds, take_numbers=takes)


def test_keyframe_paths_resolve_inside_the_project(tmp_path: Path) -> None:
    first = save_image(tmp_path / "keyframes" / "a.png", (200, 40, 40))
    last = save_image(tmp_path / "keyframes" / "b.png", (40, 40, 200))
    req = build(shot(first_keyframe=Keyframe(path="keyframes/a.png"), last_keyframe=Keyframe(path="keyframes/b.png")), tmp_path)
    assert req.first_frame == first.resolve() and req.last_frame == last.resolve()


def test_keyframe_escaping_the_project_is_refused(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    outside = save_image(tmp_path / "secret.png", (1, 2, 3))
    os.symlink(outside, project / "link.png")  # the path looks inside but resolves outside
    with pytest.raises(SpecError) as err:
        build(shot(first_keyframe=Keyframe(path="link.png")), project)
    assert err.value.field == "first_keyframe"
    assert "outside the project folder" in str(err.value)


def test_missing_keyframe_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="keyframes/gone.png"):
        build(shot(last_keyframe=Keyframe(path="keyframes/gone.png")), tmp_path)


def test_chained_shot_without_a_previous_pick_says_so(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as err:
        build(shot(first_keyframe=Keyframe(chain_previous=True)), tmp_path,
              previous_frame_missing="E01-S01-001 has no picked take yet")
    assert "shot E01-S01-002 chains from the previous shot, but E01-S01-001 has no picked take yet." in str(err.value)
    assert err.value.field == "first_keyframe"


def test_chained_shot_without_a_reason_does_not_guess_one(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as err:
        build(shot(first_keyframe=Keyframe(chain_previous=True)), tmp_path)
    assert "shot E01-S01-002 chains from the previous shot" in str(err.value)
    assert "picked take" not in str(err.value)


def test_chained_shot_starts_on_the_previous_last_frame(tmp_path: Path) -> None:
    previous = save_image(tmp_path / "media" / "prev-last.png", (10, 200, 10))
    req = build(shot(first_keyframe=Keyframe(chain_previous=True)), tmp_path, previous_last_frame=previous)
    assert req.first_frame == previous


def test_picked_keyframe_becomes_the_first_frame_of_video_takes_only(tmp_path: Path) -> None:
    picked = save_image(tmp_path / "media" / "kf.png", (10, 10, 200))
    assert build(shot(), tmp_path, picked_keyframe=picked).first_frame == picked
    assert build(shot(), tmp_path, picked_keyframe=picked, kind=TakeKind.KEYFRAME).first_frame is None
    explicit = save_image(tmp_path / "kf" / "mine.png", (99, 99, 99))
    req = build(shot(first_keyframe=Keyframe(path="kf/mine.png")), tmp_path, picked_keyframe=picked)
    assert req.first_frame == explicit.resolve()


def test_last_frame_the_engine_cannot_use_is_an_error_naming_the_engine(tmp_path: Path) -> None:
    save_image(tmp_path / "b.png", (40, 40, 200))
    s = shot(last_keyframe=Keyframe(path="b.png"))
    with pytest.raises(EngineError) as err:
        build(s, tmp_path, engine=LimitedEngine())
    assert str(err.value).startswith("limited cannot use a last frame;")
    req = build(s, tmp_path, engine=LimitedEngine(), allow_downgrade=True)
    assert req.last_frame is None
    assert req.downgrades == ["last keyframe ignored: limited cannot use a last frame"]


def test_first_frame_needs_image_to_video(tmp_path: Path) -> None:
    save_image(tmp_path / "a.png", (200, 40, 40))
    s = shot(first_keyframe=Keyframe(path="a.png"))
    with pytest.raises(EngineError, match="limited cannot start from a first keyframe"):
        build(s, tmp_path, engine=LimitedEngine())
    req = build(s, tmp_path, engine=LimitedEngine(), allow_downgrade=True)
    assert req.first_frame is None and "first keyframe ignored" in req.downgrades[0]
    assert build(s, tmp_path, engine=LimitedEngine(first_frame=True)).first_frame is not None


def test_unusable_picked_keyframe_is_dropped_quietly(tmp_path: Path) -> None:
    picked = save_image(tmp_path / "kf.png", (10, 10, 200))
    req = build(shot(), tmp_path, engine=LimitedEngine(), picked_keyframe=picked)
    assert req.first_frame is None
    assert req.downgrades == ["picked keyframe not used: limited cannot start from an image"]


def test_character_references_are_resolved_and_hashed(tmp_path: Path) -> None:
    ref = save_image(tmp_path / "refs" / "linxia.png", (220, 120, 90))
    bible = [Character(name="林夏", aliases=["夏夏"], description="red coat", references=["refs/linxia.png"])]
    req = build(shot(characters=["夏夏"]), tmp_path, characters=bible)
    (character,) = req.characters
    assert character.name == "林夏" and character.description == "red coat"
    assert character.references == [ref.resolve()]
    assert character.reference_hashes == [sha256_file(ref)]


def test_references_the_engine_cannot_use(tmp_path: Path) -> None:
    save_image(tmp_path / "refs" / "linxia.png", (220, 120, 90))
    bible = [Character(name="林夏", references=["refs/linxia.png"])]
    with pytest.raises(EngineError, match="limited cannot use character reference images"):
        build(shot(), tmp_path, engine=LimitedEngine(), characters=bible)
    req = build(shot(), tmp_path, engine=LimitedEngine(), characters=bible, allow_downgrade=True)
    assert req.characters[0].references == [] and req.characters[0].name == "林夏"
    assert req.downgrades == ["character references ignored: limited cannot use reference images"]


def test_reference_outside_the_project_is_refused(tmp_path: Path) -> None:
    project = tmp_path / "p"
    project.mkdir()
    save_image(tmp_path / "elsewhere.png", (1, 1, 1))
    bible = [Character(name="林夏", references=["../elsewhere.png"])]
    with pytest.raises(SpecError, match="outside the project folder"):
        build(shot(), project, characters=bible)


def test_unsupported_aspect_errors_or_moves_to_the_nearest(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="limited cannot render 1:1; use one of 9:16, 16:9"):
        build(shot(), tmp_path, engine=LimitedEngine(), aspect="1:1", width=1080, height=1080)
    req = build(shot(), tmp_path, engine=LimitedEngine(), aspect="3:4", width=1440, height=1920, allow_downgrade=True)
    assert (req.aspect, req.width, req.height) == ("9:16", 1080, 1920)
    assert req.downgrades == ["aspect 3:4 changed to 9:16: limited cannot render 3:4"]


def test_too_long_a_shot_is_clamped_with_a_downgrade(tmp_path: Path) -> None:
    req = build(shot(duration_frames=240), tmp_path, engine=LimitedEngine(max_seconds=5.0))
    assert req.num_frames == 150
    assert req.downgrades == ["duration cut to 150 frames (5 s): limited draws at most 5 s per take"]


def test_keyframe_takes_need_an_engine_that_draws_stills(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="limited cannot draw keyframe stills"):
        build(shot(), tmp_path, engine=LimitedEngine(), kind=TakeKind.KEYFRAME)


def test_image_only_engine_needs_a_first_frame(tmp_path: Path) -> None:
    engine = LimitedEngine(text_to_video=False, image_to_video=True)
    with pytest.raises(EngineError, match="limited needs a first frame for shot E01-S01-002"):
        build(shot(), tmp_path, engine=engine)
