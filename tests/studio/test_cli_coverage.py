"""The coverage rules and the writer's own notes, each through the CLI on a script written for it:
`shotcraft import`, then `shotcraft shots --json` (and `characters --json`) read back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shotcraft.projects import Project
from tests.studio.conftest import invoke

# A director's two scenes, the way a 竖屏短剧 writer sets them down.
REBORN = """《重生之千金归来》

人物小传：
沈念：女，24岁，长发，一身红裙，前世被害死在订婚宴上，重生归来
陆景琛：男，28岁，黑色西装，陆氏集团继承人，冷面寡言

第1集 归来

1-1 夜 内 医院·VIP病房
人物：沈念、陆景琛
△【特写】心电监护仪的屏幕跳动，发出单调的滴滴声。
△沈念躺在病床上，眼神空洞。
沈念OS：我……回来了？
△陆景琛推门而入，手里拿着一份文件。
陆景琛：你醒了。
沈念：陆景琛，婚约作废。
陆景琛（一愣）：你说什么？
沈念：我说，婚约作废。
陆景琛：沈念，你别后悔。
沈念（冷笑）：我这辈子最后悔的，就是认识你。

1-2 日 外 别墅门口
人物：沈念、陆景琛、记者们
△（全景）别墅门口停满豪车，记者举着相机蜂拥而上。
△沈念一身红裙走下车，摘下墨镜，抬头看向二楼阳台。
【镜头语言：俯拍，缓慢推进】
△陆景琛站在阳台上，俯视众人。
△沈念从包里抽出婚书，当众撕成两半，扔在地上。
记者们：沈小姐，婚约真的取消了吗？
沈念：取消了。
△【空镜】城市的天际线，乌云压境。
"""


def import_script(tmp_path: Path, text: str, name: str = "reborn.txt") -> Path:
    folder = tmp_path / "proj"
    assert invoke("new", folder).exit_code == 0
    script = tmp_path / name
    script.write_text(text, encoding="utf-8")
    result = invoke("import", folder, script)
    assert result.exit_code == 0, result.output
    return folder


def board(folder: Path) -> list[dict[str, Any]]:
    """Every shot as `shots --json` gives it, in storyboard order, with its scene id."""
    result = invoke("shots", folder, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    return [{**shot, "scene": scene["id"]} for ep in data["episodes"]
            for scene in ep["scenes"] for shot in scene["shots"]]


def scene_shots(shots: list[dict[str, Any]], scene: str) -> list[dict[str, Any]]:
    return [s for s in shots if s["scene"] == scene and not (s["notes"] or "").startswith("hook")]


def carrying(shots: list[dict[str, Any]], words: str) -> dict[str, Any]:
    """The one shot (not the hook) whose action or line holds `words`."""
    found = [s for s in shots if not (s["notes"] or "").startswith("hook") and (
        words in (s["action"] or "") or any(words in d["text"] for d in s["dialogue"]))]
    assert len(found) == 1, [s["id"] for s in found]
    return found[0]


@pytest.fixture
def reborn(tmp_path: Path) -> list[dict[str, Any]]:
    return board(import_script(tmp_path, REBORN))


def test_establishing_wide_shows_only_who_is_there_when_the_scene_opens(reborn) -> None:
    [opening] = [s for s in scene_shots(reborn, "1-1") if s["kind"] == "establishing"]
    assert opening["characters"] == ["沈念"]  # 陆景琛 pushes the door open later
    assert opening["size"] == "WS"


def test_two_people_talking_get_a_two_shot_then_over_the_shoulder_coverage(reborn) -> None:
    lines = [s for s in scene_shots(reborn, "1-1") if s["dialogue"]]
    opening = carrying(reborn, "你醒了")
    assert (opening["kind"], opening["framing"]) == ("two_shot", "2S MS")
    assert opening["characters"] == ["陆景琛", "沈念"]
    over = carrying(reborn, "陆景琛，婚约作废")
    assert (over["kind"], over["characters"]) == ("ots", ["沈念", "陆景琛"])
    assert "over-the-shoulder" in over["prompt"] and "past 陆景琛's shoulder" in over["prompt"]
    assert {s["kind"] for s in lines} >= {"two_shot", "ots"}


def test_a_reaction_is_not_a_second_shot_of_the_same_face(reborn) -> None:
    shots = scene_shots(reborn, "1-1")
    assert [s for s in shots if s["kind"] == "reaction"] == []
    stunned = carrying(reborn, "你说什么")
    assert (stunned["characters"], stunned["size"], stunned["camera"]["move"]) == (
        ["陆景琛"], "CU", "dolly_in")
    singles = [s for s in shots if s["kind"] in ("dialogue", "action", "reaction", "ots")]
    for before, after in zip(shots, shots[1:], strict=False):
        if before in singles and after in singles and before["characters"][:1] == after["characters"][:1]:
            assert before["size"] != after["size"], (before["id"], after["id"])


def test_a_prop_beat_gets_an_insert_close_up_right_after_it(reborn) -> None:
    shots = scene_shots(reborn, "1-2")
    tear = carrying(reborn, "当众撕成两半")
    insert = shots[shots.index(tear) + 1]
    assert (insert["kind"], insert["framing"], insert["characters"]) == ("insert", "INS CU", [])
    assert "抽出婚书" in insert["action"]
    assert "hands and the object only, no faces" in insert["prompt"]


def test_a_walk_then_a_look_is_a_follow_and_a_tilt_up(reborn) -> None:
    shots = scene_shots(reborn, "1-2")
    walk = carrying(reborn, "走下车")
    look = carrying(reborn, "抬头看向二楼阳台")
    assert walk["camera"]["move"] == "truck_right" and walk["characters"] == ["沈念"]
    assert look["camera"]["move"] == "tilt_up"
    between = shots[shots.index(walk) + 1: shots.index(look)]
    assert [s["kind"] for s in between] == ["insert"]  # 摘下墨镜, the prop in her hand


def test_group_action_is_wide_and_handheld(reborn) -> None:
    crowd = carrying(reborn, "记者举着相机蜂拥而上")
    assert (crowd["size"], crowd["camera"]["move"]) == ("WS", "handheld")


def test_the_first_three_seconds_are_a_hook_not_the_slate_of_a_wide(reborn) -> None:
    first = reborn[0]
    assert first["kind"] != "establishing"
    assert first["duration_frames"] <= 90 and first["size"] == "CU"
    assert first["notes"].startswith("hook")
    # a flash-forward of a beat the scene plays later: 陆景琛 thrown by the broken engagement
    line = first["dialogue"][0]
    later = carrying(reborn, line["text"])
    assert later["scene"] == "1-1" and reborn.index(later) > 3  # played again in its place
    assert line["speaker"] == "陆景琛" and line["parenthetical"] == "一愣"


def test_the_writers_notes_set_the_shot_and_leave_prompts_and_captions(reborn) -> None:
    monitor = carrying(reborn, "心电监护仪")
    assert monitor["size"] == "CU"
    assert "【特写】" not in monitor["action"] and "特写" not in monitor["prompt"]
    assert monitor["action"].startswith("心电监护仪")
    crowd = carrying(reborn, "别墅门口停满豪车")
    assert crowd["size"] == "WS" and "（全景）" not in crowd["action"] + crowd["prompt"]
    balcony = carrying(reborn, "陆景琛站在阳台上")  # after a whole-line 【镜头语言：…】
    assert (balcony["angle"], balcony["camera"]["move"], balcony["camera"]["intensity"]) == (
        "high", "dolly_in", 0.3)
    assert "high-angle shot looking down" in balcony["prompt"]
    skyline = carrying(reborn, "城市的天际线")
    assert skyline["characters"] == [] and skyline["size"] == "WS"
    assert "no people" in skyline["prompt"] or "空镜" not in skyline["prompt"]
    assert "writer: 【空镜】" in skyline["notes"]


def test_inner_voice_is_a_closed_mouth_and_voice_over_never_shows_its_speaker(tmp_path: Path) -> None:
    text = """第1集

1-1 日 内 客厅
人物：林晓、王总
林晓OS：他到底想干什么？
王总：坐。
王总VO：从今天起，你就是我的助理。
"""
    shots = board(import_script(tmp_path, text))
    thought = carrying(shots, "他到底想干什么")
    assert thought["characters"] == ["林晓"]
    assert "林晓 silent with lips closed" in thought["prompt"] and "speaking" not in thought["prompt"]
    voice_over = carrying(shots, "从今天起")
    assert "王总" not in voice_over["characters"]
    assert "王总 heard off-screen" in voice_over["prompt"]


def test_only_appearance_reaches_prompts_and_the_bible_keeps_the_biography(tmp_path: Path) -> None:
    folder = import_script(tmp_path, REBORN)
    result = invoke("characters", folder, "--json")
    people = {c["name"]: c for c in json.loads(result.stdout)}
    assert people["沈念"]["appearance"] == "女，24岁，长发，一身红裙"
    assert people["沈念"]["biography"] == "前世被害死在订婚宴上，重生归来"
    prompts = " ".join(s["prompt"] for s in board(folder))
    assert "沈念 (女，24岁，长发，一身红裙)" in prompts
    assert "重生" not in prompts and "订婚宴" not in prompts and "继承人" not in prompts


def test_english_shot_notes_are_read_too(tmp_path: Path) -> None:
    text = """INT. KITCHEN - NIGHT

MARA stands at the sink (WIDE).

CLOSE ON: the ring on the counter.

JONAH
You kept it.
"""
    shots = board(import_script(tmp_path, text, "kitchen.fountain"))
    sink = carrying(shots, "stands at the sink")
    assert sink["size"] == "WS" and "(WIDE)" not in sink["action"]
    ring = carrying(shots, "the ring on the counter")
    assert ring["size"] == "CU" and not ring["action"].startswith("CLOSE ON")


def test_a_director_edit_survives_reimport_and_composes_the_prompt(tmp_path: Path) -> None:
    folder = import_script(tmp_path, REBORN)
    target = carrying(board(folder), "陆景琛，婚约作废")
    result = invoke("shot", folder, target["id"], "--size", "ECU", "--camera", "handheld")
    assert result.exit_code == 0, result.output
    assert invoke("import", folder, tmp_path / "reborn.txt").exit_code == 0
    again = carrying(board(folder), "陆景琛，婚约作废")
    assert (again["id"], again["size"], again["camera"]["move"]) == (target["id"], "ECU", "handheld")
    assert "extreme close-up" in again["prompt"] and "handheld camera" in again["prompt"]


# the 剧本 reader's own structures (a 人物小传 with 外貌：/性格： lines, 运镜： lines, notes inside
# a line, voices without a face) reaching the coverage and the prompts
READER = """【人物小传】
1.沈念：24岁，前世被害死在订婚宴上
外貌：长发，一身红裙
2.陆景琛：陆氏集团继承人
性格：冷面寡言
【正文】
第1集
1-1 日 外 别墅门口
人物：沈念、陆景琛
△沈念推开铁门【镜头语言：缓慢推进】走进花园。
运镜：跟拍
△陆景琛站在阳台上，俯视众人。
【镜头语言：情绪压抑】
系统音：任务开始。
众人：沈小姐回来了！
陆景琛：你回来做什么？
"""


def test_the_cast_blocks_appearance_lines_and_the_readers_camera_notes_are_used(tmp_path: Path) -> None:
    folder = import_script(tmp_path, READER)
    people = {c["name"]: c for c in json.loads(invoke("characters", folder, "--json").stdout)}
    # 外貌： is appearance and 性格： biography as written; the entry's own words are split
    assert (people["沈念"]["appearance"], people["沈念"]["biography"]) == (
        "24岁；长发，一身红裙", "前世被害死在订婚宴上")
    assert (people["陆景琛"]["appearance"], people["陆景琛"]["biography"]) == (
        None, "陆氏集团继承人；冷面寡言")
    shots = board(folder)
    prompts = " ".join(s["prompt"] for s in shots)
    assert "沈念 (24岁；长发，一身红裙)" in prompts
    assert not any(word in prompts for word in ("订婚宴", "继承人", "冷面"))
    # a note written inside the line sets that line's shot, and leaves its text and prompt
    gate = carrying(shots, "沈念推开铁门")
    assert (gate["camera"]["move"], gate["camera"]["intensity"]) == ("dolly_in", 0.3)
    assert gate["action"] == "沈念推开铁门走进花园。" and "镜头语言" not in gate["prompt"]
    assert "writer: 镜头语言：缓慢推进" in gate["notes"]
    # a 运镜： line sets the next shot (a look down would otherwise tilt down)
    balcony = carrying(shots, "陆景琛站在阳台上")
    assert balcony["camera"]["move"] == "truck_right" and "writer: 运镜：跟拍" in balcony["notes"]
    # a camera note that says nothing a shot has stays a note of the scene, on no shot
    assert not any("情绪压抑" in (s["notes"] or "") + s["prompt"] for s in shots)
    project = Project.open(folder)
    try:
        assert "镜头语言：情绪压抑" in project.storyboard().episodes[0].scenes[0].notes
    finally:
        project.close()
    # a voice without a face and a crowd are heard over the setting: nobody's face, no mouth
    for words in ("任务开始", "沈小姐回来了"):
        heard = carrying(shots, words)
        assert heard["characters"] == [] and heard["size"] in ("WS", "MS"), heard
        assert "speaking" not in heard["prompt"]


def test_in_a_group_only_the_first_pair_opens_on_a_two_shot(tmp_path: Path) -> None:
    # four people on a court: the room is shown once, each new pair then opens over the shoulder
    text = """第1集

1-1 日 外 篮球场
人物：马一花、陈茉莉、叶小玲、刘娜
马一花：今天投篮命中率必须过五十。
陈茉莉：这地儿太阳毒得能脱皮，你那手办都要晒化了。
叶小玲：根据紫外线强度，该模型涂料在两小时内会发生不可逆的褪色。
刘娜：你们别吵了，教导主任来了。
"""
    shots = board(import_script(tmp_path, text))
    kinds = [carrying(shots, words)["kind"] for words in ("命中率", "太阳毒", "紫外线", "教导主任")]
    assert kinds[0] == "two_shot" and "two_shot" not in kinds[1:]
    newcomer = carrying(shots, "紫外线")
    assert (newcomer["kind"], newcomer["characters"]) == ("ots", ["叶小玲", "陈茉莉"])


def test_a_line_of_camera_notes_alone_sets_the_next_shot_and_is_no_shot(tmp_path: Path) -> None:
    # JRMoive's layout: "镜头: 特写" and "运镜: 推镜" lines above the action they frame
    text = """第1集

1-1 夜 内 办公室
人物：小红
镜头: 特写
运镜: 推镜
动作: 小红轻轻推开门，手里拿着两杯热咖啡
"""
    shots = board(import_script(tmp_path, text))
    assert not any("镜头" in (s["action"] or "") for s in shots)
    door = carrying(shots, "小红轻轻推开门")
    assert (door["size"], door["camera"]["move"]) == ("CU", "dolly_in")
    assert "writer: 镜头: 特写 运镜: 推镜" in door["notes"]


def test_a_voice_over_the_setting_drifts_and_a_direction_without_a_subject_is_the_last_named(
        tmp_path: Path) -> None:
    text = """第1集

1-1 日 内 餐厅
人物：小明、小红
旁白：新的一天开始了。
△小明和小红坐在餐桌旁。
△边吃边聊，偶尔大笑。
"""
    shots = board(import_script(tmp_path, text))
    narration = carrying(shots, "新的一天")
    assert narration["characters"] == [] and narration["camera"]["move"] == "pan_right"
    assert narration["camera"]["intensity"] == 0.3
    # 边吃边聊 has no subject: the two the last action named are doing it
    assert carrying(shots, "边吃边聊")["characters"] == ["小明", "小红"]
