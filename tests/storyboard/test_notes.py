"""The writer's own shot notes: what they set, and the text given back without them."""

from __future__ import annotations

import pytest

from shotcraft.shots.models import Move, ShotKind, ShotSize
from shotcraft.storyboard.appearance import split_description
from shotcraft.storyboard.notes import camera_note, is_camera_note, read_notes


@pytest.mark.parametrize(("text", "left", "size", "move", "kind", "angle"), [
    ("（全景）别墅门口停满豪车。", "别墅门口停满豪车。", ShotSize.WS, None, None, None),
    ("【特写】心电监护仪跳动。", "心电监护仪跳动。", ShotSize.CU, None, None, None),
    ("(近景)她低头。", "她低头。", ShotSize.MCU, None, None, None),
    ("【俯拍】【跟拍】沈念穿过人群。", "沈念穿过人群。", None, Move.TRUCK_RIGHT, None, "high"),
    ("大特写：眼泪滑落。", "眼泪滑落。", ShotSize.ECU, None, None, None),
    ("远景 山路蜿蜒。", "山路蜿蜒。", ShotSize.EWS, None, None, None),
    ("镜头：特写，手机屏幕亮起。", "手机屏幕亮起。", ShotSize.CU, None, None, None),
    ("镜头缓慢推进，顾言抬头。", "顾言抬头。", None, Move.DOLLY_IN, None, None),
    ("（过肩）陆景琛看着她。", "陆景琛看着她。", None, None, ShotKind.OTS, None),
    ("【插入】婚书的一角。", "婚书的一角。", ShotSize.CU, None, ShotKind.INSERT, None),
    ("CLOSE ON: the ring.", "the ring.", ShotSize.CU, None, None, None),
    ("Mara stands (WIDE) at the door.", "Mara stands at the door.", ShotSize.WS, None, None, None),
    ("[OVER THE SHOULDER] Jonah waits.", "Jonah waits.", None, None, ShotKind.OTS, None),
    ("(LOW ANGLE, TRACKING) Eli runs.", "Eli runs.", None, Move.TRUCK_RIGHT, None, "low"),
])
def test_a_note_sets_the_shot_and_leaves_the_text(text, left, size, move, kind, angle) -> None:
    notes = read_notes(text)
    assert notes.found and notes.text == left
    assert (notes.size, notes.move, notes.kind, notes.angle) == (size, move, kind, angle)


@pytest.mark.parametrize("text", [
    "沈念（26岁，红裙，妆容精致）推门而入。", "她（冷笑）说完就走。", "镜头前，她笑了。",
    "MS. Smith walks in.", "Insert the key and turn it.", "他推门而入。",
])
def test_brackets_and_words_that_are_not_notes_stay_as_written(text) -> None:
    notes = read_notes(text)
    assert not notes.found and notes.text == text


def test_speed_words_beside_a_move_set_its_intensity() -> None:
    assert read_notes("（全景，缓慢推进）人群散开。").intensity == 0.3
    assert read_notes("【快速拉远】他转身。").intensity == 0.8


def test_a_standalone_camera_note_is_read_whole_and_a_plain_note_is_not_one() -> None:
    note = camera_note("【镜头语言：俯拍，缓慢推进】")
    assert (note.angle, note.move, note.intensity) == ("high", Move.DOLLY_IN, 0.3)
    assert note.said == ("【镜头语言：俯拍，缓慢推进】",)
    assert is_camera_note("镜头语言：俯拍") and is_camera_note("特写") and is_camera_note("空镜")
    assert not is_camera_note("闪回") and not is_camera_note("字幕：三天后")
    assert not camera_note("转场").found


def test_an_empty_shot_note_clears_the_frame() -> None:
    notes = read_notes("【空镜】城市夜景。")
    assert notes.empty and notes.text == "城市夜景。"


@pytest.mark.parametrize(("note", "appearance", "biography"), [
    ("男，28岁，顾氏集团总裁，冷峻寡言，西装笔挺", "男，28岁，西装笔挺", "顾氏集团总裁，冷峻寡言"),
    ("女，24岁，长发，一身红裙，前世被害死在订婚宴上，重生归来", "女，24岁，长发，一身红裙",
     "前世被害死在订婚宴上，重生归来"),
    ("50岁，憔悴，拄着拐杖", "50岁，憔悴，拄着拐杖", None),
    ("她的女儿，留学美国", None, "她的女儿，留学美国"),
    ("40s, grey coat", "40s, grey coat", None),
    ("a retired detective, 60, wears a battered hat", "60, wears a battered hat", "a retired detective"),
])
def test_a_character_note_splits_into_appearance_and_biography(note, appearance, biography) -> None:
    assert split_description(note) == (appearance, biography)
