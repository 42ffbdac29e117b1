"""The character bible: one entry per person, with aliases, descriptions and first appearance."""

from __future__ import annotations

from shotcraft.shots.models import DialogueMode
from shotcraft.storyboard.characters import NameIndex, build_bible
from shotcraft.storyboard.script import (
    CharacterNote,
    Element,
    ElementKind,
    Script,
    ScriptEpisode,
    ScriptScene,
)

K = ElementKind


def say(speaker: str, line: int, *, cue: str | None = None, mode=None) -> Element:
    return Element(
        kind=K.DIALOGUE, speaker=speaker, speaker_cue=cue or speaker, text="...", line=line,
        mode=mode,
    )


def scene(*elements: Element, line: int = 1, characters=(), heading="INT. FLAT - DAY"):
    return ScriptScene(
        heading=heading, location="FLAT", characters=list(characters), elements=list(elements),
        line=line,
    )


def script(*scenes: ScriptScene, notes=(), episodes=None) -> Script:
    return Script(
        format="fountain",
        episodes=episodes or [ScriptEpisode(number=1, scenes=list(scenes))],
        character_notes=list(notes),
    )


def names(bible) -> list[str]:
    return [c.name for c in bible]


def test_voice_over_cue_and_plain_cue_are_one_character():
    bible = build_bible(
        script(scene(say("MARA", 2), say("MARA", 3, cue="MARA (V.O.)", mode=DialogueMode.VO)))
    )
    assert names(bible) == ["MARA"]


def test_note_with_full_name_becomes_alias_and_description_of_the_cue_name():
    notes = [CharacterNote(name="MARA VOSS", description="40s, grey wool coat", line=2)]
    [mara] = build_bible(script(scene(say("MARA", 5)), notes=notes))
    assert mara.name == "MARA"
    assert mara.aliases == ["MARA VOSS"]
    assert mara.description == "40s, grey wool coat"


def test_note_aliases_are_kept_and_alias_cues_do_not_split_the_character():
    notes = [CharacterNote(name="林晓", aliases=["晓晓"], description="二十五岁，白衬衫", line=1)]
    bible = build_bible(script(scene(say("林晓", 3), say("晓晓", 4)), notes=notes))
    assert names(bible) == ["林晓"]
    assert bible[0].aliases == ["晓晓"]
    assert bible[0].description == "二十五岁，白衬衫"


def test_short_cue_after_full_name_cue_is_an_alias():
    bible = build_bible(script(scene(say("JONAH REED", 2), say("JONAH", 3))))
    assert names(bible) == ["JONAH REED"]
    assert bible[0].aliases == ["JONAH"]


def test_narrators_are_not_characters():
    source = script(scene(say("旁白", 2), say("NARRATOR", 3), say("画外音", 4), say("MARA", 5)))
    assert names(build_bible(source)) == ["MARA"]


def test_cast_list_characters_who_never_speak_are_in_the_bible():
    source = script(scene(say("王总", 3), line=1, characters=["王总", "保安"]))
    bible = build_bible(source)
    assert names(bible) == ["王总", "保安"]
    assert bible[1].first_scene == "1-1" and bible[1].first_line == 1


def test_bible_is_ordered_by_first_appearance_with_scene_and_line():
    first = scene(say("JONAH", 3), line=1)
    second = scene(
        Element(kind=K.ACTION, text="Lena waits in the car.", line=11), say("MARA", 12), line=10
    )
    third = scene(say("MARA", 21), say("LENA", 22), line=20)
    episodes = [
        ScriptEpisode(number=1, scenes=[first, second]),
        ScriptEpisode(number=2, scenes=[third]),
    ]
    bible = build_bible(script(episodes=episodes))
    assert names(bible) == ["JONAH", "LENA", "MARA"]
    assert [(c.first_scene, c.first_line) for c in bible] == [
        ("1-1", 3), ("1-2", 11), ("1-2", 12),
    ]


def test_noted_character_who_never_appears_comes_last_with_the_note_line():
    notes = [
        CharacterNote(name="父亲", description="已故", line=2),
        CharacterNote(name="林晓", description="女主", line=1),
    ]
    bible = build_bible(script(scene(say("林晓", 10), line=9), notes=notes))
    assert names(bible) == ["林晓", "父亲"]
    father = bible[1]
    assert (father.first_scene, father.first_line, father.biography) == (None, 2, "已故")
    assert bible[0].first_line == 10 and bible[0].first_scene == "1-1"


def test_scene_ids_skip_an_empty_preamble_like_the_breakdown():
    preamble = ScriptScene(heading="", elements=[Element(kind=K.NOTE, text="draft 2", line=1)])
    bible = build_bible(script(preamble, scene(say("MARA", 4), line=3)))
    assert bible[0].first_scene == "1-1"


def test_mentions_match_capitalised_names_but_not_ordinary_words():
    index = NameIndex(build_bible(script(scene(say("WILL", 2), say("MARA", 3), say("林晓", 4)))))
    assert index.mentioned("Mara says she will wait for Will.") == ["MARA", "WILL"]
    assert index.mentioned("林晓推开门，MARA跟在后面。") == ["林晓", "MARA"]
    assert index.mentioned("MARAS and WILLOW") == []
    assert index.mentioned("Nobody here.") == []


def test_bible_is_deterministic():
    source = script(scene(say("B", 2), say("A", 3), characters=["C"]))
    assert build_bible(source) == build_bible(source)
    assert names(build_bible(source)) == ["C", "B", "A"]
