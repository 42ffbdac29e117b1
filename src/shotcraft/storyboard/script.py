"""The parsed script: what the writer wrote, in order, before any shot decisions.

Both parsers (Fountain, 剧本) produce a `Script`; the breakdown turns it into a Storyboard. Every
element keeps its 1-based line number in the source file so errors and shots can point back.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from shotcraft.shots.models import DialogueMode
from shotcraft.storyboard.text import TextReading


class ScriptFormat(StrEnum):
    FOUNTAIN = "fountain"
    JUBEN = "juben"  # Chinese 剧本 format


class ElementKind(StrEnum):
    ACTION = "action"  # Fountain action paragraph / 剧本 △ line
    DIALOGUE = "dialogue"  # one speech: speaker + text (+ parenthetical, mode)
    TRANSITION = "transition"  # CUT TO: / 【转场】
    CENTERED = "centered"  # Fountain > text <
    LYRIC = "lyric"  # Fountain ~
    NOTE = "note"  # scene notes kept for the director (剧本 【闪回】 markers); never a shot
    SECTION = "section"  # Fountain # (structure only)
    SYNOPSIS = "synopsis"  # Fountain = (structure only)
    PAGE_BREAK = "page_break"  # Fountain ===


class Element(BaseModel):
    kind: ElementKind
    text: str = ""
    line: int  # 1-based line in the source where the element starts
    speaker: str | None = None  # dialogue: the character's canonical name (extensions stripped)
    speaker_cue: str | None = None  # dialogue: the cue as written, e.g. "MARA (V.O.)"
    parenthetical: str | None = None  # dialogue: (beat) / （冷笑）
    mode: DialogueMode | None = None  # dialogue: OS / VO
    dual: bool = False  # Fountain dual dialogue (^)
    level: int | None = None  # section depth
    # note: what the writer's note is — subtitle (字幕 card), sound (音效/音乐), camera (镜头语言),
    # effect (特效), flashback (闪回/回忆), end (本集完); None for any other note
    note_kind: str | None = None


class ScriptScene(BaseModel):
    number: str | None = None  # as written: "1-1", "12" (Fountain #12#), "场1" → "1"
    heading: str = ""  # the full heading line as written (markup stripped)
    location: str = ""
    time: str | None = None  # 日/夜/晨/黄昏 or DAY/NIGHT/...
    interior: bool | None = None  # True 内/INT, False 外/EXT, None unknown or both (I/E)
    characters: list[str] = Field(default_factory=list)  # 人物： list, canonical names
    elements: list[Element] = Field(default_factory=list)
    line: int = 1


# the highest episode number a script may give: a series of a few hundred episodes is long;
# a number past this is a typo (and past 2**63 - 1 the database could not even store it)
MAX_EPISODE = 9999


class ScriptEpisode(BaseModel):
    number: int
    title: str | None = None
    scenes: list[ScriptScene] = Field(default_factory=list)
    line: int = 1


class CharacterNote(BaseModel):
    """What the script says about a character where it introduces them."""

    name: str
    description: str | None = None  # who they are (biography, role), as the script says it
    appearance: str | None = None  # how they look (外貌/形象/造型 lines), kept apart from biography
    aliases: list[str] = Field(default_factory=list)
    line: int | None = None


class ScriptWarning(BaseModel):
    """Something a reader noticed that may have been read wrong, for the import report."""

    kind: str  # heading_not_read, speaker_like_character, prose, episode_without_scene, …
    line: int | None = None
    message: str


class Script(BaseModel):
    format: str  # the script format's name: a ScriptFormat, or a plugin's (storyboard/formats.py)
    path: str | None = None
    title: str | None = None
    title_page: dict[str, str] = Field(default_factory=dict)
    language: str = "en"  # "zh" or "en": drives speaking rate and prompt wording
    episodes: list[ScriptEpisode] = Field(default_factory=list)
    # introductions the parser recognised (剧本 人物表, Fountain "MARA VOSS (40s, coat)")
    character_notes: list[CharacterNote] = Field(default_factory=list)
    warnings: list[ScriptWarning] = Field(default_factory=list)
    reading: TextReading | None = None  # how the file was read (encoding, hygiene)

    def dialogue_count(self) -> int:
        return sum(
            1
            for ep in self.episodes
            for sc in ep.scenes
            for el in sc.elements
            if el.kind is ElementKind.DIALOGUE
        )

    def action_count(self) -> int:
        return sum(
            1
            for ep in self.episodes
            for sc in ep.scenes
            for el in sc.elements
            if el.kind is ElementKind.ACTION
        )
