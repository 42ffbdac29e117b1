"""剧本 layouts seen in real scripts that may not be copied here (see tests/data/scripts/SOURCES.md):
each is written anew, in our own words, in the layout the real script uses."""

from __future__ import annotations

import pytest

from shotcraft.shots.models import DialogueMode
from shotcraft.storyboard import breakdown, parse_script
from shotcraft.storyboard.juben import parse_juben
from shotcraft.storyboard.script import ElementKind, Script


def scenes(script: Script) -> list:
    return [sc for ep in script.episodes for sc in ep.scenes]


def lines(script: Script) -> list[tuple[str | None, str | None, DialogueMode | None, str]]:
    return [(el.speaker, el.parenthetical, el.mode, el.text) for sc in scenes(script)
            for el in sc.elements if el.kind is ElementKind.DIALOGUE]


def test_dash_scene_heading_with_comma_separated_time_place_and_dark_for_night():
    # storybroad 剧本.txt: "1—1场景：日，外，天兵校场", "25—1场景：暗，内，…", cast "人：…"
    script = parse_juben("第一集\n1—1场景：日，外，北门城楼\n人：阿山，小梅，众卫兵\n△风起。\n"
                         "阿山（低声）：走。\n1—2场景：暗，内，地窖\n人：小梅\n小梅：谁在那里？\n"
                         "第二集\n2—1场景：日，内外，集市\n人：阿山\n△人来人往。\n")
    found = [(sc.number, sc.time, sc.interior, sc.location, sc.characters) for sc in scenes(script)]
    assert found == [("1-1", "日", False, "北门城楼", ["阿山", "小梅", "众卫兵"]),
                     ("1-2", "暗", True, "地窖", ["小梅"]),
                     ("2-1", "日", None, "集市", ["阿山"])]
    assert {sp for sp, *_ in lines(script)} == {"阿山", "小梅"}  # 人： is a cast line, not a speaker


def test_action_marked_scene_heading_is_still_a_heading():
    script = parse_juben("1—1场景：日，外，码头\n△船靠岸。\n△1—2场景：夜，外，码头\n人：阿山\n阿山：到了。\n")
    assert [sc.number for sc in scenes(script)] == ["1-1", "1-2"]
    assert scenes(script)[1].characters == ["阿山"]


def test_kangxi_radical_zero_width_spaces_increment_sign_and_entities():
    # storybroad 绝境先知: "场1-1 ⽇ 内 …" (U+2F47), a zero-width space after every line, ∆ beside △
    text = ("《试》\u200b\n第1集.开场\u200b\n场1-1 \u2f47 内 候机厅 \u200b\n人物：阿山、小梅\u200b\n"
            "\u2206阿山看表。\u200b\n△小梅跑来。\n小梅：&quot;晚了！&quot;\u200b\n")
    script = parse_script(text)
    [scene] = scenes(script)
    assert (scene.number, scene.time, scene.interior, scene.location) == ("1-1", "日", True, "候机厅")
    assert [el.text for el in scene.elements] == ["阿山看表。", "小梅跑来。", '"晚了！"']
    assert script.reading is not None
    assert (script.reading.compatibility, script.reading.zero_width, script.reading.html_entities) == (
        1, 6, 2)


def test_speaker_followed_by_a_manner_is_the_known_character():
    # 绝境先知: "沈乐着急：…", "周丽阴阳怪气：…", "丁蕊走来：…", "沈乐惊喜OS：…"
    script = parse_juben("1-1 日 内 车厢\n人物：阿山、小梅、老周\n阿山：开门。\n阿山着急：快开门！\n"
                         "小梅阴阳怪气：急什么。\n老周走来：都别吵。\n阿山惊喜OS：有救了。\n"
                         "阿山：走吧。\n")
    assert lines(script) == [
        ("阿山", None, None, "开门。"), ("阿山", "着急", None, "快开门！"),
        ("小梅", "阴阳怪气", None, "急什么。"), ("老周", "走来", None, "都别吵。"),
        ("阿山", "惊喜", DialogueMode.OS, "有救了。"), ("阿山", None, None, "走吧。")]
    assert [c.name for c in breakdown(script).characters] == ["阿山", "小梅", "老周"]


@pytest.mark.parametrize("speaker", ["卫兵甲", "阿山父", "阿山的母亲", "小梅同学", "卫兵们"])
def test_a_name_made_from_another_stays_a_name_of_its_own(speaker):
    script = parse_juben(f"1-1 日 内 车厢\n人物：阿山、小梅、卫兵\n{speaker}：站住。\n{speaker}：站住！\n")
    assert {sp for sp, *_ in lines(script)} == {speaker}


def test_system_voice_and_broadcast_are_voices_without_a_face():
    script = parse_juben("1-1 日 内 车厢\n人物：阿山\n系统音：（机械音）任务开始。\n广播：列车即将到站。\n"
                         "阿山（内心OS）：又来了。\n")
    assert [(sp, mode) for sp, _, mode, _ in lines(script)] == [
        ("系统音", None), ("广播", None), ("阿山", DialogueMode.OS)]
    board = breakdown(script)
    assert [c.name for c in board.characters] == ["阿山"]
    voice_shots = [shot for shot in board.shots() if shot.dialogue
                   and shot.dialogue[0].speaker in ("系统音", "广播")]
    assert voice_shots and all(shot.characters == [] for shot in voice_shots)


def test_writer_notes_in_brackets_are_notes_of_their_kind_never_dialogue():
    # 绝境先知: 【镜头语言：…】 【音效：…】 on one line, a note inside an action, a bracketed action
    script = parse_juben("1-1 日 内 车厢\n【镜头语言：俯拍车厢。】 【音效：警报声】\n"
                         "△车身一震！ 【音效：金属撕裂声】\n【阿山视角：窗外的火光】\n"
                         "【黑暗中，阿山睁开眼睛，发现自己回到了车厢。】\n【特效：火光闪烁】，越来越亮！\n"
                         "【字幕：三年前】\n")
    found = [(el.kind, el.note_kind, el.text) for el in scenes(script)[0].elements]
    assert found == [
        (ElementKind.NOTE, "camera", "镜头语言：俯拍车厢。"), (ElementKind.NOTE, "sound", "音效：警报声"),
        (ElementKind.ACTION, None, "车身一震！"), (ElementKind.NOTE, "sound", "音效：金属撕裂声"),
        (ElementKind.NOTE, "camera", "阿山视角：窗外的火光"),
        (ElementKind.ACTION, None, "黑暗中，阿山睁开眼睛，发现自己回到了车厢。"),
        (ElementKind.NOTE, "effect", "特效：火光闪烁"), (ElementKind.ACTION, None, "越来越亮！"),
        (ElementKind.NOTE, "subtitle", "字幕：三年前")]


def test_marked_line_holding_a_known_characters_speech_is_that_speech():
    # storybroad 剧本2: "场 1-1 日 外 …", "∆傅子岸：（惊愕）…", "∆字幕浮现：…", "∆女声（画外音）：…"
    script = parse_juben("场 1-1 日 外 小道 - 公园\n人物：阿山\n∆阿山：（惊愕）谁？\n∆字幕浮现：阿山\n"
                         "∆女声（画外音）：是我。\n∆他说：明天见。\n")
    [scene] = scenes(script)
    assert scene.location == "小道 - 公园"
    found = [(el.kind, el.speaker, el.text) for el in scene.elements]
    assert found == [(ElementKind.DIALOGUE, "阿山", "谁？"), (ElementKind.NOTE, None, "字幕浮现：阿山"),
                     (ElementKind.DIALOGUE, "女声", "是我。"), (ElementKind.ACTION, None, "他说：明天见。")]


def test_numbered_word_headings_with_time_and_date():
    # FQYQC 201713Movie: "1.湖边 日", "2.实验室 日 2019.1.30", "12. 教室走廊 日2019.1.31"
    script = parse_juben("画外音：很久以前。\n1.湖边 日\nT（颓废）：唉。\n2.实验室 日 2019.1.30\n"
                         "T把便条撕下。\n12. 教室走廊 日2019.1.31\n1. 这不是场景\n")
    found = [(sc.number, sc.location, sc.time) for sc in scenes(script)]
    assert found == [(None, "", None), ("1", "湖边", "日"), ("2", "实验室", "日"), ("12", "教室走廊", "日")]
    assert scenes(script)[-1].elements[-1].text == "1. 这不是场景"


def test_heavenly_cast_block_numbered_entries_keep_appearance_apart():
    # storybroad 剧本.txt: 【人物小传】 1.名：biography / 外貌：… / 5. 名 / 核心身份：…
    script = parse_juben("《试》\n【人物小传】\n1.阿山：守门的兵，后来做了将军。\n外貌：高个，黑发，铁甲。\n\n"
                         "2. 小梅\n核心身份：城里的医女。\n形象：青衣，背药箱。\n【正文】\n第一集\n"
                         "1—1场景：日，外，城门\n人：阿山，小梅\n阿山：开门。\n")
    notes = {n.name: (n.description, n.appearance) for n in script.character_notes}
    assert notes == {"阿山": ("守门的兵，后来做了将军。", "高个，黑发，铁甲。"),
                     "小梅": ("城里的医女。", "青衣，背药箱。")}
    # only how they look reaches the bible's description (and so the prompts)
    assert {c.name: c.description for c in breakdown(script).characters} == {
        "阿山": "高个，黑发，铁甲。", "小梅": "青衣，背药箱。"}


def test_markdown_pipe_heading_and_bold_speakers():
    # huobao-drama's skill example: "## S01 | 内景 · 咖啡厅 | 黄昏"; chat exports: **名**（语气）：
    script = parse_juben("# 第 1 集\n## S01 | 内景 · 咖啡厅 | 黄昏\n**出场人物：** 阿山，小梅\n"
                         "△小梅推门。\n**小梅**（微笑）：等很久了吗？\n### 场1-2\n日 内 书房\n阿山：没有。\n")
    found = [(sc.number, sc.interior, sc.location, sc.time) for sc in scenes(script)]
    assert found == [("1", True, "咖啡厅", "黄昏"), ("1-2", True, "书房", "日")]
    assert scenes(script)[0].characters == ["阿山", "小梅"]
    assert lines(script) == [("小梅", "微笑", None, "等很久了吗？"), ("阿山", None, None, "没有。")]


def test_voice_marker_alone_takes_the_next_line():
    script = parse_juben("1-1 日 外 湖边\n【画外音】\n\n活着就好。\n△他走远。\n")
    assert lines(script) == [("画外音", None, DialogueMode.VO, "活着就好。")]


@pytest.mark.parametrize(("encoding", "named"), [("gbk", "GBK"), ("gb18030", "GBK"), ("utf-16", "UTF-16 LE"),
                                                 ("utf-16-le", "UTF-16 LE"), ("utf-16-be", "UTF-16 BE"),
                                                 ("utf-8-sig", "UTF-8 (BOM)")])
def test_chinese_encodings_are_detected_and_named(tmp_path, encoding, named):
    from shotcraft.storyboard import load_script

    path = tmp_path / "ep.txt"
    path.write_bytes("第1集\r\n1-1 日 内 药铺\r\n人物：阿山\r\n阿山：抓药。\r\n".encode(encoding))
    script = load_script(path)
    assert script.reading is not None
    assert (script.reading.encoding, script.reading.line_endings) == (named, "CRLF")
    assert lines(script) == [("阿山", None, None, "抓药。")]
