"""What the 剧本 reader does once the last line is read (for `storyboard.juben`): speakers written
with a manner become the character they name, prose under no heading becomes the story, and the
speaker warnings only the whole script can show.
"""

from __future__ import annotations

import re
from collections import Counter

from shotcraft.storyboard import juben_words as w
from shotcraft.storyboard.script import Element, ElementKind, Script, ScriptWarning

__all__ = ["speaker_warnings", "split_manners", "story_without_headings"]

_SENTENCE_END = re.compile("[。！？!?…]")


def _dialogue(script: Script) -> list[Element]:
    return [el for ep in script.episodes for sc in ep.scenes for el in sc.elements
            if el.kind is ElementKind.DIALOGUE and el.speaker]


def story_without_headings(script: Script, loose_lines: list[tuple[int, str]],
                           implicit_episode: bool) -> None:
    """Prose before a first speech in a script with no header at all is the story, not a
    synopsis: 《雨夜归来》 / 深夜，车站下着大雨。 / 旁白：… is one scene of two actions and a line."""
    episodes = script.episodes
    if (not loose_lines or len(episodes) != 1 or not implicit_episode
            or any(sc.heading for sc in episodes[0].scenes)):
        return
    scene = episodes[0].scenes[0]
    scene.elements[:0] = [Element(kind=ElementKind.ACTION, text=text, line=line)
                          for line, text in loose_lines]
    scene.line = loose_lines[0][0]
    loose = {text for _, text in loose_lines}
    kept = [line for line in script.title_page.get("synopsis", "").split("\n") if line not in loose]
    if kept:
        script.title_page["synopsis"] = "\n".join(kept)
    else:
        script.title_page.pop("synopsis", None)


def split_manners(script: Script, known: set[str]) -> None:
    """`周丽阴阳怪气：` said once beside many `周丽：` is 周丽 with the manner 阴阳怪气; `known`
    are the names of cast lists and notes."""
    dialogue = _dialogue(script)
    said: Counter[str] = Counter(el.speaker or "" for el in dialogue)
    # names from cast lists first (longest first), then cues said at least twice
    cast = sorted(known, key=len, reverse=True)
    repeated = sorted((n for n, count in said.items() if count >= 2 and n not in known),
                      key=len, reverse=True)
    for el in dialogue:
        speaker = el.speaker or ""
        manners: list[str] = []
        while speaker not in known and not w.is_voice(speaker):
            name = next((n for n in (*cast, *repeated) if n != speaker
                         and w.manner_after(n, speaker) is not None), None)
            if name is None:
                break
            manners.insert(0, speaker[len(name):].strip())
            speaker = name
        if not manners:
            continue
        el.speaker = speaker
        manner_mode, manner = w.split_mode("，".join(manners))
        el.mode = el.mode or manner_mode
        if manner:
            el.parenthetical = f"{manner}，{el.parenthetical}" if el.parenthetical else manner


def speaker_warnings(script: Script, known: set[str]) -> list[ScriptWarning]:
    """A speech that lists the cast (物：甲、乙、丙) and a speaker seen once that holds a known
    character's name (突然马超)."""
    dialogue = _dialogue(script)
    said = Counter(el.speaker or "" for el in dialogue)
    names = known | {n for n, count in said.items() if count >= 2}
    warnings = []
    for el in dialogue:
        speaker, text = el.speaker or "", el.text
        listy = (len(text) <= 80 and text.count("、") + text.count("，") >= 2
                 and not _SENTENCE_END.search(text))
        items = w.split_list(text) if listy else []
        if len(items) >= 3 and sum(item in known for item in items) >= len(items) * 0.6:
            warnings.append(ScriptWarning(
                kind="cast_list_as_speech", line=el.line,
                message=f"the line of {speaker!r} is a list of characters: is it a cast list "
                        "(人物：…) with a typo?"))
            continue
        if said[speaker] != 1 or speaker in known:
            continue
        other = next((n for n in names if n != speaker and len(n) >= 2
                      and (speaker.startswith(n) or speaker.endswith(n))), None)
        if other:
            warnings.append(ScriptWarning(
                kind="speaker_like_character", line=el.line,
                message=f"speaker {speaker!r} is seen once and holds the character {other!r}; is "
                        f"it {other} with a manner, or someone else?"))
    return warnings
