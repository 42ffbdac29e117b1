"""The breakdown rules, on scripts built by hand so they do not depend on either parser."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shotcraft.shots.errors import SpecError
from shotcraft.shots.models import SHOT_ID_RE, DialogueMode, Move, ShotKind, ShotSize
from shotcraft.storyboard.breakdown import breakdown, split_line
from shotcraft.storyboard.prompts import DEFAULT_STYLE, NEGATIVE_PROMPT
from shotcraft.storyboard.script import (
    CharacterNote,
    Element,
    ElementKind,
    Script,
    ScriptEpisode,
    ScriptScene,
)

K = ElementKind


def action(text: str, line: int) -> Element:
    return Element(kind=K.ACTION, text=text, line=line)


def say(speaker: str, text: str, line: int, *, paren: str | None = None, mode=None) -> Element:
    return Element(
        kind=K.DIALOGUE, speaker=speaker, speaker_cue=speaker, text=text, line=line,
        parenthetical=paren, mode=mode,
    )


def interior(*elements: Element, heading="INT. KITCHEN - NIGHT", characters=(), line=1):
    return ScriptScene(
        heading=heading, location="KITCHEN", time="NIGHT", interior=True,
        characters=list(characters), elements=list(elements), line=line,
    )


def exterior(*elements: Element, heading="EXT. HARBOUR - DAY", line=1):
    return ScriptScene(
        heading=heading, location="HARBOUR", time="DAY", interior=False,
        elements=list(elements), line=line,
    )


def script(*scenes: ScriptScene, notes=(), language="en", episodes=None, fmt="fountain"):
    return Script(
        format=fmt,
        title="Test",
        language=language,
        episodes=episodes or [ScriptEpisode(number=1, scenes=list(scenes))],
        character_notes=list(notes),
    )


def shots_of(storyboard, kind: ShotKind | None = None):
    return [s for s in storyboard.shots() if kind is None or s.kind is kind]


def only(storyboard, kind: ShotKind):
    found = shots_of(storyboard, kind)
    assert len(found) == 1, found
    return found[0]


# --- ids and scenes ----------------------------------------------------------------------------


def test_ids_follow_episode_scene_and_shot_order():
    first = interior(action("Mara cooks.", 3), say("MARA", "Dinner!", 5))
    second = exterior(action("Gulls.", 9), line=8)
    episodes = [
        ScriptEpisode(number=1, scenes=[first, second]),
        ScriptEpisode(number=2, scenes=[interior(action("Morning.", 20), line=19)]),
    ]
    board = breakdown(script(episodes=episodes))
    ids = [s.id for s in board.shots()]
    assert ids == [
        "E01-S01-001", "E01-S01-002", "E01-S01-003",
        "E01-S02-001", "E01-S02-002",
        "E02-S01-001", "E02-S01-002",
    ]
    assert all(SHOT_ID_RE.match(i) for i in ids)
    assert [s.order for s in board.episodes[0].shots()] == [0, 1, 2, 3, 4]
    assert [s.order for s in board.episodes[1].shots()] == [0, 1]
    assert [sc.id for sc in board.episodes[0].scenes] == ["1-1", "1-2"]
    assert {s.scene_id for s in board.episodes[0].scenes[1].shots} == {"1-2"}
    assert {s.episode for s in board.episodes[1].shots()} == {2}


def test_storyboard_carries_title_fps_aspect_language():
    board = breakdown(script(interior(), language="zh"), fps=24, aspect="16:9")
    assert (board.title, board.fps, board.aspect, board.language) == ("Test", 24, "16:9", "zh")


# --- establishing shots --------------------------------------------------------------------------


def test_exterior_opens_on_extreme_wide_four_seconds_with_slow_pan():
    board = breakdown(script(exterior(action("Waves.", 2))), fps=30)
    first = board.shots()[0]
    assert first.kind is ShotKind.ESTABLISHING
    assert first.size is ShotSize.EWS
    assert first.camera.move is Move.PAN_RIGHT and first.camera.intensity < 0.5
    assert first.duration_frames == 120
    assert first.action is None


def test_interior_opens_on_static_wide_three_seconds_with_scene_characters():
    scene = interior(say("MARA", "Hi.", 3), say("JONAH", "Hey.", 4), characters=["LENA"])
    first = breakdown(script(scene), fps=24).shots()[0]
    assert (first.kind, first.size, first.camera.move) == (
        ShotKind.ESTABLISHING, ShotSize.WS, Move.STATIC,
    )
    assert first.duration_frames == 72
    assert first.characters == ["LENA", "MARA", "JONAH"]


def test_heading_only_scene_still_gets_its_establishing_shot():
    board = breakdown(script(interior(), exterior(line=5)))
    assert [s.kind for s in board.shots()] == [ShotKind.ESTABLISHING] * 2


def test_text_before_first_heading_has_no_establishing_shot():
    cold_open = ScriptScene(heading="", elements=[action("Black screen. A scream.", 1)])
    board = breakdown(script(cold_open, interior(line=3)))
    scenes = board.episodes[0].scenes
    assert [s.kind for s in scenes[0].shots] == [ShotKind.ACTION]
    assert scenes[1].shots[0].kind is ShotKind.ESTABLISHING
    assert [s.id for s in scenes] == ["1-1", "1-2"]


def test_empty_preamble_is_not_a_scene():
    preamble = ScriptScene(heading="", elements=[Element(kind=K.SECTION, text="Act 1", line=1)])
    board = breakdown(script(preamble, interior(line=3)))
    assert [s.id for s in board.episodes[0].scenes] == ["1-1"]
    assert board.episodes[0].scenes[0].heading == "INT. KITCHEN - NIGHT"


# --- action shots ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("A tear rolls down her cheek.", ShotSize.ECU),
        ("她的眼眶红了。", ShotSize.ECU),
        ("Her phone buzzes on the table.", ShotSize.CU),
        ("桌上的戒指闪着光。", ShotSize.CU),
        ("A crowd gathers at the gate.", ShotSize.WS),
        ("人群围了上来。", ShotSize.WS),
        ("Jonah runs down the stairs.", ShotSize.MS),
        ("Mara sits by the window.", ShotSize.MCU),
        ("Rain on the windows.", ShotSize.MS),
    ],
)
def test_action_size_follows_what_it_describes(text, size):
    scene = interior(action(text, 3), say("MARA", "x", 5), say("JONAH", "y", 6))
    assert only(breakdown(script(scene)), ShotKind.ACTION).size is size


@pytest.mark.parametrize(
    ("text", "move", "intensity"),
    [
        ("Jonah and Mara fight over the knife.", Move.HANDHELD, 0.5),
        ("Close on the photograph.", Move.ZOOM_IN, 0.5),
        ("Mara trembles, tears in her eyes.", Move.DOLLY_IN, 0.5),
        ("Mara slowly turns to see the open door.", Move.PAN_RIGHT, 0.3),
        ("她抬头，看见了天台上的人。", Move.TILT_UP, 0.5),
        ("Jonah suddenly runs for the exit.", Move.TRUCK_RIGHT, 0.8),
        ("林晓缓缓走向门口。", Move.TRUCK_RIGHT, 0.3),
        ("The kettle boils.", Move.STATIC, 0.5),
    ],
)
def test_action_camera_move_and_speed_come_from_the_text(text, move, intensity):
    shot = only(breakdown(script(interior(action(text, 3)))), ShotKind.ACTION)
    assert shot.camera.move is move
    assert shot.camera.intensity == intensity


def test_action_shot_frames_the_characters_it_names_and_keeps_its_text():
    notes = [CharacterNote(name="MARA VOSS", description="40s, grey coat", line=2)]
    scene = interior(
        action("Mara Voss hands Jonah the keys. Lena watches.", 3),
        say("JONAH", "Thanks.", 4),
        say("LENA", "Go.", 5),
        say("MARA", "Now.", 6),
    )
    shot = only(breakdown(script(scene, notes=notes)), ShotKind.ACTION)
    assert shot.characters == ["MARA", "JONAH", "LENA"]
    assert shot.action == "Mara Voss hands Jonah the keys. Lena watches."
    assert shot.source_lines == [3]


# --- dialogue shots -------------------------------------------------------------------------------


def test_dialogue_is_a_medium_close_up_on_the_speaker_carrying_the_line():
    scene = interior(say("MARA", "Dinner is ready.", 7, paren="(beat)"))
    shot = only(breakdown(script(scene)), ShotKind.DIALOGUE)
    assert (shot.size, shot.characters, shot.camera.move) == (ShotSize.MCU, ["MARA"], Move.STATIC)
    [line] = shot.dialogue
    assert (line.speaker, line.text, line.parenthetical, line.line) == (
        "MARA", "Dinner is ready.", "(beat)", 7,
    )
    assert shot.source_lines == [7]


@pytest.mark.parametrize("paren", ["(whispers)", "（冷笑）", "（咬牙）", "(crying)"])
def test_emotional_delivery_moves_in_to_a_close_up(paren):
    shot = only(breakdown(script(interior(say("MARA", "Go.", 3, paren=paren)))), ShotKind.DIALOGUE)
    assert shot.size is ShotSize.CU
    assert shot.camera.move is Move.DOLLY_IN


def test_voice_over_is_shot_on_the_listener():
    scene = interior(
        say("JONAH", "Where are you?", 3),
        say("MARA", "Closer than you think.", 5, mode=DialogueMode.VO),
    )
    shots = shots_of(breakdown(script(scene)), ShotKind.DIALOGUE)
    vo = shots[1]
    assert vo.characters == ["JONAH"] and vo.size is ShotSize.MCU
    assert vo.dialogue[0].speaker == "MARA" and vo.dialogue[0].mode is DialogueMode.VO


def test_juben_os_is_inner_voice_and_stays_on_the_speaker():
    scene = interior(
        say("顾言", "签了它。", 3),
        say("林晚晚", "忍住，为了爸爸。", 4, paren="（咬牙）", mode=DialogueMode.OS),
    )
    inner = shots_of(breakdown(script(scene, fmt="juben", language="zh")), ShotKind.DIALOGUE)[1]
    assert inner.characters == ["林晚晚"]
    assert (inner.size, inner.camera.move) == (ShotSize.CU, Move.DOLLY_IN)
    fountain_os = shots_of(breakdown(script(scene)), ShotKind.DIALOGUE)[1]
    assert fountain_os.characters == ["顾言"]


def test_off_screen_line_with_nobody_else_is_shot_on_the_setting():
    scene = interior(say("MARA", "Anyone home?", 3, mode=DialogueMode.OS))
    shot = only(breakdown(script(scene)), ShotKind.DIALOGUE)
    assert (shot.size, shot.characters) == (ShotSize.WS, [])


def test_narrator_is_heard_over_the_setting_and_is_not_a_character():
    scene = interior(say("旁白", "三年后。", 3), say("MARA", "Hi.", 4))
    board = breakdown(script(scene))
    narration = shots_of(board, ShotKind.DIALOGUE)[0]
    assert (narration.size, narration.characters) == (ShotSize.WS, [])
    assert narration.dialogue[0].speaker == "旁白"
    assert [c.name for c in board.characters] == ["MARA"]


# --- long lines -----------------------------------------------------------------------------------


def test_long_line_splits_into_consecutive_shots_each_within_the_limit():
    text = (
        "I waited for you at the station every night. The trains came and went. "
        "Nobody ever told me why, and I stopped asking, because asking hurt more than waiting."
    )
    scene = interior(say("MARA", text, 3))
    board = breakdown(script(scene), fps=24, max_shot_frames=96)
    parts = shots_of(board, ShotKind.DIALOGUE)
    assert len(parts) >= 3
    assert all(p.duration_frames <= 96 for p in parts)
    assert " ".join(p.dialogue[0].text for p in parts) == text
    assert parts[0].dialogue[0].text == "I waited for you at the station every night."
    assert [p.order for p in parts] == list(range(1, len(parts) + 1))


def test_long_chinese_line_splits_at_punctuation_without_losing_characters():
    text = "我等了你整整三年，每天晚上都去车站。火车来了又走，没有人告诉我为什么！你现在回来，又算什么？"
    board = breakdown(script(interior(say("林晓", text, 3))), fps=30, max_shot_frames=150)
    parts = [s.dialogue[0].text for s in shots_of(board, ShotKind.DIALOGUE)]
    assert len(parts) >= 3
    assert "".join(parts) == text
    assert all(re.search(r"[，。！？]$", p) for p in parts)


def test_split_line_falls_back_to_words_when_a_sentence_has_no_commas():
    text = "one two three four five six seven eight nine ten"
    parts = split_line(text, lambda t: len(t.split()) <= 3)
    assert parts == ["one two three", "four five six", "seven eight nine", "ten"]


# --- reaction shots -------------------------------------------------------------------------------


def test_reaction_in_following_action_adds_a_close_up_on_the_listener():
    scene = interior(
        say("MARA", "I'm leaving.", 3),
        action("Jonah is stunned.", 4),
        say("JONAH", "What?", 5),
    )
    board = breakdown(script(scene), fps=30)
    kinds = [s.kind for s in board.shots()]
    assert kinds == [
        ShotKind.ESTABLISHING, ShotKind.DIALOGUE, ShotKind.REACTION, ShotKind.ACTION,
        ShotKind.DIALOGUE,
    ]
    reaction = only(board, ShotKind.REACTION)
    assert (reaction.size, reaction.characters, reaction.duration_frames) == (
        ShotSize.CU, ["JONAH"], 45,
    )
    assert reaction.action is None and reaction.dialogue == [] and reaction.notes == "reaction"
    assert only(board, ShotKind.ACTION).action == "Jonah is stunned."


def test_reaction_in_next_speakers_parenthetical_is_on_that_speaker():
    scene = interior(say("王总", "你被开除了。", 3), say("林晓", "什么？", 4, paren="（愣住）"))
    board = breakdown(script(scene, language="zh"))
    assert only(board, ShotKind.REACTION).characters == ["林晓"]


def test_no_reaction_shot_without_a_marked_reaction():
    scene = interior(say("MARA", "Hi.", 3), say("JONAH", "Hi.", 4))
    assert shots_of(breakdown(script(scene)), ShotKind.REACTION) == []


# --- durations ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fps", [24, 30])
def test_durations_are_whole_frames_from_speaking_rate(fps):
    english = " ".join(["word"] * 26)  # 26 words at 2.7 words/s + 0.35 s of air: 9.98 s
    chinese = "好" * 27  # 27 characters at 5.0/s + 0.35 s of air: 5.75 s
    scene = interior(say("MARA", english, 3), say("林晓", chinese, 4), say("JONAH", "No.", 5))
    dialogue = shots_of(breakdown(script(scene), fps=fps), ShotKind.DIALOGUE)
    assert [s.duration_frames for s in dialogue] == [
        round((26 / 2.7 + 0.35) * fps), round(5.75 * fps), round(1.5 * fps)]


def test_action_duration_is_base_plus_reading_time_clamped():
    seven_words = "Mara puts the cup on the table."
    shot = only(breakdown(script(interior(action(seven_words, 3))), fps=30), ShotKind.ACTION)
    assert shot.duration_frames == round((1.5 + 7 / 3.5) * 30)
    long_text = " ".join(["step"] * 200)
    shot = only(breakdown(script(interior(action(long_text, 3))), fps=24), ShotKind.ACTION)
    assert shot.duration_frames == 240


def test_max_shot_frames_caps_every_shot():
    scene = exterior(action(" ".join(["wave"] * 50), 3), say("MARA", "Hello there, friend.", 4))
    board = breakdown(script(scene), fps=30, max_shot_frames=40)
    assert max(s.duration_frames for s in board.shots()) == 40


def test_bad_fps_or_limit_is_a_spec_error():
    with pytest.raises(SpecError, match="fps"):
        breakdown(script(interior()), fps=0)
    with pytest.raises(SpecError, match="max_shot_frames"):
        breakdown(script(interior()), max_shot_frames=0)


# --- elements that are never shots ----------------------------------------------------------------


def test_notes_transitions_and_lyrics_go_to_scene_notes_and_centered_is_a_title_card():
    scene = interior(
        Element(kind=K.NOTE, text="闪回", line=2),
        action("Mara sings.", 3),
        Element(kind=K.LYRIC, text="Row, row, row your boat", line=4),
        Element(kind=K.TRANSITION, text="CUT TO:", line=5),
        Element(kind=K.SYNOPSIS, text="She remembers.", line=6),
        Element(kind=K.PAGE_BREAK, line=7),
        Element(kind=K.CENTERED, text="THE END", line=8),
    )
    board = breakdown(script(scene))
    assert board.episodes[0].scenes[0].notes == ["闪回", "lyric: Row, row, row your boat", "CUT TO:"]
    assert [s.kind for s in board.shots()] == [
        ShotKind.ESTABLISHING, ShotKind.ACTION, ShotKind.INSERT,
    ]
    card = only(board, ShotKind.INSERT)
    assert card.action == "THE END" and card.source_lines == [8]


# --- the exactly-once invariant -------------------------------------------------------------------


def assert_every_line_in_exactly_one_place(source: Script, board) -> None:
    shots = board.shots()
    for episode in source.episodes:
        for scene in episode.scenes:
            for element in scene.elements:
                if element.kind is K.ACTION:
                    carriers = [
                        s for s in shots
                        if element.line in s.source_lines and s.kind is ShotKind.ACTION
                    ]
                    assert len(carriers) == 1
                    assert carriers[0].action == element.text
                elif element.kind is K.DIALOGUE:
                    parts = [
                        d.text for s in shots for d in s.dialogue if d.line == element.line
                    ]
                    assert parts, element
                    assert "".join("".join(parts).split()) == "".join(element.text.split())
    assert all(s.duration_frames > 0 for s in shots)
    assert len({s.id for s in shots}) == len(shots)
    assert len({s.content_hash for s in shots}) == len(shots)


def test_every_action_and_line_appears_exactly_once():
    scene = interior(
        action("Mara enters.", 3),
        say("MARA", "Long day. " * 12, 4),
        action("Jonah is stunned.", 5),
        say("JONAH", "Mara?", 6, paren="(shocked)"),
        say("MARA", "Long day. " * 12, 7),
    )
    source = script(scene, exterior(action("Night falls.", 11), line=10))
    assert_every_line_in_exactly_one_place(source, breakdown(source, max_shot_frames=60))


SPEAKERS = ["MARA", "JONAH", "林晓", "旁白", "LENA"]
words = st.text(alphabet="abc 林晓泪，。！?. ", min_size=0, max_size=60)


@st.composite
def scripts(draw):
    line = 1
    episodes = []
    for number in range(1, draw(st.integers(1, 2)) + 1):
        scenes = []
        for _ in range(draw(st.integers(0, 3))):
            elements = []
            heading_line = line
            line += 1
            for _ in range(draw(st.integers(0, 6))):
                kind = draw(st.sampled_from([K.ACTION, K.DIALOGUE, K.DIALOGUE, K.NOTE, K.CENTERED]))
                speaker = draw(st.sampled_from(SPEAKERS)) if kind is K.DIALOGUE else None
                mode = draw(st.sampled_from([None, None, DialogueMode.VO, DialogueMode.OS]))
                elements.append(
                    Element(
                        kind=kind, text=draw(words), line=line, speaker=speaker,
                        mode=mode if speaker else None,
                        parenthetical=draw(st.sampled_from([None, "(stunned)", "（哭）"]))
                        if speaker else None,
                    )
                )
                line += 1
            scenes.append(
                ScriptScene(
                    heading=draw(st.sampled_from(["", "INT. ROOM - DAY", "1-1 日 内 客厅"])),
                    interior=draw(st.sampled_from([True, False, None])),
                    characters=draw(st.lists(st.sampled_from(SPEAKERS), max_size=2)),
                    elements=elements,
                    line=heading_line,
                )
            )
        episodes.append(ScriptEpisode(number=number, scenes=scenes))
    return Script(format="fountain", episodes=episodes)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=scripts(), fps=st.sampled_from([24, 25, 30]), limit=st.sampled_from([None, 20, 90]))
def test_random_scripts_keep_every_line_once_with_positive_durations(source, fps, limit):
    board = breakdown(source, fps=fps, max_shot_frames=limit)
    assert_every_line_in_exactly_one_place(source, board)
    cap = limit if limit is not None else 10 * fps
    assert all(0 < s.duration_frames <= cap for s in board.shots())


# --- content hash ---------------------------------------------------------------------------------


def _hash_of_line(board, line: int) -> str:
    return next(s.content_hash for s in board.shots() if line in s.source_lines)


def test_content_hash_survives_an_unrelated_edit_and_changes_with_the_line():
    original = script(interior(action("Mara cooks.", 3), say("MARA", "Dinner!", 5)))
    edited_elsewhere = script(
        interior(action("Mara cooks, humming.", 3), action("Rain.", 4), say("MARA", "Dinner!", 6))
    )
    edited_line = script(interior(action("Mara cooks.", 3), say("MARA", "Lunch!", 5)))
    before = _hash_of_line(breakdown(original), 5)
    assert _hash_of_line(breakdown(edited_elsewhere), 6) == before
    assert _hash_of_line(breakdown(edited_line), 5) != before
    assert _hash_of_line(breakdown(edited_line), 3) == _hash_of_line(breakdown(original), 3)


def test_content_hash_ignores_render_settings_but_not_the_scene():
    source = script(interior(say("MARA", "Dinner!", 5)))
    a = breakdown(source, fps=24, style="noir")
    b = breakdown(source, fps=30)
    assert [s.content_hash for s in a.shots()] == [s.content_hash for s in b.shots()]
    moved = script(interior(say("MARA", "Dinner!", 5), heading="INT. GARDEN - DAY"))
    assert _hash_of_line(breakdown(moved), 5) != _hash_of_line(a, 5)


# --- prompts --------------------------------------------------------------------------------------


def test_prompt_names_style_setting_characters_framing_and_camera():
    notes = [CharacterNote(name="MARA", description="40s, grey wool coat", line=2)]
    scene = interior(action("Mara slowly reads the letter, tears in her eyes.", 3))
    board = breakdown(script(scene, notes=notes))
    shot = only(board, ShotKind.ACTION)
    assert shot.prompt.startswith(DEFAULT_STYLE)
    for words in ("extreme close-up", "slow push-in", "interior KITCHEN night",
                  "MARA (40s, grey wool coat)", "Mara slowly reads the letter"):
        assert words in shot.prompt
    assert shot.negative_prompt == NEGATIVE_PROMPT


def test_chinese_prompt_uses_english_words_with_names_and_places_verbatim():
    scene = ScriptScene(
        heading="1-1 日 外 天台", location="天台", time="日", interior=False,
        elements=[say("林晓", "你骗我。", 3, paren="（哭）")], line=1,
    )
    board = breakdown(script(scene, language="zh"), style="anime")
    shot = only(board, ShotKind.DIALOGUE)
    assert shot.prompt.startswith("anime, close-up, slow push-in, 林晓 speaking in Mandarin, crying")
    assert "exterior 天台 day" in shot.prompt
    assert "你骗我" not in shot.prompt  # the line is spoken, never drawn as text
    assert "establishing shot of 天台" in board.shots()[0].prompt


def test_breakdown_is_deterministic():
    scene = interior(action("Mara enters.", 3), say("MARA", "Hi.", 4), say("JONAH", "Hey.", 5))
    assert breakdown(script(scene)).model_dump() == breakdown(script(scene)).model_dump()
