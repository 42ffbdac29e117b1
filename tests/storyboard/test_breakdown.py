"""The breakdown rules, on scripts built by hand so they do not depend on either parser."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shotcraft.shots.errors import SpecError
from shotcraft.shots.models import SHOT_ID_RE, DialogueMode, Move, ShotKind, ShotSize
from shotcraft.storyboard.breakdown import breakdown, split_line
from shotcraft.storyboard.notes import read_notes
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


def is_hook(shot) -> bool:
    return (shot.notes or "").startswith("hook")


def body(storyboard):
    """The shots without the episode's hook (a flash-forward that repeats a beat)."""
    return [s for s in storyboard.shots() if not is_hook(s)]


def body_of(storyboard, kind: ShotKind):
    return [s for s in body(storyboard) if s.kind is kind]


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
    # episode 1 opens on a flash-forward of "Dinner!" (its most intense beat); episode 2's
    # first scene is scenery alone and keeps its establishing wide first
    assert ids == [
        "E01-S01-000", "E01-S01-001", "E01-S01-002", "E01-S01-003",
        "E01-S02-001", "E01-S02-002",
        "E02-S01-001", "E02-S01-002",
    ]
    assert is_hook(board.shots()[0]) and board.shots()[0].dialogue[0].text == "Dinner!"
    assert all(SHOT_ID_RE.match(i) for i in ids)
    assert [s.order for s in board.episodes[0].shots()] == [0, 1, 2, 3, 4, 5]
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


def test_interior_establishing_is_a_wide_slow_push_in_three_seconds_with_those_present():
    scene = interior(say("MARA", "Hi.", 3), say("JONAH", "Hey.", 4), characters=["LENA"])
    first = only(breakdown(script(scene), fps=24), ShotKind.ESTABLISHING)
    assert (first.size, first.camera.move, first.camera.intensity) == (
        ShotSize.WS, Move.DOLLY_IN, 0.3,
    )
    assert first.duration_frames == 72
    assert first.characters == ["LENA", "MARA", "JONAH"]


def test_establishing_leaves_out_who_enters_later_speaks_off_screen_or_is_in_a_flashback():
    scene = interior(
        action("Mara waits at the table.", 2),
        Element(kind=K.NOTE, text="闪回", line=3),
        action("Young Lena laughs in the garden.", 4),
        Element(kind=K.NOTE, text="闪回结束", line=5),
        say("JONAH", "I'm outside.", 6, mode=DialogueMode.VO),
        action("Eli enters, soaked.", 7),
        say("ELI", "Sorry.", 8),
    )
    notes = [CharacterNote(name=name, line=1) for name in ("MARA", "LENA")]
    establishing = only(breakdown(script(scene, notes=notes)), ShotKind.ESTABLISHING)
    assert establishing.characters == ["MARA"]


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
        ("Mara stares at the window.", ShotSize.MCU),
        ("Mara sits by the window.", ShotSize.MS),
        ("Mara and Jonah wash the dishes.", ShotSize.MS),
        ("Rain on the windows.", ShotSize.WS),
    ],
)
def test_action_size_follows_what_it_describes(text, size):
    scene = interior(action(text, 3), say("MARA", "x", 5), say("JONAH", "y", 6))
    [shot] = body_of(breakdown(script(scene)), ShotKind.ACTION)
    assert shot.size is size


@pytest.mark.parametrize(
    ("text", "move", "intensity"),
    [
        ("Jonah and Mara fight over the knife.", Move.HANDHELD, 0.5),
        ("A crowd of reporters surges forward.", Move.HANDHELD, 0.5),
        ("Mara trembles, tears in her eyes.", Move.DOLLY_IN, 0.5),
        ("Mara slowly turns to see the open door.", Move.PAN_RIGHT, 0.3),
        ("她抬头，看见了天台上的人。", Move.TILT_UP, 0.5),
        ("Jonah suddenly runs for the exit.", Move.TRUCK_RIGHT, 0.8),
        ("Jonah charges at the hoop, dribbling.", Move.TRUCK_RIGHT, 0.5),
        ("Mara shoves him. Jonah doesn't budge.", Move.HANDHELD, 0.5),
        ("林晓缓缓走向门口。", Move.TRUCK_RIGHT, 0.3),
        ("Jonah enters.", Move.PAN_RIGHT, 0.5),
        ("Jonah leaves.", Move.PAN_LEFT, 0.5),
        ("Mara stands up.", Move.TILT_UP, 0.5),
        ("Mara sits down.", Move.TILT_DOWN, 0.5),
        ("Mara stares at Jonah.", Move.STATIC, 0.5),
        ("The kettle boils.", Move.PAN_RIGHT, 0.3),  # nobody in frame: the place drifts by
    ],
)
def test_action_camera_move_and_speed_come_from_the_text(text, move, intensity):
    notes = [CharacterNote(name=name, line=1) for name in ("MARA", "JONAH")]
    [shot] = body_of(breakdown(script(interior(action(text, 3)), notes=notes)), ShotKind.ACTION)
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


def test_a_line_with_nobody_to_hear_it_is_a_medium_close_up_on_the_speaker():
    scene = interior(say("MARA", "Dinner is ready.", 7, paren="(beat)"))
    [shot] = body_of(breakdown(script(scene)), ShotKind.DIALOGUE)
    assert (shot.size, shot.characters, shot.camera.move) == (ShotSize.MCU, ["MARA"], Move.STATIC)
    [line] = shot.dialogue
    assert (line.speaker, line.text, line.parenthetical, line.line) == (
        "MARA", "Dinner is ready.", "(beat)", 7,
    )
    assert shot.source_lines == [7]


@pytest.mark.parametrize("paren", ["(whispers)", "（冷笑）", "（咬牙）", "(crying)"])
def test_emotional_delivery_moves_in_to_a_close_up(paren):
    board = breakdown(script(interior(say("MARA", "Go.", 3, paren=paren))))
    [shot] = body_of(board, ShotKind.DIALOGUE)
    assert shot.size is ShotSize.CU
    assert shot.camera.move is Move.DOLLY_IN


def test_voice_over_is_shot_on_the_listener():
    scene = interior(
        say("JONAH", "Where are you?", 3),
        say("MARA", "Closer than you think.", 5, mode=DialogueMode.VO),
    )
    shots = [s for s in body(breakdown(script(scene))) if s.dialogue]
    vo = shots[1]
    # on the listener, who was just seen speaking: the same face again steps in to a close-up
    assert vo.characters == ["JONAH"] and vo.size is ShotSize.CU
    assert "JONAH listening with lips closed, MARA heard off-screen" in vo.prompt
    assert vo.dialogue[0].speaker == "MARA" and vo.dialogue[0].mode is DialogueMode.VO


def test_juben_os_is_inner_voice_and_stays_on_the_speaker():
    scene = interior(
        say("顾言", "签了它。", 3),
        say("林晚晚", "忍住，为了爸爸。", 4, paren="（咬牙）", mode=DialogueMode.OS),
    )
    inner = [s for s in body(breakdown(script(scene, fmt="juben", language="zh")))
             if s.dialogue][1]
    assert inner.characters == ["林晚晚"]
    assert (inner.size, inner.camera.move) == (ShotSize.MCU, Move.DOLLY_IN)
    # a thought moves no mouth
    assert "林晚晚 silent with lips closed" in inner.prompt and "speaking" not in inner.prompt
    fountain_os = [s for s in body(breakdown(script(scene))) if s.dialogue][1]
    assert fountain_os.characters == ["顾言"]


def test_off_screen_line_with_nobody_else_is_shot_on_the_setting():
    scene = interior(say("MARA", "Anyone home?", 3, mode=DialogueMode.OS))
    [shot] = body_of(breakdown(script(scene)), ShotKind.DIALOGUE)
    assert (shot.size, shot.characters) == (ShotSize.WS, [])


def test_narrator_is_heard_over_the_setting_and_is_not_a_character():
    scene = interior(say("旁白", "三年后。", 3), say("MARA", "Hi.", 4))
    board = breakdown(script(scene))
    narration = next(s for s in body(board) if s.dialogue)
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
    parts = [s for s in body(board) if s.dialogue]
    assert len(parts) >= 3
    assert all(p.duration_frames <= 96 for p in parts)
    assert " ".join(p.dialogue[0].text for p in parts) == text
    assert parts[0].dialogue[0].text == "I waited for you at the station every night."
    assert [p.order for p in parts] == list(range(parts[0].order, parts[0].order + len(parts)))
    # the camera moves in on a long speech, part by part
    assert [p.size for p in parts][:3] == [ShotSize.MCU, ShotSize.CU, ShotSize.MCU]
    assert {p.camera.move for p in parts} == {Move.DOLLY_IN}


def test_long_chinese_line_splits_at_punctuation_without_losing_characters():
    text = "我等了你整整三年，每天晚上都去车站。火车来了又走，没有人告诉我为什么！你现在回来，又算什么？"
    board = breakdown(script(interior(say("林晓", text, 3))), fps=30, max_shot_frames=150)
    parts = [s.dialogue[0].text for s in body(board) if s.dialogue]
    assert len(parts) >= 3
    assert "".join(parts) == text
    assert all(re.search(r"[，。！？]$", p) for p in parts)


def test_split_line_falls_back_to_words_when_a_sentence_has_no_commas():
    text = "one two three four five six seven eight nine ten"
    parts = split_line(text, lambda t: len(t.split()) <= 3)
    assert parts == ["one two three", "four five six", "seven eight nine", "ten"]


# --- reaction shots -------------------------------------------------------------------------------


def test_a_reaction_in_the_next_action_plays_in_that_action_on_the_listeners_face():
    scene = interior(
        say("MARA", "I'm leaving.", 3),
        action("Jonah is stunned.", 4),
        say("JONAH", "What?", 5),
    )
    board = breakdown(script(scene), fps=30)
    assert shots_of(board, ShotKind.REACTION) == []  # no second shot of the same face
    [reacting] = body_of(board, ShotKind.ACTION)
    assert (reacting.action, reacting.characters, reacting.size, reacting.camera.move) == (
        "Jonah is stunned.", ["JONAH"], ShotSize.CU, Move.DOLLY_IN,
    )
    assert reacting.notes == "reaction"


def test_a_reaction_gets_its_own_close_up_when_the_next_shot_shows_more_than_the_listener():
    scene = interior(
        say("MARA", "I'm leaving.", 3),
        action("Jonah is stunned; Lena looks away.", 4),
        say("JONAH", "What?", 5),
        say("LENA", "Go then.", 6),
    )
    board = breakdown(script(scene), fps=30)
    reaction = only(board, ShotKind.REACTION)
    assert (reaction.size, reaction.characters, reaction.duration_frames) == (
        ShotSize.CU, ["JONAH"], 45,
    )
    assert reaction.action is None and reaction.dialogue == [] and reaction.notes == "reaction"
    shots = body(board)
    after = shots[shots.index(reaction) + 1]
    assert after.kind is ShotKind.ACTION and after.characters == ["JONAH", "LENA"]


def test_reaction_in_next_speakers_parenthetical_opens_their_own_line_close():
    scene = interior(say("王总", "你被开除了。", 3), say("林晓", "什么？", 4, paren="（愣住）"))
    board = breakdown(script(scene, language="zh"))
    assert shots_of(board, ShotKind.REACTION) == []
    line = next(s for s in body(board) if s.dialogue and s.dialogue[0].speaker == "林晓")
    assert (line.characters, line.size, line.camera.move) == (["林晓"], ShotSize.CU, Move.DOLLY_IN)


def test_never_two_shots_of_one_face_in_the_same_framing_back_to_back():
    scene = interior(action("Mara stares at the door.", 3), say("MARA", "Come in.", 4),
                     say("MARA", "Please.", 5))
    shots = [s for s in body(breakdown(script(scene))) if s.kind is not ShotKind.ESTABLISHING]
    for before, after in zip(shots, shots[1:], strict=False):
        assert (before.characters, before.size) != (after.characters, after.size)


def test_no_reaction_shot_without_a_marked_reaction():
    scene = interior(say("MARA", "Hi.", 3), say("JONAH", "Hi.", 4))
    assert shots_of(breakdown(script(scene)), ShotKind.REACTION) == []


# --- durations ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fps", [24, 30])
def test_durations_are_whole_frames_from_speaking_rate(fps):
    english = " ".join(["word"] * 26)  # 26 words at 2.7 words/s + 0.35 s of air: 9.98 s
    chinese = "好" * 27  # 27 characters at 5.0/s + 0.35 s of air: 5.75 s
    scene = interior(say("MARA", english, 3), say("林晓", chinese, 4), say("JONAH", "No.", 5))
    dialogue = [s for s in body(breakdown(script(scene), fps=fps)) if s.dialogue]
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
    assert [s.kind for s in body(board)] == [
        ShotKind.ESTABLISHING, ShotKind.ACTION, ShotKind.TITLE,
    ]
    card = only(board, ShotKind.TITLE)
    assert card.action == "THE END" and card.source_lines == [8]


# --- the exactly-once invariant -------------------------------------------------------------------


def assert_every_line_in_exactly_one_place(source: Script, board) -> None:
    """Every action (without the writer's shot notes) and every line is carried once, besides
    the inserts and reaction shots around it and the episode's flash-forward hook."""
    shots = board.shots()
    carriers_of = [s for s in shots if not is_hook(s)
                   and s.kind not in (ShotKind.INSERT, ShotKind.REACTION, ShotKind.TITLE)]
    for episode in source.episodes:
        for scene in episode.scenes:
            for element in scene.elements:
                if element.kind is K.ACTION:
                    carriers = [s for s in carriers_of
                                if element.line in s.source_lines and s.action is not None]
                    assert 1 <= len(carriers) <= 2  # a walk then a look is two shots
                    written = read_notes(element.text).text or element.text
                    assert "".join(c.action for c in carriers) == written
                elif element.kind is K.DIALOGUE:
                    parts = [
                        d.text for s in carriers_of for d in s.dialogue if d.line == element.line
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
    assert "establishing shot of 天台" in only(board, ShotKind.ESTABLISHING).prompt


def test_breakdown_is_deterministic():
    scene = interior(action("Mara enters.", 3), say("MARA", "Hi.", 4), say("JONAH", "Hey.", 5))
    assert breakdown(script(scene)).model_dump() == breakdown(script(scene)).model_dump()
