"""The character bible: who is in the script, under which names, and where they first appear.

Rules (deterministic; the README quotes them):

- Every speaker is a character, once, under the cue name as written without extensions
  (`MARA (V.O.)` and `MARA` are one character, `MARA`).
- Crowds are not characters either (众人, 大家, 全员, EVERYONE): their lines are heard over the
  scene.
- Narrators are not characters: 旁白, 画外音, 解说, 字幕, NARRATOR, NARRATION and ANNOUNCER never
  enter the bible (their lines are still shots; see the breakdown). Nor are voices without a
  face (系统音, 系统, 广播, 机械音, 电台, 电视, 对讲机, SYSTEM, RADIO…): they get a voice, never an
  identity slot.
- Everyone listed on a scene's 人物： line is a character, and so is everyone the script
  introduces in a character note (剧本 人物表, Fountain "MARA VOSS (40s, grey coat)").
- A note belongs to a speaker when the note's name or one of its aliases equals the cue name,
  or when the note's name starts or ends with the cue name as a word ("MARA VOSS" → "MARA",
  "Ma Yihua" → "YIHUA": pinyin names put the given name last).
  The character keeps the cue name; the note's full name and aliases become aliases, and the
  note's description becomes the character's description. The first note (by line) wins.
- First appearance: the first scene (in script order) where the character speaks, is listed on
  the 人物： line or is named in an action; `first_line` is that element's (or heading's) line.
  A character only ever named in a note keeps the note's line and no scene.
- The bible is ordered by first appearance; characters that never appear in a scene come last,
  in note order.
- A name is "named in an action" when it occurs verbatim (Chinese names) or as a whole word in
  upper case, title case or as written (so "Mara" matches MARA, but "will" does not match WILL).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from shotcraft.shots.names import normalise_name
from shotcraft.storyboard.models import Character
from shotcraft.storyboard.script import CharacterNote, ElementKind, Script, ScriptScene

NARRATORS = frozenset(
    {"旁白", "画外音", "解说", "字幕", "NARRATOR", "NARRATION", "ANNOUNCER", "THE NARRATOR"}
)

_CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


VOICES = frozenset(
    {"系统音", "系统", "系统提示音", "系统提示", "系统声音", "机械音", "电子音", "广播", "广播音", "电台",
     "电视", "电视声", "收音机", "对讲机", "提示音", "导航", "SYSTEM", "RADIO", "TV", "PA"}
)


# a crowd speaking or listed as one: heard and seen as the scene, never an identity slot
GROUPS = frozenset({"众人", "大家", "众", "群众", "全员", "所有人", "众人齐声", "众人合", "合", "齐声",
                    "EVERYONE", "ALL", "CROWD", "THE CROWD", "EVERYBODY"})


def is_group(name: str | None) -> bool:
    """True for a crowd word (众人, 全员, 大家, EVERYONE): a group, not one character."""
    return name is not None and name.strip().upper() in GROUPS


def is_narrator(name: str | None) -> bool:
    """True for a speaker that is a voice, not a person in frame (旁白, NARRATOR...)."""
    return name is not None and name.strip().upper() in NARRATORS


def is_voice_only(name: str | None) -> bool:
    """True for a narrator or a voice without a face (系统音, 广播): heard, never in frame."""
    return is_narrator(name) or name is not None and name.strip().upper() in VOICES


def _key(name: str) -> str:
    """How two names are compared: one form (shots.names), then case-folded."""
    return normalise_name(name).casefold()


def _matches_note(cue: str, note: CharacterNote) -> bool:
    cue_key = _key(cue)
    if _key(note.name) == cue_key:
        return True
    if any(_key(alias) == cue_key for alias in note.aliases):
        return True
    name = _key(note.name)
    return name.startswith(cue_key + " ") or name.endswith(" " + cue_key)


class NameIndex:
    """Resolves any name, alias or cue to its character, and finds characters named in text."""

    def __init__(self, characters: Iterable[Character]) -> None:
        self._canonical: dict[str, str] = {}
        self._seen: dict[str, list[str]] = {}
        self._forms: list[tuple[str, str]] = []  # (form as it may appear in text, canonical)
        for character in characters:
            for name in [character.name, *character.aliases]:
                self._canonical.setdefault(_key(name), character.name)
                forms = {name} if _CJK_RE.search(name) else {name, name.upper(), name.title()}
                self._forms.extend((form, character.name) for form in sorted(forms))
        self._forms.sort(key=lambda pair: (-len(pair[0]), pair[0]))
        self._patterns = [
            (form, re.compile(re.escape(form)), not _CJK_RE.search(form), canonical)
            for form, canonical in self._forms
        ]

    def resolve(self, name: str | None) -> str | None:
        """The canonical character name for `name`, or None if it is nobody in the bible."""
        if not name:
            return None
        return self._canonical.get(_key(name))

    def mentioned(self, text: str) -> list[str]:
        """Characters named in `text`, in the order they are first named."""
        # the breakdown asks about each action up to three times (scene cast, shot, reaction)
        known = self._seen.get(text)
        if known is None:
            known = self._seen[text] = self._mentioned(text)
        return list(known)

    def _mentioned(self, text: str) -> list[str]:
        hits: list[tuple[int, str]] = []
        taken: list[tuple[int, int]] = []
        for form, pattern, latin, canonical in self._patterns:
            if form not in text:  # a substring test in C rules out most names before any regex
                continue
            for match in pattern.finditer(text):
                start, end = match.span()
                if latin and not _whole_word(text, start, end):
                    continue
                # a longer name already claimed this span ("MARA VOSS" before "MARA")
                if any(start < t_end and t_start < end for t_start, t_end in taken):
                    continue
                taken.append((start, end))
                hits.append((start, canonical))
        ordered: list[str] = []
        for _, canonical in sorted(hits):
            if canonical not in ordered:
                ordered.append(canonical)
        return ordered


def _whole_word(text: str, start: int, end: int) -> bool:
    # only Latin letters and digits glue words; "MARA跟在后面" still names MARA
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not _is_word_char(before) and not _is_word_char(after)


def _is_word_char(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char == "_")


def build_bible(script: Script) -> list[Character]:
    """Every character of the script once, with aliases, description and first appearance."""
    notes = sorted(script.character_notes, key=lambda n: (n.line is None, n.line or 0))
    characters: list[Character] = []
    used_notes: set[int] = set()

    def add(name: str) -> None:
        name = normalise_name(name)
        if not name or is_voice_only(name) or is_group(name) or _find(characters, name) is not None:
            return
        character = Character(name=name)
        for index, note in enumerate(notes):
            if index not in used_notes and _matches_note(name, note):
                used_notes.add(index)
                _apply_note(character, note)
                break
        characters.append(character)

    # cues and 人物： lines first, in script order, so the names people speak under stay canonical
    for episode in script.episodes:
        for scene in episode.scenes:
            for name in scene.characters:
                add(name)
            for element in scene.elements:
                if element.kind is ElementKind.DIALOGUE and element.speaker:
                    add(element.speaker)
    for index, note in enumerate(notes):
        if index in used_notes or is_voice_only(note.name) or _find(characters, note.name):
            continue
        character = Character(name=normalise_name(note.name))
        _apply_note(character, note)
        characters.append(character)

    positions = _record_first_appearances(script, characters)
    seen = sorted((c for c in characters if c.name in positions), key=lambda c: positions[c.name])
    return seen + [c for c in characters if c.name not in positions]


def _find(characters: list[Character], name: str) -> Character | None:
    """The character known as `name`; a cue that is the first word(s) of a name becomes an alias."""
    key = _key(name)
    for character in characters:
        if _key(character.name) == key or any(_key(a) == key for a in character.aliases):
            return character
    for character in characters:
        full = _key(character.name)
        if full.startswith(key + " ") or full.endswith(" " + key):
            character.aliases.append(normalise_name(name))
            return character
    return None


def _apply_note(character: Character, note: CharacterNote) -> None:
    for alias in [normalise_name(note.name), *map(normalise_name, note.aliases)]:
        if alias and alias != character.name and alias not in character.aliases:
            character.aliases.append(alias)
    # what reaches prompts is how they look; the biography stays in the script's notes
    if note.appearance or note.description:
        character.description = note.appearance or note.description
    character.first_line = note.line


def scene_has_content(scene: ScriptScene) -> bool:
    """A script scene becomes a storyboard scene if it has a heading or anything that is a shot."""
    if scene.heading.strip():
        return True
    return any(
        el.kind in (ElementKind.ACTION, ElementKind.DIALOGUE, ElementKind.CENTERED)
        for el in scene.elements
    )


def scene_ids(script: Script) -> Iterator[tuple[str, ScriptScene]]:
    """(scene id, script scene) pairs with the ids the breakdown gives scenes ("E-S")."""
    for episode in script.episodes:
        number = 0
        for scene in episode.scenes:
            if not scene_has_content(scene):
                continue
            number += 1
            yield f"{episode.number}-{number}", scene


def _record_first_appearances(
    script: Script, characters: list[Character]
) -> dict[str, tuple[int, int]]:
    """Set first_scene/first_line; return each seen character's script-order position."""
    index = NameIndex(characters)
    by_name = {c.name: c for c in characters}
    positions: dict[str, tuple[int, int]] = {}
    for scene_pos, (scene_id, scene) in enumerate(scene_ids(script)):
        appearances: list[tuple[int, int, str]] = []  # (element order, line, name)
        for name in scene.characters:
            canonical = index.resolve(name)
            if canonical:
                appearances.append((-1, scene.line, canonical))
        for order, element in enumerate(scene.elements):
            names: list[str] = []
            if element.kind is ElementKind.DIALOGUE:
                canonical = index.resolve(element.speaker)
                names = [canonical] if canonical else []
            elif element.kind in (ElementKind.ACTION, ElementKind.CENTERED):
                names = index.mentioned(element.text)
            appearances.extend((order, element.line, name) for name in names)
        for order, line, name in appearances:
            if name in positions:
                continue
            positions[name] = (scene_pos, order)
            by_name[name].first_scene = scene_id
            by_name[name].first_line = line
    return positions
