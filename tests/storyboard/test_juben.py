"""The 剧本 parser: every syntax element, errors with file and line, and fuzzed scripts."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shotcraft.shots.errors import ScriptError
from shotcraft.shots.models import DialogueMode
from shotcraft.storyboard.juben import parse_juben
from shotcraft.storyboard.script import ElementKind, Script, ScriptFormat

EXAMPLE = Path(__file__).resolve().parents[2] / "src" / "shotcraft" / "examples" / "contract-bride.txt"


def only_scene(text: str):
    script = parse_juben(text)
    assert len(script.episodes) == 1 and len(script.episodes[0].scenes) == 1
    return script.episodes[0].scenes[0]


def elements(text: str):
    return only_scene("1-1 日 内 办公室\n" + text).elements


def one(text: str):
    els = elements(text)
    assert len(els) == 1, els
    return els[0]


# -- the sample script (counted by hand from the file) ------------------------------------


def test_example_counts_match_the_script_as_written():
    script = parse_juben(EXAMPLE.read_text(encoding="utf-8"), path=str(EXAMPLE))
    assert script.format == ScriptFormat.JUBEN and script.language == "zh"
    assert script.title == "契约新娘"
    assert script.title_page == {"author": "苏小夏", "genre": "都市/甜宠/霸总"}
    assert [(ep.number, ep.title) for ep in script.episodes] == [(1, "契约"), (2, "新婚夜")]
    assert [len(ep.scenes) for ep in script.episodes] == [3, 2]
    assert [sc.number for ep in script.episodes for sc in ep.scenes] == [
        "1-1", "1-2", "1-3", "2-1", "2-2"]  # fmt: skip
    dialogue = [el for ep in script.episodes for sc in ep.scenes for el in sc.elements
                if el.kind is ElementKind.DIALOGUE]  # fmt: skip
    assert script.dialogue_count() == len(dialogue) == 24
    assert script.action_count() == 16
    assert {el.speaker for el in dialogue} == {"秘书", "顾言", "林晚晚", "林父", "旁白", "苏曼", "记者们"}
    modes = [(el.speaker, el.mode) for el in dialogue if el.mode]
    assert modes == [("林晚晚", DialogueMode.OS), ("旁白", DialogueMode.VO),
                     ("林晚晚", DialogueMode.OS), ("顾言", DialogueMode.OS),
                     ("林晚晚", DialogueMode.OS), ("苏曼", DialogueMode.VO)]  # fmt: skip
    notes = [el.text for ep in script.episodes for sc in ep.scenes for el in sc.elements
             if el.kind is ElementKind.NOTE]  # fmt: skip
    assert notes == ["闪回", "闪回结束", "字幕：三天后", "第二集完"]
    assert [n.name for n in script.character_notes] == ["顾言", "林晚晚", "苏曼", "林父"]
    assert script.character_notes[3].description == "50岁，憔悴，拄着拐杖"
    first = script.episodes[0].scenes[0]
    assert (first.location, first.time, first.interior) == ("顾氏集团·总裁办公室", "日", True)
    assert first.characters == ["顾言", "林晚晚", "秘书"]


# -- episode headers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "number", "title"),
    [
        ("第1集", 1, None),
        ("第二集", 2, None),
        ("第十二集", 12, None),
        ("第二十一集", 21, None),
        ("第一百零五集", 105, None),
        ("第１２集", 12, None),
        ("第 3 集", 3, None),
        ("【第3集】", 3, None),
        ("[第3集]", 3, None),
        ("第3集 重逢", 3, "重逢"),
        ("第3集：重逢", 3, "重逢"),
        ("第3集:重逢", 3, "重逢"),
        ("【第三集】重逢", 3, "重逢"),
        ("【第3集 重逢】", 3, "重逢"),
    ],
)
def test_episode_header_variants(header, number, title):
    script = parse_juben(f"{header}\n1-1 日 内 办公室\n△他来了。")
    assert [(ep.number, ep.title) for ep in script.episodes] == [(number, title)]


def test_script_without_episode_header_is_episode_one():
    script = parse_juben("1-1 日 内 办公室\n顾言：你好。\n1-2 夜 外 街道\n△雨。")
    assert [ep.number for ep in script.episodes] == [1]
    assert len(script.episodes[0].scenes) == 2


def test_prose_starting_with_di_ji_is_not_an_episode_header():
    els = elements("第一集团军开进了城。")
    assert [(e.kind, e.text) for e in els] == [(ElementKind.ACTION, "第一集团军开进了城。")]


# -- scene headers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "number", "time", "interior", "location"),
    [
        ("1-1 日 内 顾氏集团·总裁办公室", "1-1", "日", True, "顾氏集团·总裁办公室"),
        ("1-2 夜 外 街道", "1-2", "夜", False, "街道"),
        ("1-3 内 日 医院走廊", "1-3", "日", True, "医院走廊"),
        ("1-1、日、内、咖啡厅", "1-1", "日", True, "咖啡厅"),
        ("1-1，夜，外，天台", "1-1", "夜", False, "天台"),
        ("1-1.晨.外.公园", "1-1", "晨", False, "公园"),
        ("1-1\u3000黄昏\u3000外\u3000海边", "1-1", "黄昏", False, "海边"),
        ("1－1 傍晚 内外 车内", "1-1", "傍晚", None, "车内"),
        ("１-２ 日/内 医院", "1-2", "日", True, "医院"),
        ("1-1 日内 医院", "1-1", "日", True, "医院"),
        ("1-1 顾氏集团 大堂 日 内", "1-1", "日", True, "顾氏集团 大堂"),
        ("1-1 咖啡厅", "1-1", None, None, "咖啡厅"),
        ("1-1夜 外 街道", "1-1", "夜", False, "街道"),
        ("场1", "1", None, None, ""),
        ("第1场", "1", None, None, ""),
        ("场1：医院", "1", None, None, "医院"),
        ("场景2 夜 外 天台", "2", "夜", False, "天台"),
        ("第三场 清晨 内 卧室", "3", "清晨", True, "卧室"),
        ("【1-1 日 内 办公室】", "1-1", "日", True, "办公室"),
    ],
)
def test_scene_header_variants(header, number, time, interior, location):
    scene = only_scene(f"{header}\n△他来了。")
    assert (scene.number, scene.time, scene.interior, scene.location) == (
        number, time, interior, location)  # fmt: skip
    assert [e.text for e in scene.elements] == ["他来了。"]
    assert scene.heading == header.strip("【】")


def test_action_starting_with_a_number_range_is_not_a_scene_header():
    assert [e.kind for e in elements("3-5个人走进来。")] == [ElementKind.ACTION]


def test_time_and_place_lines_fill_in_a_bare_scene_header():
    scene = only_scene("场1\n时间：夜\n地点：天台\n△风很大。")
    assert (scene.time, scene.location) == ("夜", "天台")
    assert [e.text for e in scene.elements] == ["风很大。"]


# -- characters ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    ["人物：顾言、林晚晚、秘书", "人物:顾言，林晚晚，秘书", "人物：顾言 林晚晚\u3000秘书",
     "人物：顾言/林晚晚,秘书", "出场人物：顾言、林晚晚、秘书"],
)  # fmt: skip
def test_scene_character_list_separators(line):
    assert only_scene(f"1-1 日 内 办公室\n{line}").characters == ["顾言", "林晚晚", "秘书"]


def test_character_descriptions_in_the_list_become_notes():
    script = parse_juben("1-1 日 内 办公室\n人物：顾言（28岁，霸道总裁）、林晚晚(23岁)、秘书\n△静。")
    assert script.episodes[0].scenes[0].characters == ["顾言", "林晚晚", "秘书"]
    notes = [(n.name, n.description, n.line) for n in script.character_notes]
    assert notes == [("顾言", "28岁，霸道总裁", 2), ("林晚晚", "23岁", 2)]


def test_introduction_in_an_action_line_becomes_a_note():
    script = parse_juben("1-1 日 内 办公室\n人物：顾言\n△顾言（28岁，冷峻）推门而入。\n"
                         "△门外，陈默（30岁，助理）探头。")  # fmt: skip
    assert [(n.name, n.description) for n in script.character_notes] == [
        ("顾言", "28岁，冷峻"), ("陈默", "30岁，助理")]  # fmt: skip
    assert script.action_count() == 2


def test_cast_block_before_the_first_episode_gives_notes_not_dialogue():
    text = ("剧名：契约新娘\n人物表\n顾言：28岁，顾氏集团总裁，冷峻\n林晚晚（23岁）设计师\n"
            "苏曼 26岁，红裙\n\n第1集\n1-1 日 内 办公室\n顾言：签了它。")  # fmt: skip
    script = parse_juben(text)
    assert script.title == "契约新娘"
    assert [(n.name, n.description, n.line) for n in script.character_notes] == [
        ("顾言", "28岁，顾氏集团总裁，冷峻", 3), ("林晚晚", "23岁，设计师", 4),
        ("苏曼", "26岁，红裙", 5)]  # fmt: skip
    assert script.dialogue_count() == 1


def test_cast_description_running_onto_the_next_line_stays_with_its_character():
    script = parse_juben("【人物介绍】\n顾言：28岁，顾氏集团总裁，\n冷峻寡言。\n1-1 日 内 办公室\n△静。")
    assert [(n.name, n.description) for n in script.character_notes] == [
        ("顾言", "28岁，顾氏集团总裁，冷峻寡言。")]  # fmt: skip
    assert "synopsis" not in script.title_page


def test_synopsis_lines_before_the_story_go_to_the_title_page():
    script = parse_juben("《契约新娘》\n故事梗概：落魄千金签下契约。\n一年后，真相大白。\n第1集\n场1\n△开场。")
    assert script.title == "契约新娘"
    assert script.title_page["synopsis"] == "落魄千金签下契约。\n一年后，真相大白。"
    assert script.action_count() == 1


# -- dialogue -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "speaker", "parenthetical", "mode", "text"),
    [
        ("顾言：你也配？", "顾言", None, None, "你也配？"),
        ("顾言:你也配？", "顾言", None, None, "你也配？"),
        ("顾言（冷笑）：你也配？", "顾言", "冷笑", None, "你也配？"),
        ("顾言(冷笑):你也配？", "顾言", "冷笑", None, "你也配？"),
        ("顾言（冷笑):你也配？", "顾言", "冷笑", None, "你也配？"),
        ("顾言：（冷笑）你也配？", "顾言", "冷笑", None, "你也配？"),
        ("顾言OS：你也配？", "顾言", None, DialogueMode.OS, "你也配？"),
        ("顾言 OS:你也配？", "顾言", None, DialogueMode.OS, "你也配？"),
        ("顾言（OS）：你也配？", "顾言", None, DialogueMode.OS, "你也配？"),
        ("顾言(os)：你也配？", "顾言", None, DialogueMode.OS, "你也配？"),
        ("顾言（ＯＳ）：你也配？", "顾言", None, DialogueMode.OS, "你也配？"),
        ("顾言（内心）：你也配？", "顾言", None, DialogueMode.OS, "你也配？"),
        ("顾言（心声）：你也配？", "顾言", None, DialogueMode.OS, "你也配？"),
        ("顾言VO：你也配？", "顾言", None, DialogueMode.VO, "你也配？"),
        ("顾言（VO）：你也配？", "顾言", None, DialogueMode.VO, "你也配？"),
        ("顾言（画外音）：你也配？", "顾言", None, DialogueMode.VO, "你也配？"),
        ("旁白：三年后。", "旁白", None, DialogueMode.VO, "三年后。"),
        ("林晚晚（OS，咬牙）：忍住。", "林晚晚", "咬牙", DialogueMode.OS, "忍住。"),
        ("林晚晚（冷笑）（VO）：忍住。", "林晚晚", "冷笑", DialogueMode.VO, "忍住。"),
        ("约翰·史密斯：Hello.", "约翰·史密斯", None, None, "Hello."),
        ("顾言：时间：三点。", "顾言", None, None, "时间：三点。"),
        ("BOSS：走吧。", "BOSS", None, None, "走吧。"),
        ("Leo VO: hi.", "Leo", None, DialogueMode.VO, "hi."),
    ],
)
def test_dialogue_variants(line, speaker, parenthetical, mode, text):
    el = one(line)
    assert el.kind is ElementKind.DIALOGUE
    assert (el.speaker, el.parenthetical, el.mode, el.text) == (speaker, parenthetical, mode, text)
    # the cue as written: everything before the colon that ends it
    assert line.startswith(el.speaker_cue) and line[len(el.speaker_cue)] in "：:"
    assert el.line == 2


@pytest.mark.parametrize(
    "line",
    ["△他说：明天见。", "▲他说：明天见。", "※他说：明天见。", "他说：明天见。",
     "他转过身来冷冷地看着她说道：明天见。", "门开了，他说：明天见。", "顾言，林晚晚：明天见。"],
)  # fmt: skip
def test_colon_lines_that_are_not_cues_stay_action(line):
    el = one(line)
    assert el.kind is ElementKind.ACTION
    assert el.text == line.lstrip("△▲※")


def test_cue_with_its_line_below_takes_that_line():
    el = one("顾言（冷笑）：\n你也配？")
    assert (el.kind, el.speaker, el.parenthetical, el.text, el.line) == (
        ElementKind.DIALOGUE, "顾言", "冷笑", "你也配？", 2)  # fmt: skip


def test_speech_ending_in_a_comma_continues_on_the_next_line():
    els = elements("顾言：我告诉你，\n这份合同你签也得签。\n他转身离开。")
    assert [(e.kind, e.text) for e in els] == [
        (ElementKind.DIALOGUE, "我告诉你，这份合同你签也得签。"),
        (ElementKind.ACTION, "他转身离开。")]  # fmt: skip


@pytest.mark.parametrize("speech", ["顾言：签了它。", "顾言：我是来谈设计稿的——", "顾言：签了它"])
def test_plain_line_after_finished_or_broken_off_speech_is_action(speech):
    els = elements(f"{speech}\n林晚晚低头看着合同。")
    assert [e.kind for e in els] == [ElementKind.DIALOGUE, ElementKind.ACTION]
    assert els[0].text == speech.split("：", 1)[1]


# -- markers, separators, line endings ----------------------------------------------------


@pytest.mark.parametrize(
    ("line", "kind", "text"),
    [
        ("【闪回】", ElementKind.NOTE, "闪回"),
        ("【闪回结束】", ElementKind.NOTE, "闪回结束"),
        ("【字幕：三年后】", ElementKind.NOTE, "字幕：三年后"),
        ("字幕：三年后", ElementKind.NOTE, "字幕：三年后"),
        ("（闪回）", ElementKind.NOTE, "闪回"),
        ("【转场】", ElementKind.TRANSITION, "转场"),
        ("[转场]", ElementKind.TRANSITION, "转场"),
        ("【黑屏】", ElementKind.TRANSITION, "黑屏"),
        ("转场：三年后", ElementKind.TRANSITION, "转场：三年后"),
        ("（本集完）", ElementKind.NOTE, "本集完"),
        ("特写：顾言的手。", ElementKind.ACTION, "特写：顾言的手。"),
        ("女孩站在雨里。", ElementKind.ACTION, "女孩站在雨里。"),
        ("（女孩站在雨里）", ElementKind.ACTION, "（女孩站在雨里）"),
    ],
)
def test_markers_and_keyword_lines(line, kind, text):
    el = one(line)
    assert (el.kind, el.text) == (kind, text)


def test_blank_and_separator_lines_are_ignored():
    els = elements("\n——\n***\n-----\n\u3000\n△雨。\n============\n")
    assert [(e.text, e.line) for e in els] == [("雨。", 7)]


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_crlf_cr_and_bom_parse_like_lf(newline):
    text = EXAMPLE.read_text(encoding="utf-8")
    expected = parse_juben(text)
    assert parse_juben("\ufeff" + text.replace("\n", newline)) == expected


def test_dialogue_before_any_header_goes_into_an_implicit_scene():
    script = parse_juben("顾言：你好。\n△她笑了。\n第1集\n1-1 日 内 办公室\n顾言：再见。")
    assert [ep.number for ep in script.episodes] == [1]
    implicit, explicit = script.episodes[0].scenes
    assert (implicit.number, implicit.heading, implicit.line) == (None, "", 1)
    assert [e.text for e in implicit.elements] == ["你好。", "她笑了。"]
    assert explicit.number == "1-1"


# -- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("", 1, "empty"),
        ("\ufeff \n\u3000\n\r\n", 1, "empty"),
        ("《契约新娘》\n一个故事。", 2, "no scene"),
        ("第1集\n\n第2集", 3, "no scene"),
        ("第十十集\n1-1 日 内 办公室", 1, "episode number"),
        ("第0集\n1-1 日 内 办公室", 1, "episode numbers start at 1"),
        ("第1集\n1-1 日 内 办公室\n△雨。\n第一集\n1-1 日 内 街道", 4, "episode 1 appears twice"),
        ("1-1 日 内 办公室\n△雨。\n1-1 夜 外 街道", 3, "scene 1-1 appears twice"),
        ("1-1 日 夜 办公室", 1, "two times of day"),
        ("第1集\n第十十场 日 内 办公室", 2, "scene number"),
        ("1-1 日 内 办公室\n顾言：\n△他走了。", 2, "no line"),
        ("1-1 日 内 办公室\n顾言（冷笑）：", 2, "no line"),
        ("1-1 日 内\x00 办公室", 1, "binary"),
    ],
)
def test_malformed_scripts_name_the_file_and_line(text, line, words):
    with pytest.raises(ScriptError) as info:
        parse_juben(text, path="ep.txt")
    err = info.value
    assert (err.file, err.line) == ("ep.txt", line)
    assert str(err).startswith(f"ep.txt, line {line}: ")
    assert words in str(err)


# -- fuzzing ------------------------------------------------------------------------------

NAMES = ["顾言", "林晚晚", "秘书", "苏曼", "林父", "记者们", "约翰·史密斯", "Amy姐"]
SPEECH = st.text(
    alphabet="我你他的了是不在有人这中大为上个国到说们和地也子时道出要就下得可", min_size=1,
    max_size=12,
).map(lambda s: s + "。")  # fmt: skip
SPEECH_WITH_COLON = st.tuples(SPEECH, SPEECH).map(lambda p: f"{p[0][:-1]}：{p[1]}")


@st.composite
def generated_script(draw):
    """A well-formed script plus the (line, speaker, text) of every dialogue line in it."""
    lines: list[str] = []
    expected: list[tuple[int, str, str]] = []
    for episode in range(1, draw(st.integers(1, 3)) + 1):
        lines.append(draw(st.sampled_from([f"第{episode}集", f"【第{episode}集】",
                                           f"第{'一二三'[episode - 1]}集：标题"])))  # fmt: skip
        for scene in range(1, draw(st.integers(1, 3)) + 1):
            lines.append(draw(st.sampled_from([f"{episode}-{scene} 日 内 办公室",
                                               f"{episode}-{scene}、夜、外、街道",
                                               f"{episode}-{scene} 内 晨 医院走廊"])))  # fmt: skip
            lines.append("人物：" + "、".join(draw(st.lists(st.sampled_from(NAMES), max_size=3))))
            for _ in range(draw(st.integers(0, 6))):
                kind = draw(st.sampled_from(["dialogue", "dialogue", "action", "marker", "blank"]))
                if kind == "dialogue":
                    name = draw(st.sampled_from(NAMES))
                    cue = name + draw(st.sampled_from(["", "（冷笑）", "(OS)", "OS", "（VO，低声）"]))
                    text = draw(st.one_of(SPEECH, SPEECH_WITH_COLON))
                    lines.append(cue + draw(st.sampled_from(["：", ":"])) + text)
                    expected.append((len(lines), name, text))
                elif kind == "action":
                    lines.append(draw(st.sampled_from(["△", "▲", ""])) + draw(SPEECH))
                elif kind == "marker":
                    lines.append(draw(st.sampled_from(["【闪回】", "【闪回结束】", "【转场】"])))
                else:
                    lines.append("")
    return "\n".join(lines), expected


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generated_script())
def test_each_dialogue_line_appears_exactly_once(case):
    text, expected = case
    script = parse_juben(text)
    found = [(el.line, el.speaker, el.text) for ep in script.episodes for sc in ep.scenes
             for el in sc.elements if el.kind is ElementKind.DIALOGUE]  # fmt: skip
    assert found == expected


EXAMPLE_LINES = EXAMPLE.read_text(encoding="utf-8").split("\n")
NOISE = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("【】：:（）()△▲第集场日夜内外、，。—-*1２三十 \u3000\t\r\n\ufeffOSVO")),
        st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF),
        st.characters(min_codepoint=32, max_codepoint=126),
    ),
    max_size=20,
)
MUTATION = st.one_of(
    st.tuples(st.just("delete"), st.integers(0, 200)),
    st.tuples(st.just("duplicate"), st.integers(0, 200)),
    st.tuples(st.just("swap"), st.integers(0, 200), st.integers(0, 200)),
    st.tuples(st.just("insert_line"), st.integers(0, 200), NOISE),
    st.tuples(st.just("insert_text"), st.integers(0, 200), st.integers(0, 40), NOISE),
)


def mutate(lines: list[str], mutations) -> str:
    lines = list(lines)
    for op, *args in mutations:
        if not lines:
            lines.append("")
        i = args[0] % len(lines)
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = args[1] % len(lines)
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "insert_line":
            lines.insert(i, args[1])
        else:
            at = args[1] % (len(lines[i]) + 1)
            lines[i] = lines[i][:at] + args[2] + lines[i][at:]
    return "\n".join(lines)


def check_outcome(text: str) -> Script | None:
    """Every input gives a Script or a ScriptError that points at a real line."""
    n_lines = len(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    try:
        script = parse_juben(text, path="fuzz.txt")
    except ScriptError as err:
        assert "internal parser error" not in str(err), err
        assert err.file == "fuzz.txt" and err.line is not None and 1 <= err.line <= n_lines
        return None
    assert any(ep.scenes for ep in script.episodes)
    source = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for ep in script.episodes:
        for sc in ep.scenes:
            for el in sc.elements:
                assert 1 <= el.line <= n_lines
                if el.kind is ElementKind.DIALOGUE:
                    assert el.speaker and el.speaker in source[el.line - 1]
    dialogue_lines = [el.line for ep in script.episodes for sc in ep.scenes
                      for el in sc.elements if el.kind is ElementKind.DIALOGUE]  # fmt: skip
    assert len(dialogue_lines) == len(set(dialogue_lines))
    return script


@settings(max_examples=700, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(MUTATION, min_size=1, max_size=8))
def test_mutated_example_gives_a_script_or_a_script_error(mutations):
    check_outcome(mutate(EXAMPLE_LINES, mutations))


@settings(max_examples=600, deadline=None)
@given(st.lists(NOISE, max_size=12).map("\n".join))
def test_random_text_gives_a_script_or_a_script_error(text):
    check_outcome(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_unicode_gives_a_script_or_a_script_error(text):
    check_outcome(text)
