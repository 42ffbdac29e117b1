"""Fountain screenplays → `Script`.

Fountain (https://fountain.io/syntax) is plain text where layout is meaning: a blank line before
an all-caps line makes it a character cue, `INT.` makes a scene heading, and so on. The parser
works in three passes so that every line number points at the source file:

1. hide boneyard `/* */` and notes `[[ ]]` without moving any line;
2. read the title page (a `Key: value` block at the top);
3. walk the body line by line, with one line of look-behind and one of look-ahead.

Episodes come from sections named like one (`# Episode 2: The Return`, `# 第二集`). Every input
gives a `Script` or a `ScriptError` naming the line; no other exception escapes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from shotcraft.shots.errors import ScriptError
from shotcraft.shots.models import DialogueMode
from shotcraft.storyboard.numerals import NUMERAL, parse_number
from shotcraft.storyboard.script import (
    MAX_EPISODE,
    CharacterNote,
    Element,
    ElementKind,
    Script,
    ScriptEpisode,
    ScriptFormat,
    ScriptScene,
)

__all__ = ["parse_fountain"]

Line = tuple[int, str]  # (1-based line number in the source, text)

_TITLE_KEYS = {
    "title", "credit", "author", "authors", "source", "draft date", "date", "contact",
    "copyright", "notes", "revision", "episode", "series", "written by", "logline", "format",
}
_TITLE_KEY_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9 _'\-]{0,39}?)\s*:\s*(.*)$")

_HEADING = re.compile(r"^(int\.?/ext|ext\.?/int|i/e|e/i|int|ext|est)(?:\.|\s)", re.IGNORECASE)
_FORCED_HEADING = re.compile(r"^\.(?=\w)")
_SCENE_NUMBER = re.compile(r"\s*#([\w.\-]+)#\s*$")
_TIME_SPLIT = re.compile(r"\s+[-–—]+\s+")
_INTERIOR = {"INT": True, "EXT": False, "EST": False}  # establishing shots are exteriors

_PAGE_BREAK = re.compile(r"^={3,}$")
_PARENTHETICAL = re.compile(r"^[(（](.*)[)）]$")
_EXTENSION = re.compile(r"[(（]([^()（）]*)[)）]")
_EXTENSION_MODE = {
    "VO": DialogueMode.VO, "旁白": DialogueMode.VO,
    "OS": DialogueMode.OS, "OC": DialogueMode.OS, "OFF": DialogueMode.OS,
    "画外音": DialogueMode.OS, "内心": DialogueMode.OS, "内心独白": DialogueMode.OS,
}
_CJK_NAME = re.compile(r"^[\u3400-\u9fff\uf900-\ufaff·]{1,6}$")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")  # + punctuation

_EPISODE_EN = re.compile(r"^(?:episode|ep)\.?\s*(\d+)\s*[:.\-–—]?\s*(.*)$", re.IGNORECASE)
_EPISODE_ZH = re.compile(rf"^第\s*([-－]?\s*{NUMERAL})\s*[集话話回]\s*[:：.\-–—]?\s*(.*)$")

_CAPS_WORD = r"[A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ'’\-]*[A-ZÀ-ÖØ-Þ]"
_CAPS_NAME = rf"(?<![\w'’]){_CAPS_WORD}(?: {_CAPS_WORD})*(?!\w)"
_CAPS_RUN = re.compile(_CAPS_NAME)
_INTRO = re.compile(rf"({_CAPS_NAME})\s*\(([^()\n]*)\)")
# all-caps words screenplays use in action that are not people
_NOT_NAMES = {"POV", "CCTV", "TV", "OS", "VO", "CU", "ECU", "SFX", "FX", "INSERT", "SUPER",
              "FLASHBACK", "MONTAGE", "INTERCUT", "CONTINUOUS", "LATER", "CLOSE ON", "ANGLE ON"}

# spans are bounded so a long line full of stray * or _ stays linear, not quadratic
_EMPHASIS = re.compile(
    r"(\*{1,3})(?=\S)(.{1,2000}?)(?<=\S)\1|(?<!\w)_(?=\S)(.{1,2000}?)(?<=\S)_(?!\w)"
)


# FADE IN: / FADE OUT. / FADE TO BLACK. stand alone like CUT TO: and are transitions too
_FADE = re.compile(r"(?:FADE (?:IN|OUT|TO BLACK)|CUT TO BLACK)[.:]?$")

def parse_fountain(text: str, *, path: str | None = None) -> Script:
    """Parse Fountain `text` into a Script; raise ScriptError naming the line if it is malformed."""
    try:
        return _parse(text, path)
    except ScriptError:
        raise
    except Exception as exc:  # the contract: a Script or a ScriptError, whatever the input
        raise ScriptError(
            f"the Fountain parser failed unexpectedly ({type(exc).__name__}); "
            "please report this script",
            file=path,
        ) from exc


def _parse(text: str, path: str | None) -> Script:
    if not isinstance(text, str):
        raise ScriptError("expected the script as text, not bytes or another object", file=path)
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = _drop_soft_blanks(_hide_comments(text, path))
    if not any(s.strip() for _, s in lines):
        raise ScriptError(
            "the script is empty; expected a title page, a scene heading or some action",
            file=path, line=1,
        )
    title_page, body = _read_title_page(lines)
    reader = _BodyReader(path)
    reader.read(body)
    episodes = reader.finish()
    if not reader.has_story:
        last = body[-1][0] if body else lines[-1][0]
        raise ScriptError(
            "the script has no scene heading, action or dialogue; "
            "expected the story after the title page and sections",
            file=path, line=last,
        )
    title = next((v for k, v in title_page.items() if k.lower() == "title"), None)
    notes = _character_notes(reader)
    return Script(
        format=ScriptFormat.FOUNTAIN,
        path=path,
        title=" ".join(title.split("\n")) if title else None,
        title_page=title_page,
        language=_language(episodes),
        episodes=episodes,
        character_notes=notes,
    )


# ---------------------------------------------------------------- pass 1: boneyard and notes


def _hide_comments(text: str, path: str | None) -> list[Line]:
    """Remove `/* */` and `[[ ]]` but keep every newline; drop lines that held only hidden text."""
    pieces: list[str] = []
    touched: set[int] = set()  # 0-based lines that lost something
    pos, line = 0, 0  # `line` is the 0-based line of `pos`
    bone = note = -2  # next "/*" and "[[" at or after pos; refreshed only once passed
    while True:
        if -1 < bone < pos or bone == -2:
            bone = text.find("/*", pos)
        if -1 < note < pos or note == -2:
            note = text.find("[[", pos)
        starts = [i for i in (bone, note) if i >= 0]
        if not starts:
            pieces.append(text[pos:])
            break
        start = min(starts)
        pieces.append(text[pos:start])
        first = line + text.count("\n", pos, start)
        if start == bone:
            end = text.find("*/", start + 2)
            if end < 0:
                raise ScriptError(
                    f"the boneyard opened with /* on line {first + 1} is never closed with */",
                    file=path, line=first + 1,
                )
        else:
            end = text.find("]]", start + 2)
            if end < 0:
                raise ScriptError(
                    f"the note opened with [[ on line {first + 1} is never closed with ]]",
                    file=path, line=first + 1,
                )
            blank = text.find("\n\n", start, end)
            if blank >= 0:  # Fountain notes may not hold an empty line; a stray [[ is likelier
                raise ScriptError(
                    f"the note opened with [[ on line {first + 1} is not closed with ]] before "
                    f"the empty line {first + 2 + text.count(chr(10), start, blank)}",
                    file=path, line=first + 1,
                )
        stop = end + 2
        newlines = text.count("\n", start, stop)
        touched.update(range(first, first + newlines + 1))
        pieces.append("\n" * newlines)
        pos, line = stop, first + newlines
    original = text.split("\n")
    kept = "".join(pieces).split("\n")
    return [
        (i + 1, s)
        for i, s in enumerate(kept)
        if not (i in touched and not s.strip() and original[i].strip())
    ]


def _drop_soft_blanks(lines: list[Line]) -> list[Line]:
    """A line of two or more spaces between text lines keeps a block together (Fountain rule)."""

    def solid(k: int) -> bool:
        return 0 <= k < len(lines) and bool(lines[k][1].strip())

    return [
        (n, s)
        for k, (n, s) in enumerate(lines)
        if not (len(s) >= 2 and s.strip(" ") == "" and solid(k - 1) and solid(k + 1))
    ]


# ---------------------------------------------------------------- pass 2: title page


def _read_title_page(lines: list[Line]) -> tuple[dict[str, str], list[Line]]:
    k = 0
    while k < len(lines) and not lines[k][1].strip():
        k += 1
    first = _TITLE_KEY_LINE.match(lines[k][1]) if k < len(lines) else None
    if not first or first.group(1).strip().lower() not in _TITLE_KEYS:
        return {}, lines
    values: dict[str, list[str]] = {}
    key = ""
    while k < len(lines) and lines[k][1].strip():
        raw = lines[k][1]
        match = _TITLE_KEY_LINE.match(raw)
        if match and not raw[:1].isspace():
            key = match.group(1).strip()
            values.setdefault(key, [])
            if match.group(2).strip():
                values[key].append(_plain(match.group(2)).strip())
        elif raw[:1].isspace() or not values[key]:
            values[key].append(_plain(raw).strip())
        else:
            break  # an unindented non-key line: the body starts without a blank line
        k += 1
    return {key: "\n".join(v) for key, v in values.items()}, lines[k:]


# ---------------------------------------------------------------- pass 3: the body


@dataclass
class _Mention:
    """An all-caps name seen in action, with the scene it was seen in."""

    name: str
    line: int
    scene: ScriptScene
    description: str | None = None
    intro: bool = False


@dataclass
class _BodyReader:
    path: str | None
    episodes: list[ScriptEpisode] = field(default_factory=list)
    scene: ScriptScene | None = None
    pending: list[Element] = field(default_factory=list)  # structure waiting for what follows
    action: list[Line] = field(default_factory=list)
    mentions: list[_Mention] = field(default_factory=list)
    speakers: dict[str, None] = field(default_factory=dict)  # ordered set
    implicit_episode: bool = True
    has_story: bool = False

    def __post_init__(self) -> None:
        self.episodes.append(ScriptEpisode(number=1, line=1))

    def read(self, lines: list[Line]) -> None:
        at_start = True  # the previous line was blank, or a one-line element
        k = 0
        while k < len(lines):
            n, raw = lines[k]
            s = raw.strip()
            next_blank = k + 1 >= len(lines) or not lines[k + 1][1].strip()
            if not s:
                self._flush_action()
                at_start = True
            elif s.startswith("!"):
                self._add_action(n, s[1:])
                at_start = False
            elif self._structure(n, s):
                at_start = True
            elif s.startswith("~"):
                self._flush_action()
                self._lyric(n, s[1:], joins=k > 0 and lines[k - 1][1].strip().startswith("~"))
                at_start = False
            elif at_start and self._heading(n, s, next_blank):
                at_start = True
            elif at_start and _is_upper(s) and (s.endswith("TO:") or _FADE.match(_plain(s))):
                self._add(Element(kind=ElementKind.TRANSITION, text=_plain(s), line=n))
                at_start = True
            elif not next_blank and (at_start or s.startswith("@")) and (cue := _cue(s)):
                k = self._dialogue(lines, k, cue)
                at_start = False
                continue
            else:
                self._add_action(n, s)
                at_start = False
            k += 1
        self._flush_action()

    def finish(self) -> list[ScriptEpisode]:
        self._close_episode()
        return self.episodes

    # -- one-line elements

    def _structure(self, n: int, s: str) -> bool:
        """Page breaks, synopses, sections, centered text and forced transitions."""
        if _PAGE_BREAK.match(s):
            element = Element(kind=ElementKind.PAGE_BREAK, line=n)
        elif s.startswith("="):
            element = Element(kind=ElementKind.SYNOPSIS, text=_plain(s[1:]).strip(), line=n)
        elif s.startswith("#"):
            level = len(s) - len(s.lstrip("#"))
            text = _plain(s[level:]).strip()
            self._flush_action()
            if (episode := _episode_marker(text)) is not None:
                self._start_episode(n, *episode)
            elif text:
                self.pending.append(Element(kind=ElementKind.SECTION, text=text, line=n,
                                            level=level))
            return True
        elif s.startswith(">") and s.endswith("<") and len(s) >= 2:
            element = Element(kind=ElementKind.CENTERED, text=_plain(s[1:-1]).strip(), line=n)
        elif s.startswith(">"):
            element = Element(kind=ElementKind.TRANSITION, text=_plain(s[1:]).strip(), line=n)
        else:
            return False
        self._flush_action()
        if element.kind in (ElementKind.PAGE_BREAK, ElementKind.SYNOPSIS):
            if element.kind is ElementKind.PAGE_BREAK or element.text:
                self.pending.append(element)
        elif element.text:
            self._add(element)
        return True

    def _lyric(self, n: int, text: str, *, joins: bool) -> None:
        text = _plain(text).strip()
        last = self.scene.elements[-1] if self.scene and self.scene.elements else None
        if joins and last is not None and last.kind is ElementKind.LYRIC and not self.pending:
            last.text = f"{last.text}\n{text}".strip("\n")
        elif text:
            self._add(Element(kind=ElementKind.LYRIC, text=text, line=n))

    def _heading(self, n: int, s: str, next_blank: bool) -> bool:
        forced = bool(_FORCED_HEADING.match(s))
        if not forced and not _HEADING.match(s):
            return False
        if not (forced or next_blank or not any(c.islower() for c in s)):
            return False  # "Est. 1920, the house..." running into more text is action
        self._flush_action()
        self._open_scene(_scene_from_heading(n, s[1:] if forced else s))
        self.has_story = True
        return True

    # -- action and dialogue

    def _add_action(self, n: int, s: str) -> None:
        self.action.append((n, s))

    def _flush_action(self) -> None:
        if not self.action:
            return
        lines, self.action = self.action, []
        texts = [_plain(s).strip() for _, s in lines]
        if not any(texts):
            return
        first = next(n for (n, _), t in zip(lines, texts, strict=True) if t)
        self._add(Element(kind=ElementKind.ACTION, text="\n".join(texts).strip("\n"), line=first))
        assert self.scene is not None
        for (n, _), t in zip(lines, texts, strict=True):
            self._note_mentions(n, t)

    def _note_mentions(self, n: int, text: str) -> None:
        assert self.scene is not None
        intros = {m.start(1): m for m in _INTRO.finditer(text)}
        for run in _CAPS_RUN.finditer(text):
            name = run.group(0)
            if name in _NOT_NAMES:
                continue
            intro = intros.get(run.start())
            description = (intro.group(2).strip() or None) if intro else None
            self.mentions.append(_Mention(name, n, self.scene, description, intro is not None))

    def _dialogue(self, lines: list[Line], k: int, cue: _Cue) -> int:
        """Read the speech after a cue up to the next blank line; return that line's index."""
        n = lines[k][0]
        self._flush_action()
        spoken: list[str] = []
        parentheticals: list[str] = []
        k += 1
        while k < len(lines) and lines[k][1].strip():
            s = lines[k][1].strip()
            if match := _PARENTHETICAL.match(s):
                if inner := _plain(match.group(1)).strip():
                    parentheticals.append(inner)
            elif text := _plain(s.removeprefix("~")).strip():
                spoken.append(text)
            k += 1
        self._add(Element(
            kind=ElementKind.DIALOGUE,
            text=_join_spoken(spoken),
            line=n,
            speaker=cue.speaker,
            speaker_cue=cue.written,
            parenthetical="; ".join(parentheticals) or None,
            mode=cue.mode,
            dual=cue.dual,
        ))
        self.speakers.setdefault(cue.speaker, None)
        return k

    # -- scenes and episodes

    def _add(self, element: Element) -> None:
        if self.scene is None:
            self._open_scene(ScriptScene(line=(self.pending or [element])[0].line))
        assert self.scene is not None
        self.scene.elements.extend(self.pending)
        self.pending.clear()
        self.scene.elements.append(element)
        self.has_story = True

    def _open_scene(self, scene: ScriptScene) -> None:
        scene.elements.extend(self.pending)
        self.pending.clear()
        self.episodes[-1].scenes.append(scene)
        self.scene = scene

    def _close_episode(self) -> None:
        self._flush_action()
        if self.pending:
            if self.scene is None:
                self._open_scene(ScriptScene(line=self.pending[0].line))
            else:
                self.scene.elements.extend(self.pending)
                self.pending.clear()
        self.scene = None

    def _start_episode(self, n: int, number: int, title: str | None) -> None:
        self._close_episode()
        if number < 1:
            raise ScriptError(
                f"episode numbers start at 1, but the section on line {n} has episode number "
                f"{number}", file=self.path, line=n,
            )
        if number > MAX_EPISODE:
            raise ScriptError(
                f"episode numbers go up to {MAX_EPISODE}, but the section on line {n} has "
                f"episode number {number}", file=self.path, line=n,
            )
        for episode in self.episodes if not self.implicit_episode else []:
            if episode.number == number:
                raise ScriptError(
                    f"episode {number} appears twice (lines {episode.line} and {n}); "
                    "expected each episode number once",
                    file=self.path, line=n,
                )
        if self.implicit_episode:
            # anything before the first episode section belongs to that episode
            episode = self.episodes[-1]
            episode.number, episode.title, episode.line = number, title, n
            self.implicit_episode = False
        else:
            self.episodes.append(ScriptEpisode(number=number, title=title, line=n))


# ---------------------------------------------------------------- line helpers


@dataclass
class _Cue:
    speaker: str  # canonical: extensions and markers stripped, whitespace normalised
    written: str
    mode: DialogueMode | None
    dual: bool


def _cue(s: str) -> _Cue | None:
    """Read a character cue like `MARA (V.O.)`, `@McCLANE` or `JUNE ^`; None if it is not one."""
    forced = s.startswith("@")
    body = s[1:] if forced else s
    dual = body.endswith("^")
    body = _plain(body.removesuffix("^")).strip()
    cut = min((i for i in (body.find("("), body.find("（")) if i >= 0), default=len(body))
    name, rest = " ".join(body[:cut].split()), body[cut:]
    if not name or _EXTENSION.sub("", rest).strip():
        return None  # text after the extensions: a sentence, not a cue
    if not forced and not (_is_upper(name) or _CJK_NAME.match(name)):
        return None
    mode = None
    for extension in _EXTENSION.findall(rest):
        key = re.sub(r"[\s.'’/]", "", extension).upper()
        mode = _EXTENSION_MODE.get(key, mode)
    return _Cue(speaker=name, written=" ".join(body.split()), mode=mode, dual=dual)


def _scene_from_heading(n: int, s: str) -> ScriptScene:
    number = None
    if match := _SCENE_NUMBER.search(s):
        number, s = match.group(1), s[: match.start()]
    heading = _plain(s).strip()
    interior, rest = None, heading
    if match := _HEADING.match(heading):
        interior = _INTERIOR.get(match.group(1).upper())
        rest = heading[match.end():].lstrip(". ")
    splits = list(_TIME_SPLIT.finditer(rest))
    if splits:
        location, time = rest[: splits[-1].start()], rest[splits[-1].end():].strip() or None
    else:
        location, time = rest, None
    return ScriptScene(number=number, heading=heading, location=location.strip(), time=time,
                       interior=interior, line=n)


def _episode_marker(text: str) -> tuple[int, str | None] | None:
    """`Episode 2: The Return` → (2, "The Return"); `第二集` → (2, None); other sections → None."""
    if match := _EPISODE_EN.match(text):
        number = int(match.group(1))
    elif match := _EPISODE_ZH.match(text):
        parsed = parse_number(match.group(1))
        if parsed is None:  # 十十集 is a section title, not an episode
            return None
        number = parsed
    else:
        return None
    return number, match.group(2).strip() or None


def _is_upper(s: str) -> bool:
    return any(c.isupper() for c in s) and not any(c.islower() for c in s)


def _plain(text: str) -> str:
    """Strip emphasis markup (`*`, `**`, `***`, `_`); `\\*` and `\\_` keep a literal character."""
    if "*" not in text and "_" not in text:
        return text
    star, under = (_unused(text, base) for base in (0xE000, 0xE100))
    text = text.replace("\\*", star).replace("\\_", under)
    for _ in range(4):  # nested emphasis peels one layer per pass
        stripped = _EMPHASIS.sub(lambda m: m.group(2) or m.group(3) or "", text)
        if stripped == text:
            break
        text = stripped
    return text.replace(star, "*").replace(under, "_")


def _unused(text: str, base: int) -> str:
    """A private-use character absent from `text`, to stand in for an escape while stripping."""
    code = base
    while chr(code) in text:
        code += 1
    return chr(code)


def _join_spoken(parts: list[str]) -> str:
    text = ""
    for part in parts:
        # Chinese lines run on without a space; other languages get one
        glue = "" if not text or (_CJK.match(text[-1]) and _CJK.match(part[0])) else " "
        text = f"{text}{glue}{part}"
    return text


def _language(episodes: list[ScriptEpisode]) -> str:
    han = other = 0
    for episode in episodes:
        for scene in episode.scenes:
            for text in [scene.heading, *(el.text for el in scene.elements)]:
                for ch in text:
                    if _HAN.match(ch):
                        han += 1
                    elif ch.isalpha():
                        other += 1
    return "zh" if han > other else "en"


def _character_notes(reader: _BodyReader) -> list[CharacterNote]:
    """Introductions (`MARA VOSS (40s, coat)`), then caps names in action that later speak."""
    notes: dict[str, CharacterNote] = {}
    for mention in reader.mentions:
        if mention.intro and mention.name not in notes:
            notes[mention.name] = CharacterNote(
                name=mention.name, description=mention.description, line=mention.line
            )
    # a speaker named by one word of exactly one introduced name is that character
    claims: dict[str, list[str]] = {}
    for name in notes:
        for speaker in reader.speakers:
            if speaker != name and speaker in name.split():
                claims.setdefault(speaker, []).append(name)
    for speaker, names in claims.items():
        if len(names) == 1:
            notes[names[0]].aliases.append(speaker)
    covered = set(notes) | {alias for note in notes.values() for alias in note.aliases}
    for mention in reader.mentions:
        if mention.name in reader.speakers and mention.name not in covered:
            notes[mention.name] = CharacterNote(name=mention.name, line=mention.line)
            covered.add(mention.name)
    _fill_scene_characters(reader, notes)
    return sorted(notes.values(), key=lambda note: note.line or 0)


def _fill_scene_characters(reader: _BodyReader, notes: dict[str, CharacterNote]) -> None:
    """Each scene lists who appears in order: speakers, and introduced characters (by the name
    they speak under, so MARA VOSS introduced and MARA speaking is one person)."""
    seen: dict[int, list[tuple[int, str]]] = {}
    for mention in reader.mentions:
        note = notes.get(mention.name)
        if mention.intro and note is not None:
            name = note.aliases[0] if len(note.aliases) == 1 else note.name
            seen.setdefault(id(mention.scene), []).append((mention.line, name))
    for episode in reader.episodes:
        for scene in episode.scenes:
            events = seen.get(id(scene), []) + [
                (el.line, el.speaker)
                for el in scene.elements
                if el.kind is ElementKind.DIALOGUE and el.speaker
            ]
            for _, name in sorted(events, key=lambda event: event[0]):
                if name not in scene.characters:
                    scene.characters.append(name)
