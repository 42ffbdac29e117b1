"""Real scripts other people wrote (tests/data/scripts, sources and licences in SOURCES.md) import
with the episodes, scenes and speakers counted by reading each file; Fountain's own samples
import with the scene and speaker counts other parsers publish for them."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from shotcraft.shots.models import DialogueMode
from shotcraft.storyboard import breakdown, load_script
from shotcraft.storyboard.script import ElementKind, Script

DATA = Path(__file__).resolve().parents[1] / "data" / "scripts"


def dialogue(script: Script) -> list:
    return [el for ep in script.episodes for sc in ep.scenes for el in sc.elements
            if el.kind is ElementKind.DIALOGUE]


def speakers(script: Script) -> Counter[str]:
    return Counter(el.speaker for el in dialogue(script))


def headings(script: Script) -> list[str]:
    return [sc.heading for ep in script.episodes for sc in ep.scenes if sc.heading]


def notes(script: Script) -> Counter[str]:
    return Counter(el.note_kind for ep in script.episodes for sc in ep.scenes for el in sc.elements
                   if el.kind is ElementKind.NOTE)


# -- 剧本 from AI short-drama tools ---------------------------------------------------------------


def test_moyin_gege_bold_markdown_headings_are_four_scenes_not_one():
    # **1-1 日 内 新沪市** … **1-4 夜 内 高速列车车厢**: one scene of 103 shots before
    script = load_script(DATA / "moyin-gege.md")
    board = breakdown(script)
    assert script.title == "哥哥"
    assert [(ep.number, ep.title) for ep in script.episodes] == [(1, "陨落与归途")]
    assert headings(script) == ["1-1 日 内 新沪市", "1-2 日 内 新沪市", "1-3 夜 外 新沪市",
                                "1-4 夜 内 高速列车车厢"]
    assert speakers(script) == {"林星野": 18, "陆天擎": 12, "苏晓": 6, "堂弟": 1, "广播": 1}
    assert notes(script) == {"subtitle": 4}  # 【字幕：…】 cards, never dialogue
    # the **人物小传：** block is the cast, not four speeches; 广播 is a voice without a face
    assert [n.name for n in script.character_notes] == ["林星野", "陆天擎", "苏晓", "老陈"]
    assert [c.name for c in board.characters] == ["林星野", "苏晓", "陆天擎", "堂弟", "老陈"]
    assert max(len(sc.shots) for ep in board.episodes for sc in ep.scenes) <= 40


def test_moyin_guanlan_heading_and_cast_on_one_line_and_an_inline_cast_block():
    script = load_script(DATA / "moyin-guanlan.txt")
    scenes = [sc for ep in script.episodes for sc in ep.scenes]
    assert [(ep.number, ep.title) for ep in script.episodes] == [(1, "手办血案")]
    assert [(sc.number, sc.time, sc.interior, sc.location) for sc in scenes] == [
        ("1-1", "日", False, "乡村公路/大巴车"), ("1-2", "日", False, "中学操场"),
        ("1-3", "日", False, "操场边缘树荫"), ("1-4", "日", False, "操场篮球架下"),
        ("1-5", "日", False, "操场中央")]
    assert scenes[0].characters == ["沈星晴", "村民"]  # "1-1 日 外 乡村公路/大巴车 人物：沈星晴、村民"
    assert speakers(script) == {"沈星晴": 9, "马一花": 7, "赵思楠": 4, "刘娜": 3, "陈茉莉": 2,
                                "叶小玲": 2, "村民": 1, "男同学": 1}
    # 人物小传： 马一花（17）： … 陈茉莉（17）： … on one line; "刘 娜（16）" is 刘娜
    cast = {n.name: n.description for n in script.character_notes}
    assert list(cast)[:6] == ["马一花", "陈茉莉", "叶小玲", "沈星晴", "赵思楠", "刘娜"]
    assert cast["马一花"].startswith("17，暴躁体委")
    # 人物：全员、沈星晴 — everyone already in the episode, not a character called 全员
    assert "全员" not in scenes[4].characters and "马一花" in scenes[4].characters
    assert "全员" not in [c.name for c in breakdown(script).characters]


def test_qcut_basketball_girls_english_line_layout():
    # "Scene 1-1: EXT. RURAL ROAD / BUS - DAY", "YIHUA: (dribbling) Shut up!": not Fountain
    script = load_script(DATA / "qcut-basketball-girls-en.txt")
    board = breakdown(script)
    assert script.language == "en" and script.title == "Basketball Girls"
    assert [(ep.number, ep.title) for ep in script.episodes] == [(1, "Figurine Bloodshed")]
    scenes = [sc for ep in script.episodes for sc in ep.scenes]
    assert [(sc.number, sc.interior, sc.location, sc.time) for sc in scenes] == [
        ("1-1", False, "RURAL ROAD / BUS", "DAY"), ("1-2", False, "SCHOOL BASKETBALL COURT", "DAY"),
        ("1-3", False, "COURTSIDE TREE SHADE", "DAY"),
        ("1-4", False, "UNDER THE BASKETBALL HOOP", "DAY"), ("1-5", False, "CENTER COURT", "DAY")]
    assert speakers(script) == {"XINGQING": 9, "YIHUA": 7, "SINAN": 4, "LIU NA": 3, "MOLI": 2,
                                "XIAOLING": 2, "VILLAGER": 1, "BOY": 1}
    assert notes(script) == {"subtitle": 2}  # [TITLE CARD: …]
    yihua = board.character("YIHUA")
    assert yihua is not None and yihua.name == "Ma Yihua"  # the cue is the given name, pinyin-last
    assert yihua.description and yihua.description.startswith("17")


def test_jrmoive_programmer_day_markdown_scenes_with_detail_lines():
    script = load_script(DATA / "jrmoive-programmer-day.txt")
    scenes = [sc for ep in script.episodes for sc in ep.scenes]
    assert script.title == "程序员的一天"
    assert [sc.number for sc in scenes] == ["1", "2", "3", "4", "5", "6"]
    assert [sc.location for sc in scenes][:2] == ["清晨的咖啡馆", "现代化办公室"]
    assert speakers(script) == {"小明": 7, "旁白": 4, "小红": 2}
    narration = [el for el in dialogue(script) if el.speaker == "旁白"]
    assert all(el.mode is DialogueMode.VO for el in narration)
    assert narration[0].parenthetical == "平静"  # [旁白|平静]：
    assert [n.name for n in script.character_notes] == ["小明", "小红"]  # "## 角色" / "- 小明: …"
    kinds = notes(script)
    assert kinds["sound"] == 8 and kinds["camera"] == 6  # [音效@…：…] cues, 运镜: lines


def test_jrmoive_krypton_coder_sub_scenes_stay_inside_their_scene():
    script = load_script(DATA / "jrmoive-krypton-coder.txt")
    assert script.title == "氪金程序员的悲惨日常"
    assert [sc.location for ep in script.episodes for sc in ep.scenes] == [
        "逼仄的贫民窟出租屋", "肮脏的公共厨房", "深夜的出租屋"]
    assert speakers(script) == {"小明": 6, "旁白": 4}
    sections = [el.text for ep in script.episodes for sc in ep.scenes for el in sc.elements
                if el.kind is ElementKind.SECTION]
    assert sections == ["子场景1-1：桌面特写", "子场景1-2：银行卡余额", "子场景2-1：泡面特写"]


def test_jrmoive_dialogue_demo_usage_notes_do_not_make_speakers():
    script = load_script(DATA / "jrmoive-dialogue-demo.txt")
    assert [sc.number for ep in script.episodes for sc in ep.scenes] == ["1", "2", "3", "4"]
    assert speakers(script) == {"小明": 7, "小红": 5, "旁白": 3}
    assert script.title_page["synopsis"].startswith("展示对话功能")  # 描述: before the story


def test_vimax_english_script_with_colon_dialogue():
    script = load_script(DATA / "vimax-basketball.txt")
    [scene] = [sc for ep in script.episodes for sc in ep.scenes]
    assert (scene.heading, scene.interior, scene.location, scene.time) == (
        "EXT. SCHOOL GYM - DAY", False, "SCHOOL GYM", "DAY")
    assert speakers(script) == {"John": 5, "Jane": 3}
    assert dialogue(script)[3].parenthetical == "The shot misses. He seems frustrated."
    assert {n.name: n.description for n in script.character_notes} == {
        "John": "18, male, tall, athletic", "Jane": "17, female, short, athletic"}


def test_openstory_fountain_fades_are_transitions():
    script = load_script(DATA / "openstory-city-street.txt")
    assert headings(script) == ["EXT. CITY STREET - NIGHT", "INT. DIVE BAR - CONTINUOUS"]
    assert len(breakdown(script).episodes[0].scenes) == 2  # FADE IN: makes no scene of its own
    assert speakers(script) == {"LONE FIGURE": 2, "BARTENDER": 1}


def test_rufo_rain_rehearsal_numbered_scenes_with_scene_before_time():
    script = load_script(DATA / "rufo-rain-rehearsal.txt")
    scenes = [sc for ep in script.episodes for sc in ep.scenes]
    assert script.title == "雨夜排练"
    assert [(sc.number, sc.interior, sc.location, sc.time) for sc in scenes] == [
        ("1", False, "校园剧院门口", "夜"), ("2", True, "剧院后台", "夜"), ("3", True, "舞台中央", "夜")]
    assert speakers(script) == {"阿宁": 2, "林舟": 2, "旁白": 1}
    assert [c.name for c in breakdown(script).characters] == ["林舟", "阿宁"]


def test_tzjz_rainy_night_prose_with_a_narrator_line():
    script = load_script(DATA / "tzjz-rainy-night.txt")
    assert script.title == "雨夜归来"
    [scene] = [sc for ep in script.episodes for sc in ep.scenes]
    assert scene.heading == "" and script.action_count() == 2
    assert speakers(script) == {"旁白": 1}


# -- Fountain's own samples, against what other parsers publish -----------------------------------
# screenplain 0.11 (PyPI) reads Big Fish as 190 scene headings and 48 speakers, Brick & Steel as
# 8 and 7, The Last Birthday Card as 48 and 12; cine-forge's golden metadata
# (tests/fixtures/round_trip/*-golden.json) counts only INT./EXT. lines: 190, 6 and 24.


def test_brick_and_steel_counts_match_published_ones():
    script = load_script(DATA / "brick-and-steel.fountain")  # CRLF and LF mixed, as published
    assert len(headings(script)) == 8
    assert sum(h.startswith(("INT.", "EXT.")) for h in headings(script)) == 6
    assert set(speakers(script)) == {"BRICK", "STEEL", "JACK", "DAN", "HANDSOME MAN", "COGNITO",
                                     "MINION"}
    assert script.reading is not None and script.reading.line_endings == "mixed"


def test_the_last_birthday_card_counts_match_published_ones():
    script = load_script(DATA / "the-last-birthday-card.fountain")
    assert len(headings(script)) == 48
    assert sum(h.startswith(("INT.", "EXT.")) for h in headings(script)) == 24
    assert len(speakers(script)) == 12


def test_big_fish_counts_match_published_ones():
    script = load_script(DATA / "big-fish.fountain")
    found = headings(script)
    # the two EXT/INT. lines are not on Fountain's heading list; screenplain and cine-forge leave
    # them as action, shotcraft reads them as the scene headings they are
    mixed = [h for h in found if h.startswith("EXT/INT.")]
    assert len(found) - len(mixed) == 190 and len(mixed) == 2
    assert len(speakers(script)) == 48


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.iterdir() if p.is_file()
                                         and p.suffix in (".txt", ".md", ".fountain")))
def test_every_real_script_breaks_down_without_a_runaway_scene(name):
    board = breakdown(load_script(DATA / name))
    assert board.shots()
    # Big Fish's longest (its scene 1-68): 62 once each line carries 0.35 s of air, which takes
    # one long speech past the 10 s cap, so it is split in two
    assert max(len(sc.shots) for ep in board.episodes for sc in ep.scenes) <= 62
