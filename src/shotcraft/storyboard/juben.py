"""Chinese 剧本 (vertical short-drama script) → `Script`: the line layout writers use.

The format as short-drama writers use it, line by line (full- and half-width punctuation,
digits and brackets are interchangeable everywhere; Markdown `#` headings and `**bold**` are
read as the plain line they wrap)::

    《契约新娘》 / 片名：… / "Title"      title
    人物介绍 / 【人物小传】 / Characters:  cast block: 顾言：28岁，总裁 → CharacterNote
                                        (numbered entries, 外貌：/形象： lines → appearance)
    第1集 / 第二集：标题 / 【第3集】 / Episode 1: 标题      episode header
    1-1 日 内 地点 / 场1-1 ⽇ 内 地点 / 第1场 / 场景2：地点 / 1—1场景：日，外，地点 /
    【1-1】 / 1. 地点 日 / Scene 1-1: EXT. PLACE - DAY / EXT. PLACE - DAY     scene header
    1-1 日 外 地点 人物：甲、乙          heading and cast on one line
    人物：顾言（28岁，冷峻）、林晚晚 / 出场人物： / 登场： / 人：   the scene's characters
    △顾言推门而入。                     action (△ ▲ ∆ ※ ◆ ●; unmarked narrative is action too)
    顾言（冷笑）：你也配？               dialogue; OS/VO from 顾言OS：, （OS，咬牙）, 旁白：, 画外音
    沈乐着急：… / 周丽阴阳怪气：…        a known character + a manner: speaker 沈乐, (着急)
    [旁白|沉稳]：… / 【画外音】           bracketed speakers; 系统音：/广播： voices without a face
    【闪回】 / 【字幕：三年后】 / 【音效：…】 / 【镜头语言：…】   notes, by kind (never a shot)
    【转场】 / 转场：三年后               transition

Decisions, so the breakdown and the writers know what to expect:

- Before the first episode or scene header is the front matter: title, 编剧/类型/… (into
  `title_page`), a 人物表/人物小传 block (`name：description` lines, also numbered `1.林叶：…`,
  also several `名（17）：…` entries on one line, become character notes, not dialogue; 外貌：
  and 形象： lines under an entry are that character's appearance, 身份：/性格： lines its
  biography) and plain synopsis lines (into `title_page["synopsis"]`). 【正文】 ends it. A △
  action, a dialogue line outside the cast block, a marker or a 人物： line there opens an
  implicit episode 1 and an implicit scene (number None, empty heading); so does content after
  an episode header but before its first scene header. A later explicit 第1集 adopts it.
- A Markdown heading that is no episode or scene header (`## 使用说明`, `### 子场景1-1：特写`)
  is a SECTION: structure only. A line after a bare heading (`### 场1-2`) that gives only its
  time and place (`日 内 灵山大雄宝殿`) completes it.
- 【闪回】, 【字幕：…】 and any other whole-line 【…】 marker is a NOTE (`note_kind` says what it
  is: subtitle, sound, camera, effect, flashback); markers naming a transition (转场, 切, 叠化,
  淡入, …) are a TRANSITION; a bracketed sentence without a key (`【黑暗中，他睁开眼。】`) is an
  action. Notes inside an action line (`△…【音效：爆炸声】`) become notes after it.
  `字幕：`/`音效：`/`镜头语言：`/`运镜：`/`天气：`/… lines are notes, `转场：` lines transitions,
  `画面：`/`特写：`/`描述：`/`动作：` lines actions; `时间：`/`地点：` lines fill in the heading.
- Mode: OS is off-screen or inner voice (OS, 内心, 内心OS, 心声, 独白); VO is voice-over (VO, 旁白,
  画外音). `旁白：`/`画外音：` are VO dialogue by that narrator. Other words in the parenthesis
  stay as the parenthetical; a parenthesis at the start of the spoken text is one too.
- A speaker is at most 10 characters with no sentence punctuation (a Latin name: up to four
  words) and does not end in 说/问/… (`他说：明天见` is action); anything else with a colon is
  action — unless it starts with a known character's name (from a cast list, a 人物： line or
  a speaker seen twice) followed by a manner: `沈乐着急：` is 沈乐 with the parenthetical 着急
  (`天兵甲`, `林父`, `傅子岸的母亲` stay names of their own). A marked action line that holds a
  known character's speech (`∆傅子岸：（惊愕）我操！`) is that speech.
- A cue with nothing after the colon takes the next line as its text. A plain line directly
  after a dialogue line that ends in ，、；： continues that speech; otherwise a plain
  line is action.
- Errors (ScriptError with file and line): an empty script, a script without any scene, an
  unreadable or repeated episode number, a repeated scene number in one episode, a scene
  header naming two times of day, a cue with no line. Every input gives a Script or a
  ScriptError; no other exception escapes. What looks wrong but reads (a line that looks like
  a heading, a speaker seen once that starts with a character's name, an episode without a
  scene, a script that reads like prose) goes to `Script.warnings`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from shotcraft.shots.errors import ScriptError
from shotcraft.shots.models import DialogueMode
from shotcraft.storyboard import juben_words as w
from shotcraft.storyboard.characters import is_group
from shotcraft.storyboard.juben_speakers import (
    speaker_warnings,
    split_manners,
    story_without_headings,
)
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
    ScriptWarning,
)
from shotcraft.storyboard.text import looks_like_prose

__all__ = ["parse_juben"]

_NUM = NUMERAL
_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")
_MARKER = re.compile(r"[【\[〖]\s*([^【】\[\]〖〗]*?)\s*[】\]〗]")
_BRACKET_CUE = re.compile(r"[【\[〖]\s*([^【】\[\]〖〗]{1,16}?)\s*[】\]〗]\s*:\s*(.*)")
_LEAD_PAREN = re.compile(r"[（(]([^（）()]*)[）)]\s*[:：]?\s*")


_END_WORD = re.compile("[完终续结束]")
# what a header line starts with (after a bracket, a △ or Markdown marks): cheap, tried first
_HEADER_START = re.compile(r"\s*[【\[〖(]?\s*(?:\d|场|第|S\d|SCENE|SC\.|EPISODE|EP|INT|EXT|EST|I/E)",
                           re.IGNORECASE)
# patterns the line reader tries on every line, compiled once
_CLOSING_BRACKET = re.compile(r"\s*[】\]〗)]")
_BRACKETED_LINE = re.compile(r"[【\[〖](.*)[】\]〗]")
_BRACKETED_NUMBER = re.compile(r"[【\[〖]\s*(\d+\s*[-—–_]\s*\d+)\s*[】\]〗]\s*")
_BOOK_TITLE = re.compile(r"《([^《》]+)》")
_QUOTED_TITLE = re.compile(r"[\"“]([^\"“”]+)[\"”]")
_FRONT_KEY = re.compile(r"[【\[〖]?\s*([^:【】\[\]〖〗]{1,16}?)\s*[】\]〗]?\s*(?::\s*(.*))?")
_LEADING_BRACKET = re.compile(r"[【\[〖]\s*[^】\]〗]*[】\]〗]\s*")
_BULLET = re.compile(r"[-*+•]\s*")
_SHORT_KEY_VALUE = re.compile(r"([^:]{1,8}?)\s*:\s*(.*)")
_KEY_VALUE = re.compile(r"([^:]+?)\s*:\s*(.*)")
_NAME_PAREN_REST = re.compile(r"([^()]+?)\s*\(([^()]+)\)\s*(.*)")
_NAME_DASH_REST = re.compile(r"(\S+?)\s*(?:\s|——|—|--)\s*(\S.*)")
_PAREN_LINE = re.compile(r"\(\s*([^()]*?)\s*\)")
_ONE_MARKER = re.compile(r"[【\[〖][^【】\[\]〖〗]*[】\]〗]")
_SENTENCE_MARK = re.compile(r"[,。!?]")
_CAST_KEY_VALUE = re.compile(r"([^:]{1,10}?)\s*:\s*(.*)")
_CUE_AND_PARENS = re.compile(r"([^()]+?)\s*((?:\([^()]*\)\s*)*)")
_MODE_SUFFIX = re.compile(r"\s*(OS|VO|O\.S\.?|V\.O\.?)$", re.IGNORECASE)
_PAREN_GROUP = re.compile(r"\(([^()]*)\)")
_LEAD_PAREN_LINE = re.compile(r"[（(]([^（）()]*)[）)]\s*")
_WRAPPED_LINE = re.compile(r"[【\[〖(].*[】\]〗)]")
_CUE_LINE = re.compile(r"([^:()]+?)\s*(\([^()]*\)\s*)*:.*")
_NAME_INTRO = re.compile(r"([\u4e00-\u9fff·A-Za-z]{1,12}) ?[（(]([^（）()]{1,80})[）)]")
_LATIN_NAME = re.compile(r"[A-Z][a-z]+")
_AGE = re.compile(r"\d{1,2}\b")

def parse_juben(text: str, *, path: str | None = None) -> Script:
    """Parse a Chinese 剧本 (or an English script in the same line layout) into a `Script`.

    Raises ScriptError naming `path` and the line for malformed input; never anything else.
    """
    parser = _Parser(path)
    try:
        return parser.parse(text)
    except ScriptError:
        raise
    except Exception as exc:  # a parser bug must still reach the user as one clear sentence
        raise ScriptError(
            f"internal parser error ({type(exc).__name__}); please report this script",
            file=path,
            line=parser.line_no or None,
        ) from exc


@dataclass
class _Parser:
    path: str | None
    line_no: int = 0
    script: Script = field(init=False)
    episode: ScriptEpisode | None = None
    scene: ScriptScene | None = None
    implicit_episode: bool = False
    front: bool = True  # still in the front matter
    front_mode: str | None = None  # "cast" | "synopsis"
    episode_lines: dict[int, int] = field(default_factory=dict)
    scene_lines: dict[str, int] = field(default_factory=dict)
    last_dialogue: Element | None = None  # speech a plain next line may continue
    pending_cue: Element | None = None  # cue whose text is on the next line
    known_names: set[str] = field(default_factory=set)  # cast lists and notes: the names to trust
    speakers: Counter[str] = field(default_factory=Counter)  # how often each cue was said
    bare_heading: bool = False  # the last line opened a scene without time or place
    loose_lines: list[tuple[int, str]] = field(default_factory=list)  # front lines under no heading

    def error(self, message: str, line: int | None = None) -> ScriptError:
        return ScriptError(message, file=self.path, line=line or self.line_no)

    def warn(self, kind: str, message: str, line: int | None = None) -> None:
        self.script.warnings.append(ScriptWarning(kind=kind, line=line or self.line_no,
                                                  message=message))

    # -- driver ---------------------------------------------------------------------------

    def parse(self, text: str) -> Script:
        self.script = Script(format=ScriptFormat.JUBEN, path=self.path, language="zh")
        if not isinstance(text, str):
            raise self.error("expected the script as text", 1)
        if "\x00" in text:
            raise self.error("the script contains binary data (a NUL byte); expected a text file", 1)
        text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
        lines = text.split("\n")
        if not any(w.strip_line(line) for line in lines):
            raise self.error(
                "the script is empty; expected an episode header like 第1集 and a scene "
                "header like 1-1 日 内 地点", 1)  # fmt: skip
        last_content = 1
        for number, raw in enumerate(lines, start=1):
            self.line_no = number
            line = w.strip_line(raw)
            if not line:
                self.last_dialogue = None
                continue
            last_content = number
            self.handle(line)
        self.line_no = last_content
        if self.pending_cue is not None:
            self.raise_pending()
        if not any(ep.scenes for ep in self.script.episodes):
            raise self.error(
                "no scene found; expected a scene header like 1-1 日 内 地点 or 场1, "
                "or dialogue like 顾言：台词", last_content)  # fmt: skip
        self.finish(text)
        return self.script

    def finish(self, text: str) -> None:
        """Speakers written with a manner, language, and the warnings only the whole script shows."""
        split_manners(self.script, self.known_names)
        story_without_headings(self.script, self.loose_lines, self.implicit_episode)
        self.script.warnings.extend(speaker_warnings(self.script, self.known_names))
        latin, cjk = len(_LATIN.findall(text[:20000])), len(_CJK.findall(text[:20000]))
        if latin > cjk:
            self.script.language = "en"
        for episode in self.script.episodes:
            if not episode.scenes:
                self.warn("episode_without_scene", f"episode {episode.number} has no scene",
                          episode.line)
        has_heading = any(sc.heading for ep in self.script.episodes for sc in ep.scenes)
        if not has_heading and looks_like_prose(text):
            self.warn("prose", "no scene heading and few speaker cues: this reads like prose (a "
                      "novel or a treatment), not a script; try `import --assist llm`", 1)

    def raise_pending(self) -> None:
        cue = self.pending_cue
        assert cue is not None
        raise self.error(f"the cue {cue.speaker_cue} has no line; write the line after the colon",
                         cue.line)  # fmt: skip

    def handle(self, line: str) -> None:
        folded = w.fold(line)
        if w.SKIP_LINE.fullmatch(folded):
            return  # —— / *** / ==== separators
        unmarked, level = w.unmark(line)
        if not unmarked:
            return
        if unmarked is not line:
            line, folded = unmarked, w.fold(unmarked)
        if self.pending_cue is not None:
            if self.is_plain(line, folded):
                self.fill_pending(line)
                return
            self.raise_pending()
        if self.bare_heading:
            self.bare_heading = False
            if self.complete_heading(line, folded):
                return
        if _HEADER_START.match(folded) and (self.episode_header(line, folded)
                                            or self.scene_header(line, folded)):
            self.front = False
            self.front_mode = None
            self.last_dialogue = None
            return
        if self.front and self.front_matter(line, folded, level):
            return
        if level:
            self.section(line, level)
            return
        self.body_line(line, folded)

    # -- headers --------------------------------------------------------------------------

    def episode_header(self, line: str, folded: str) -> bool:
        m = w.episode_match(folded)
        if not m or w.END_MARK.fullmatch(folded.replace(" ", "")):
            return False
        rest_at = m.end()
        closed = _CLOSING_BRACKET.match(folded[rest_at:])
        if closed:
            rest_at += closed.end()
        rest = folded[rest_at:]
        if rest and not closed and rest[0] not in w.SEPARATORS + "-—《【(\u3000":
            return False  # 第一集团军… is prose, not a header
        raw = m.group(2) if m.group(2) is not None else m.group(3)
        number = parse_number(raw)
        if number is None:
            raise self.error(f"cannot read the episode number in {line!r}; write it like 第1集 "
                             "or 第十二集")  # fmt: skip
        if number < 1:
            raise self.error(f"episode numbers start at 1, but {line!r} has episode number "
                             f"{number}")  # fmt: skip
        if number > MAX_EPISODE:
            raise self.error(f"episode numbers go up to {MAX_EPISODE}, but {line!r} has episode "
                             f"number {number}")  # fmt: skip
        title = line[rest_at:].strip().lstrip(" \t\u3000:：、,，.．-—").strip()
        if m.group(1) and not closed:
            title = title.rstrip("】]〗)）").strip()
        if self.implicit_episode and self.episode is not None and self.episode.number == number:
            self.episode.title = title or None  # 第1集 after headerless content adopts it
        else:
            if number in self.episode_lines:
                raise self.error(f"episode {number} appears twice (first at line "
                                 f"{self.episode_lines[number]})")  # fmt: skip
            self.episode_lines[number] = self.line_no
            self.scene_lines = {}
            self.episode = ScriptEpisode(number=number, title=title or None, line=self.line_no)
            self.script.episodes.append(self.episode)
        self.implicit_episode = False
        self.scene = None
        return True

    def scene_header(self, line: str, folded: str) -> bool:
        inner = _BRACKETED_LINE.fullmatch(folded)
        offset = 1 if inner else 0
        body = inner.group(1) if inner else folded
        numbered = _BRACKETED_NUMBER.match(folded) if not inner else None
        if numbered:  # 【1-1】日 内 地点
            body, offset = numbered.group(1) + " " + folded[numbered.end():], 0
            original = numbered.group(1) + " " + line[numbered.end():]
        else:
            original = line[offset: offset + len(body)]
        try:
            head = w.read_scene_head(body, original, numbered_lines=self.front_mode != "cast")
        except w.HeadingError as exc:
            raise self.error(str(exc)) from None
        if head is None:
            return False
        ep = self.ensure_episode()
        if head.number is not None:
            if head.number in self.scene_lines:
                raise self.error(f"scene {head.number} appears twice in episode {ep.number} "
                                 f"(first at line {self.scene_lines[head.number]})")  # fmt: skip
            self.scene_lines[head.number] = self.line_no
        heading = original.strip()
        if head.cast:
            heading = heading[: len(heading) - len(head.cast)].rstrip()
            heading = re.sub(r"\s*(?:(?:出场|登场)?人物|Characters)\s*[:：]\s*$", "", heading,
                             flags=re.IGNORECASE)
        self.scene = ScriptScene(number=head.number, heading=heading, location=head.location,
                                 time=head.time, interior=head.interior, line=self.line_no)  # fmt: skip
        ep.scenes.append(self.scene)
        if head.cast:
            self.scene_cast(head.cast)
        self.bare_heading = head.time is None and head.interior is None
        return True

    def complete_heading(self, line: str, folded: str) -> bool:
        """"日 内 灵山大雄宝殿" on the line after a bare `场1-2`: the heading's time and place."""
        scene = self.scene
        head = w.time_and_place_line(folded, line)
        if scene is None or head is None or scene.elements:
            return False
        scene.time, scene.interior = head.time, head.interior
        if head.location and not scene.location:
            scene.location = head.location
        scene.heading = f"{scene.heading} {line}".strip()
        return True

    def section(self, line: str, level: int) -> None:
        """A Markdown heading that is not a header: structure, said in the report if it looks
        like a heading."""
        if self.scene is not None:
            self.add(ElementKind.SECTION, line, level=level)
        if w.LOOKS_LIKE_HEADING.match(w.fold(line)):
            self.warn("heading_not_read", f"{line!r} looks like a scene heading but was not read "
                      "as one; write it like 1-1 日 内 地点")

    # -- front matter ---------------------------------------------------------------------

    def front_matter(self, line: str, folded: str, level: int) -> bool:
        """Title, meta, cast block and synopsis; False when the line starts the story."""
        title = _BOOK_TITLE.fullmatch(folded) or _QUOTED_TITLE.fullmatch(folded)
        if title and self.script.title is None:
            self.script.title = line[1:-1].strip()
            return True
        key, value = self.heading(line, folded)
        if key is not None:
            upper = key.upper()
            if upper in w.CAST_HEADINGS:
                self.front_mode = "cast"
                entries = w.split_inline_cast(w.fold(value))
                if entries:
                    for start, end in entries:
                        self.cast_entry(value[start:end].strip(), w.fold(value[start:end].strip()))
                else:
                    for item in w.split_list(value):
                        self.add_note(*w.name_and_description(item))
                return True
            if upper in w.SYNOPSIS_HEADINGS:
                self.front_mode = "synopsis"
                if value:
                    self.add_synopsis(value)
                return True
            if upper in w.BODY_HEADINGS and not value:
                self.front_mode = "body"
                return True
            if upper in w.TITLE_KEYS and value:
                self.script.title = value
                return True
            if upper in w.META_KEYS and value:
                self.script.title_page[w.META_KEYS[upper]] = value
                return True
        if self.front_mode == "cast" and self.cast_line(line, folded):
            return True
        if level and self.script.title is None and not self.script.character_notes:
            self.script.title = line.strip()  # "# 程序员的一天"
            return True
        if level:
            return True  # another Markdown heading before the story (## 角色 came above)
        if folded[0] in w.ACTION_MARKS or self.is_structural(line, folded):
            return False
        if self.front_mode == "body":
            return False
        notes = self.script.character_notes
        if self.front_mode == "cast" and notes and (notes[-1].description or notes[-1].appearance):
            if notes[-1].description:
                notes[-1].description += line  # a description that runs onto the next line
            else:
                notes[-1].appearance = (notes[-1].appearance or "") + line
        else:
            self.add_synopsis(line)
            if self.front_mode is None:
                self.loose_lines.append((self.line_no, line))
        return True

    def heading(self, line: str, folded: str) -> tuple[str | None, str]:
        """【人物介绍】 / 人物介绍： / 剧名：契约新娘 → (key, value); (None, "") otherwise."""
        m = _FRONT_KEY.fullmatch(folded)
        if not m:
            return None, ""
        bracketed = folded[:1] in "【[〖"
        value = line[m.start(2):].strip() if m.group(2) is not None else ""
        if bracketed and m.group(2) is None:
            closing = _LEADING_BRACKET.match(folded)
            value = line[closing.end():].strip() if closing else ""  # 【全本集数】56集
        return m.group(1).strip(), value

    def cast_line(self, line: str, folded: str) -> bool:
        """A line of the cast block: an entry, or an appearance/biography line of the last one."""
        bullet = _BULLET.match(folded)
        if bullet:
            line = line[bullet.end():]
        line = w.drop_list_number(line)
        folded = w.fold(line)
        m = _SHORT_KEY_VALUE.fullmatch(folded)
        notes = self.script.character_notes
        if m and notes and (m.group(1).strip() in w.APPEARANCE_KEYS or m.group(1).strip() in w.BIO_KEYS):
            value = line[m.start(2):].strip()
            note = notes[-1]
            if m.group(1).strip() in w.APPEARANCE_KEYS:
                note.appearance = f"{note.appearance}；{value}" if note.appearance else value
            else:
                note.description = f"{note.description}；{value}" if note.description else value
            return True
        if self.cast_entry(line, folded):
            return True
        if w.valid_name(folded.strip()) and len(folded.strip()) <= 6 and not self.is_structural(line, folded):
            self.add_note(line.strip(), None, force=True)  # "5. 杨戬" — its lines follow
            return True
        return False

    def cast_entry(self, line: str, folded: str) -> bool:
        m = _KEY_VALUE.fullmatch(folded)
        if m and w.valid_name(m.group(1)):
            self.add_note(line[: m.end(1)].strip(), line[m.start(2):].strip() or None, force=True)
            return True
        m = _NAME_PAREN_REST.fullmatch(folded)
        if m and w.valid_name(re.sub(r"(?<=[^\x00-\x7f]) (?=[^\x00-\x7f])", "", m.group(1).strip())):
            extra = line[m.start(3):].strip().lstrip("，,：:—- ")
            desc = line[m.start(2): m.end(2)].strip() + (f"，{extra}" if extra else "")
            self.add_note(line[: m.end(1)].strip(), desc)
            return True
        m = _NAME_DASH_REST.fullmatch(folded)
        if m and w.valid_name(m.group(1)):
            self.add_note(line[: m.end(1)].strip(), line[m.start(2):].strip())
            return True
        return False

    def add_synopsis(self, text: str) -> None:
        previous = self.script.title_page.get("synopsis")
        self.script.title_page["synopsis"] = f"{previous}\n{text}" if previous else text

    def add_note(self, name: str, description: str | None, *, force: bool = False) -> None:
        # "刘 娜" in a cast list is 刘娜 everywhere else
        name = re.sub(r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f])", "", name.strip())
        if not w.valid_name(w.fold(name)) or w.is_voice(name):
            return
        self.known_names.add(name)
        if (description or force) and all(note.name != name for note in self.script.character_notes):
            self.script.character_notes.append(
                CharacterNote(name=name, description=description, line=self.line_no)
            )

    # -- scene body -----------------------------------------------------------------------

    def ensure_episode(self) -> ScriptEpisode:
        if self.episode is None:
            self.episode = ScriptEpisode(number=1, line=self.line_no)
            self.script.episodes.append(self.episode)
            self.implicit_episode = True
            self.episode_lines.setdefault(1, self.line_no)
        return self.episode

    def ensure_scene(self) -> ScriptScene:
        self.front = False
        if self.scene is None:
            self.scene = ScriptScene(line=self.line_no)
            self.ensure_episode().scenes.append(self.scene)
        return self.scene

    def add(self, kind: ElementKind, text: str, **extra: Any) -> Element:
        element = Element(kind=kind, text=text, line=self.line_no, **extra)
        self.ensure_scene().elements.append(element)
        self.last_dialogue = element if kind is ElementKind.DIALOGUE else None
        return element

    def body_line(self, line: str, folded: str) -> None:
        if len(folded) <= 24 and _END_WORD.search(folded) and w.END_MARK.fullmatch(folded.replace(" ", "")):
            self.add(ElementKind.NOTE, line.strip("（）()【】[]").strip(), note_kind="end")
            return
        if folded[0] in w.ACTION_MARKS:
            text, folded_text = line[1:].strip(), folded[1:].strip()
            if text and not (_HEADER_START.match(folded_text) and self.scene_header(text, folded_text)):
                self.marked_line(text, folded_text)  # △25—2场景：日，外，… above is a heading
            return
        if self.markers(line, folded):
            return
        paren = _PAREN_LINE.fullmatch(folded)
        if paren and paren.group(1).startswith(w.PAREN_NOTES):
            inner = paren.group(1)
            self.add(self.marker_kind(inner), line[paren.start(1): paren.end(1)],
                     note_kind=w.note_kind(inner.split(":", 1)[0]) or "flashback")
            return
        colon = folded.find(":")
        if 0 < colon <= 12 and (self.scene_cast_line(line, folded) or self.keyword_line(line, folded)):
            return
        if colon > 0 and self.dialogue(line, folded):
            return
        if self.continues_dialogue():
            assert self.last_dialogue is not None
            joiner = " " if self.last_dialogue.text[-1:].isascii() and line[0].isascii() else ""
            self.last_dialogue.text += joiner + line
            return
        if w.LOOKS_LIKE_HEADING.match(folded):
            self.warn("heading_not_read", f"{line[:40]!r} looks like a scene heading but was not "
                      "read as one; write it like 1-1 日 内 地点")
        self.action(line)

    def action(self, text: str) -> None:
        """An action line; notes written inside it (`【音效：…】`) become notes after it."""
        notes: list[tuple[str, str]] = []

        def keep(match: re.Match[str]) -> str:
            inner = match.group(1)
            key = w.fold(inner).split(":", 1)[0]
            kind = w.note_kind(key)
            if kind is None or ":" not in w.fold(inner):
                return match.group(0)
            notes.append((inner.strip(), kind))
            return ""

        if "【" in text or "[" in text:
            text = _MARKER.sub(keep, text).strip(" ，,")
        if text:
            self.add(ElementKind.ACTION, text)
            self.note_introductions(text)
        for note, kind in notes:
            self.add(ElementKind.NOTE, note, note_kind=kind)

    def marked_line(self, text: str, folded: str) -> None:
        """What follows △/∆: an action — or a known character's speech, or a 字幕：card."""
        colon = folded.find(":")
        if 0 < colon <= 20:
            key = folded[:colon].strip()
            if w.note_kind(key):
                self.add(ElementKind.NOTE, text, note_kind=w.note_kind(key))
                return
            if self.dialogue(text, folded, marked=True):
                return
        if _ONE_MARKER.fullmatch(folded):
            self.markers(text, folded)
            return
        self.action(text)

    def markers(self, line: str, folded: str) -> bool:
        """Lines of 【…】 markers only (one or several): notes, transitions or bracketed actions."""
        if folded[0] not in "【[〖":
            return False
        cue = _BRACKET_CUE.fullmatch(folded)
        if cue and self.bracket_cue(line, folded, cue):
            return True
        spans = [m.span() for m in _MARKER.finditer(folded)]
        if not spans or spans[0][0] != 0:
            return False
        covered = "".join(folded[a:b] for a, b in spans)
        if len(covered.replace(" ", "")) < len(folded.replace(" ", "").replace(",", "")):
            # 【特效：裂缝处闪红光】，在巨大的气流中扩大！ — the marker, then the action it names
            first_end = spans[0][1]
            rest = line[first_end:].strip().lstrip("，,。")
            self.marker(line[1: first_end - 1].strip(), folded[1: first_end - 1].strip())
            if rest:
                self.action(rest)
            return True
        for a, b in spans:
            inner = line[a + 1: b - 1].strip()
            if inner:
                self.marker(inner, folded[a + 1: b - 1].strip())
        return True

    def marker(self, inner: str, folded_inner: str) -> None:
        key = folded_inner.split(":", 1)[0].strip()
        if key.upper() in w.TRANSITIONS or key in w.TRANSITIONS:
            self.add(ElementKind.TRANSITION, inner)
            return
        kind = w.note_kind(key)
        if kind is None and (":" not in folded_inner and len(folded_inner) > 12
                             or _SENTENCE_MARK.search(folded_inner) and ":" not in folded_inner):
            self.action(inner)  # 【黑暗中，7岁的沈乐猛然睁眼。】 is a bracketed action
            return
        if kind is None and w.is_voice(key) and ":" not in folded_inner:
            # 【画外音】 alone: the words are on the next line
            self.pending_cue = Element(kind=ElementKind.DIALOGUE, text="", line=self.line_no,
                                       speaker=inner, speaker_cue=inner, mode=DialogueMode.VO)
            self.ensure_scene().elements.append(self.pending_cue)
            return
        self.add(ElementKind.NOTE, inner, note_kind=kind)

    def bracket_cue(self, line: str, folded: str, cue: re.Match[str]) -> bool:
        """[旁白|沉稳]：内容 / 【系统】：… — a bracketed speaker; False for [音效@1.0：…]-style notes."""
        inner = cue.group(1)
        name, _, style = inner.partition("|")
        name = name.strip()
        if w.note_kind(name) or not (w.is_voice(name) or name in self.known_names):
            return False
        text = line[cue.start(2):].strip()
        if not text:
            return False
        mode = w.mode_of(name) or (DialogueMode.VO if w.is_voice(name) and name in ("旁白", "画外音")
                                   else None)
        self.add(ElementKind.DIALOGUE, text, speaker=line[cue.start(1): cue.start(1) + len(name)],
                 speaker_cue=line[: cue.start(2)].rstrip(" ：:"), parenthetical=style.strip() or None,
                 mode=mode)
        return True

    def marker_kind(self, folded_inner: str) -> ElementKind:
        word = folded_inner.split(":", 1)[0].strip()
        return ElementKind.TRANSITION if word in w.TRANSITIONS else ElementKind.NOTE

    def scene_cast_line(self, line: str, folded: str) -> bool:
        m = _CAST_KEY_VALUE.fullmatch(folded)
        if not m:
            return False
        key = m.group(1).strip()
        scene = self.scene
        # 人：哪吒、… lists the cast only right under a heading; elsewhere 人 could be a speaker
        if key.upper() in w.SCENE_CAST_KEYS or key == "人" and scene is not None and not scene.elements:
            self.scene_cast(line[m.start(2):].strip())
            return True
        return False

    def scene_cast(self, value: str) -> None:
        scene = self.ensure_scene()
        for item in w.split_list(value):
            name, description = w.name_and_description(item)
            if w.fold(name).strip().upper() in w.EVERYONE:  # 全员: everyone so far in the episode
                for earlier in self.ensure_episode().scenes:
                    for other in earlier.characters:
                        if other not in scene.characters:
                            scene.characters.append(other)
                continue
            name = re.sub(r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f])", "", name)
            if (w.valid_name(w.fold(name)) and name not in scene.characters and not w.is_voice(name)
                    and not is_group(name)):
                scene.characters.append(name)
                self.add_note(name, description)
        self.last_dialogue = None

    def keyword_line(self, line: str, folded: str) -> bool:
        m = _SHORT_KEY_VALUE.fullmatch(folded)
        if not m:
            return False
        key, value = m.group(1).strip(), line[m.start(2):].strip()
        if not w.is_keyword(key):  # 顾言：… (most lines with a colon) — no key of ours
            return False
        kind = w.note_kind(key)
        if kind == "camera" and key in ("镜头",) and len(value) > 10:
            kind = None
        if key in w.TRANSITIONS or key.upper() in w.TRANSITIONS:
            self.add(ElementKind.TRANSITION, line)
        elif kind is not None:
            self.add(ElementKind.NOTE, line, note_kind=kind)
        elif key in w.ACTION_KEYS or key.upper() in w.ACTION_KEYS or key == "镜头":
            self.add(ElementKind.ACTION, line)
            self.note_introductions(value)
        elif key in w.SCENE_DETAIL_KEYS or key.upper() in w.SCENE_DETAIL_KEYS:
            self.scene_detail(key, value, line)
        else:
            return False
        return True

    def scene_detail(self, key: str, value: str, line: str) -> None:
        scene = self.ensure_scene()
        self.last_dialogue = None
        key = key.upper() if key.isascii() else key
        if key in ("地点", "场景", "场地", "LOCATION") and not scene.location:
            scene.location = value
        elif key in ("时间", "TIME") and scene.time is None and value:
            scene.time = value
        elif key == "内外景" and w.fold(value).strip() in w.PLACES and scene.interior is None:
            scene.interior = w.PLACES[w.fold(value).strip()]
        else:
            self.add(ElementKind.NOTE, line)
            return
        scene.heading = f"{scene.heading} {line}".strip() if scene.heading else line

    def dialogue(self, line: str, folded: str, *, marked: bool = False) -> bool:
        colon = folded.find(":")
        if colon <= 0:
            return False
        if "(" in folded[:colon]:  # a colon inside （…） belongs to the parenthetical
            colon, depth = -1, 0
            for i, c in enumerate(folded):
                if c == "(":
                    depth += 1
                elif c == ")":
                    depth = max(0, depth - 1)
                elif c == ":" and depth == 0:
                    colon = i
                    break
            if colon <= 0:
                return False
        cue_folded = folded[:colon].rstrip()
        m = _CUE_AND_PARENS.fullmatch(cue_folded)
        if not m:
            return False
        name_end, mode = m.end(1), None
        suffix = _MODE_SUFFIX.search(m.group(1)) if m.group(1)[-1:] in "SsOo." else None
        # 顾言OS / Leo VO carry a mode; BOSS or LEOS are just names
        if suffix and suffix.start() > 0 and not (
            suffix.start() == suffix.start(1) and folded[suffix.start() - 1].isascii()
            and folded[suffix.start() - 1].isalpha()
        ):  # fmt: skip
            name_end, mode = suffix.start(), w.mode_of(suffix.group(1))
        speaker = line[:name_end].strip()
        folded_speaker = folded[:name_end].strip()
        notes: list[str] = []
        if not w.valid_name(folded_speaker):
            known = self.known_prefix(folded_speaker)
            if known is None or len(folded_speaker) > 16 or set(folded_speaker) & w.BAD_NAME_CHARS:
                return False
            notes.append(speaker[len(known):].strip())
            speaker = known
        for group in _PAREN_GROUP.finditer(m.group(2)):
            start = m.start(2) + group.start(1)
            inner = line[start: start + len(group.group(1))].strip()
            group_mode, rest = w.split_mode(inner)
            mode = mode or group_mode
            if rest:
                notes.append(rest)
        if marked and not (speaker in self.known_names or w.is_voice(speaker) or mode
                           or self.known_prefix(folded_speaker)):
            return False  # △他说：明天见 stays action; ∆傅子岸：… is 傅子岸's line
        text = line[colon + 1:].strip()
        lead = _LEAD_PAREN.match(text)
        if lead and text[lead.end():]:
            group_mode, rest = w.split_mode(lead.group(1).strip())
            mode = mode or group_mode
            if rest:
                notes.append(rest)
            text = text[lead.end():]
        if speaker in ("旁白", "画外音"):
            mode = mode or DialogueMode.VO
        element = self.add(
            ElementKind.DIALOGUE, text, speaker=speaker, speaker_cue=line[:colon].strip(),
            parenthetical="，".join(notes) or None, mode=mode,
        )  # fmt: skip
        self.speakers[speaker] += 1
        if not text:
            self.pending_cue = element
        return True

    def known_prefix(self, folded_speaker: str) -> str | None:
        """The known character a longer cue starts with (沈乐着急 → 沈乐), or None."""
        trusted = self.known_names | {name for name, count in self.speakers.items() if count >= 2}
        for name in sorted(trusted, key=len, reverse=True):
            if w.manner_after(w.fold(name), folded_speaker) is not None:
                return name
        return None

    def fill_pending(self, line: str) -> None:
        cue = self.pending_cue
        assert cue is not None
        self.pending_cue = None
        lead = _LEAD_PAREN_LINE.match(line)
        if lead and line[lead.end():]:
            group_mode, rest = w.split_mode(lead.group(1).strip())
            cue.mode = cue.mode or group_mode
            if rest:
                cue.parenthetical = f"{cue.parenthetical}，{rest}" if cue.parenthetical else rest
            line = line[lead.end():]
        cue.text = line
        self.last_dialogue = cue

    def continues_dialogue(self) -> bool:
        last = self.last_dialogue
        return last is not None and bool(last.text) and last.text.endswith(w.CONTINUES)

    def is_plain(self, line: str, folded: str) -> bool:
        """True for a line that would be plain action: no marker, header, cue or keyword."""
        if folded[0] in w.ACTION_MARKS or _WRAPPED_LINE.fullmatch(folded):
            return False
        return not self.is_structural(line, folded)

    def is_structural(self, line: str, folded: str) -> bool:
        """Headers, markers, cues and keyword lines, checked without changing any state."""
        if _WRAPPED_LINE.fullmatch(folded):
            return True
        if w.episode_match(folded):
            return True
        if w.LOOKS_LIKE_HEADING.match(folded):
            return True
        m = _CUE_LINE.fullmatch(folded)
        return bool(m and w.valid_name(re.sub(r"(?i)\s*(OS|VO)$", "", m.group(1)) or m.group(1)))

    def note_introductions(self, text: str) -> None:
        """△顾言（28岁，冷峻）推门而入 → a note for 顾言, if 顾言 is known or an age is given."""
        if "（" not in text and "(" not in text:
            return
        for m in _NAME_INTRO.finditer(text):
            run, description = m.group(1), m.group(2).strip()
            if w.split_mode(description)[0] is not None:
                continue
            name = next((n for n in sorted(self.known_names | set(self.speakers), key=len,
                                           reverse=True) if run.endswith(n)), None)  # fmt: skip
            # an unknown name counts only as a clause's subject with an age: △门外，陈默（30岁）;
            # in English a capitalised name before "(18, ...)": John (18, male) is the star
            aged = "岁" in description and len(run) <= 4 or bool(
                _LATIN_NAME.fullmatch(run) and _AGE.match(description))
            if name is None and aged:
                if m.start() == 0 or text[m.start() - 1] in "，。；！？、,;!? ":
                    name = run
            if name:
                self.add_note(name, description)
