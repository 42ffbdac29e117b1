"""Chinese 剧本 (vertical short-drama script) → `Script`.

The format as short-drama writers use it, line by line (full- and half-width punctuation,
digits and brackets are interchangeable everywhere)::

    《契约新娘》                        title (also 剧名：/片名：)
    人物介绍                            cast block: 顾言：28岁，总裁 → CharacterNote
    第1集 / 第二集：标题 / 【第3集】      episode header (Arabic or Chinese numerals)
    1-1 日 内 顾氏集团·总裁办公室         scene header (also 场1 / 第1场 / 1-1、夜、外、街道)
    人物：顾言（28岁，冷峻）、林晚晚       the scene's characters (+ notes from descriptions)
    △顾言推门而入。                     action (△ ▲ ※ ◆ ●; unmarked narrative is action too)
    顾言（冷笑）：你也配？               dialogue; OS/VO from 顾言OS：, （OS，咬牙）, 旁白：
    【闪回】 / 【字幕：三年后】           note (never a shot)
    【转场】 / 转场：三年后               transition

Decisions, so the breakdown and the writers know what to expect:

- Before the first episode or scene header is the front matter: title, 编剧/类型/… (into
  `title_page`), a 人物表/人物介绍 block (`name：description` lines become character notes, not
  dialogue) and plain synopsis lines (into `title_page["synopsis"]`). A △ action, a dialogue
  line outside the cast block, a marker or a 人物： line there opens an implicit episode 1 and
  an implicit scene (number None, empty heading); so does content after an episode header but
  before its first scene header. A later explicit 第1集 adopts the implicit episode.
- 【闪回】, 【闪回结束】, 【字幕：…】 and any other whole-line 【…】 marker is a NOTE;
  markers naming a transition (转场, 切, 叠化, 淡入, 淡出, 黑屏, 闪白, …) are a TRANSITION.
  `字幕：`/`音效：`/`音乐：` lines are notes, `转场：` lines transitions, `画面：`/`特写：`
  lines actions; `时间：`/`地点：` lines fill in the current scene's heading.
- Mode: OS is off-screen or inner voice (OS, 内心, 心声, 独白); VO is voice-over (VO, 旁白,
  画外音). `旁白：` is VO dialogue spoken by 旁白. Other words in the parenthesis stay as the
  parenthetical; a parenthesis at the start of the spoken text (`顾言：（冷笑）你…`) is one too.
- A speaker is at most 10 characters with no sentence punctuation and does not end in 说/问/…
  (`他说：明天见` is action); anything else with a colon is action.
- A cue with nothing after the colon takes the next line as its text. A plain line directly
  after a dialogue line that ends in ，、；： continues that speech; otherwise a plain
  line is action.
- Errors (ScriptError with file and line): an empty script, a script without any scene, an
  unreadable or repeated episode number, a repeated scene number in one episode, a scene
  header naming two times of day, a cue with no line. Every input gives a Script or a
  ScriptError; no other exception escapes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

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

__all__ = ["parse_juben"]

_NUM = NUMERAL

_TIMES = frozenset(
    "日 夜 晨 昏 早 晚 午 黄昏 傍晚 清晨 早上 早晨 上午 中午 下午 晚上 夜晚 深夜 凌晨 午后 "
    "白天 黎明 日出 日落 午夜 正午 夜间 日间 夜里 半夜".split()
)
_PLACES = {"内": True, "内景": True, "外": False, "外景": False, "内外": None, "外内": None,
           "内外景": None}  # fmt: skip
_TRANSITIONS = ("转场", "切", "切至", "切到", "切换", "硬切", "叠化", "淡入", "淡出", "渐隐",
                "渐显", "闪白", "闪黑", "黑屏", "白屏", "溶")  # fmt: skip
_OS_WORDS = frozenset({"OS", "O.S.", "O.S", "内心", "心声", "独白", "内心独白", "内心OS", "心理"})
_VO_WORDS = frozenset({"VO", "V.O.", "V.O", "旁白", "画外音", "画外"})
_ACTION_MARKS = "△▲※◆●■"
# whole-line （…） markers that are notes rather than stage directions
_PAREN_NOTES = ("闪回", "回忆", "插叙", "字幕", "本集完", "完", "全剧终", "剧终", "未完待续", "待续")

_CAST_HEADINGS = frozenset("人物 人物表 人物介绍 人物小传 主要人物 角色 角色表 角色介绍 "
                           "人物设定 主要角色 出场人物 人物关系".split())  # fmt: skip
_SYNOPSIS_HEADINGS = frozenset("梗概 故事梗概 剧情梗概 简介 剧情简介 故事简介 内容简介 大纲 "
                               "故事大纲 剧情介绍".split())  # fmt: skip
_TITLE_KEYS = frozenset("剧名 片名 标题 剧本名 剧本名称 作品名 作品名称 名称".split())
_META_KEYS = {"编剧": "author", "作者": "author", "原著": "source", "类型": "genre",
              "题材": "genre", "集数": "episodes", "时长": "duration", "单集时长": "duration",
              "导演": "director", "主演": "cast", "出品": "producer", "版本": "draft",
              "备注": "notes"}  # fmt: skip
_SCENE_CAST_KEYS = frozenset({"人物", "出场人物", "登场人物", "出场角色", "人物表"})
_NOTE_KEYS = frozenset("字幕 音效 音乐 配乐 背景音乐 BGM SFX 道具 服装 备注".split())
_ACTION_KEYS = frozenset("画面 镜头 特写 空镜 近景 远景 全景 中景 大特写 俯拍 仰拍".split())
_SPEECH_VERBS = ("说", "说道", "问", "问道", "笑道", "喊", "喊道", "骂道", "答道")
_BAD_NAME_CHARS = set(" \t，。！？；：、…“”‘’\"'《》【】<>!?;:,.~～—()（）[]「」『』/\\|=*#@")
_CONTINUES = tuple("，,、；;：:")  # a trailing —— is an interruption, not a continuation
_SEPARATORS = " \t、,.:|"  # folded forms: ， → ,  ． → .  ： → :  full-width space → space
# ！..～ → !..~ and the ideographic space → space; one character each, unlike NFKC (… → ...)
_FOLD_TABLE = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_SKIP_LINE = re.compile(r"[-—–―*=~_\s]+")
# （第一集完） / 【本集完】 / 全剧终: end marks are notes, never an episode header or a shot
_END_MARK = re.compile(rf"[(【\[]?\s*(?:第\s*{_NUM}\s*集\s*)?(?:本集)?(?:完|终|剧终|全剧终|完结|结束|"
                       r"未完待续|待续)\s*[)】\]]?")


def parse_juben(text: str, *, path: str | None = None) -> Script:
    """Parse a Chinese 剧本 into a `Script` (format JUBEN, language zh).

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


def _fold(text: str) -> str:
    """Full-width forms → ASCII, one character for one, so indexes stay valid in the original."""
    return text.translate(_FOLD_TABLE)


def _strip(text: str) -> str:
    return text.strip().strip("\u200b\ufeff").strip()


def _valid_name(name: str) -> bool:
    return (
        0 < len(name) <= 10
        and not (set(name) & _BAD_NAME_CHARS)
        and any(c.isalpha() for c in name)
        and name[0] not in _ACTION_MARKS
        and not (len(name) > 1 and name.endswith(_SPEECH_VERBS))
    )


def _split_list(text: str) -> list[str]:
    """Split 顾言（28岁，总裁）、林晚晚 on 、，,/ and spaces, but not inside brackets."""
    items: list[str] = []
    current: list[str] = []
    depth = 0
    for c in text:
        if c in "（(【[":
            depth += 1
        elif c in "）)】]":
            depth = max(0, depth - 1)
        if depth == 0 and c in "、，,/；; \t\u3000":
            items.append("".join(current))
            current = []
        else:
            current.append(c)
    items.append("".join(current))
    return [item.strip() for item in items if item.strip()]


def _name_and_description(item: str) -> tuple[str, str | None]:
    """顾言（28岁，霸道总裁） → ("顾言", "28岁，霸道总裁")."""
    m = re.fullmatch(r"([^（(]*)[（(](.*)[）)]\s*", item)
    if m:
        return m.group(1).strip(), m.group(2).strip() or None
    return item.strip(), None


def _classify_token(token: str) -> tuple[str | None, bool | None, bool] | None:
    """A heading token → (time, interior, names_place) if it is 日/夜/内/外 words, else None."""
    t = token.replace("/", "")
    if t in _TIMES:
        return t, None, False
    if t in _PLACES:
        return None, _PLACES[t], True
    for i in range(1, len(t)):
        head, tail = t[:i], t[i:]
        if head in _TIMES and tail in _PLACES:
            return head, _PLACES[tail], True
        if head in _PLACES and tail in _TIMES:
            return tail, _PLACES[head], True
    return None


def _tokens(folded: str) -> list[tuple[int, int]]:
    return [m.span() for m in re.finditer(rf"[^{re.escape(_SEPARATORS)}]+", folded)]


@dataclass
class _SceneHead:
    number: str | None
    location: str
    time: str | None
    interior: bool | None


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
    known_names: set[str] = field(default_factory=set)

    def error(self, message: str, line: int | None = None) -> ScriptError:
        return ScriptError(message, file=self.path, line=line or self.line_no)

    # -- driver ---------------------------------------------------------------------------

    def parse(self, text: str) -> Script:
        self.script = Script(format=ScriptFormat.JUBEN, path=self.path, language="zh")
        if not isinstance(text, str):
            raise self.error("expected the script as text", 1)
        if "\x00" in text:
            raise self.error("the script contains binary data (a NUL byte); expected a text file", 1)
        text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
        lines = text.split("\n")
        if not any(_strip(line) for line in lines):
            raise self.error(
                "the script is empty; expected an episode header like 第1集 and a scene "
                "header like 1-1 日 内 地点", 1)  # fmt: skip
        last_content = 1
        for number, raw in enumerate(lines, start=1):
            self.line_no = number
            line = _strip(raw)
            if not line:
                self.last_dialogue = None
                continue
            last_content = number
            self.handle(line, _fold(line))
        self.line_no = last_content
        if self.pending_cue is not None:
            self.raise_pending()
        if not any(ep.scenes for ep in self.script.episodes):
            raise self.error(
                "no scene found; expected a scene header like 1-1 日 内 地点 or 场1, "
                "or dialogue like 顾言：台词", last_content)  # fmt: skip
        return self.script

    def raise_pending(self) -> None:
        cue = self.pending_cue
        assert cue is not None
        raise self.error(f"the cue {cue.speaker_cue} has no line; write the line after the colon",
                         cue.line)  # fmt: skip

    def handle(self, line: str, folded: str) -> None:
        if _SKIP_LINE.fullmatch(folded):
            return  # —— / *** / ==== separators
        if self.pending_cue is not None:
            if self.is_plain(line, folded):
                self.fill_pending(line)
                return
            self.raise_pending()
        if self.episode_header(line, folded) or self.scene_header(line, folded):
            self.front = False
            self.front_mode = None
            self.last_dialogue = None
            return
        if self.front and self.front_matter(line, folded):
            return
        self.body_line(line, folded)

    # -- headers --------------------------------------------------------------------------

    def episode_header(self, line: str, folded: str) -> bool:
        m = re.match(rf"\s*([【\[〖(]?)\s*第\s*(-?\s*{_NUM})\s*集", folded)
        if not m or _END_MARK.fullmatch(folded.replace(" ", "")):
            return False
        rest_at = m.end()
        closed = re.match(r"\s*[】\]〗)]", folded[rest_at:])
        if closed:
            rest_at += closed.end()
        rest = folded[rest_at:]
        if rest and not closed and rest[0] not in _SEPARATORS + "-—《【(\u3000":
            return False  # 第一集团军… is prose, not a header
        number = parse_number(m.group(2))
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
        inner = re.fullmatch(r"[【\[〖](.*)[】\]〗]", folded)
        offset = 1 if inner else 0
        body = inner.group(1) if inner else folded
        head = self.read_scene_head(body, line[offset : offset + len(body)])
        if head is None:
            return False
        ep = self.ensure_episode()
        if head.number is not None:
            if head.number in self.scene_lines:
                raise self.error(f"scene {head.number} appears twice in episode {ep.number} "
                                 f"(first at line {self.scene_lines[head.number]})")  # fmt: skip
            self.scene_lines[head.number] = self.line_no
        heading = line[offset : offset + len(body)].strip()
        self.scene = ScriptScene(number=head.number, heading=heading, location=head.location,
                                 time=head.time, interior=head.interior, line=self.line_no)  # fmt: skip
        ep.scenes.append(self.scene)
        return True

    def read_scene_head(self, folded: str, original: str) -> _SceneHead | None:
        m = re.match(r"\s*(\d+)\s*[-—–_]\s*(\d+)", folded)
        number: str | None = None
        if m:
            number = f"{int(m.group(1))}-{int(m.group(2))}"
        else:
            m = re.match(rf"\s*(?:第\s*({_NUM}(?:\s*-\s*\d+)?)\s*场|场景?\s*({_NUM}(?:\s*-\s*\d+)?))",
                         folded)  # fmt: skip
            if not m:
                return None
            raw = re.sub(r"\s", "", m.group(1) or m.group(2))
            if "-" in raw:
                left, right = raw.split("-", 1)
                parts = (parse_number(left), parse_number(right))
            else:
                parts = (parse_number(raw), None)
            if parts[0] is None:
                raise self.error(f"cannot read the scene number in {original!r}; write it like "
                                 "场1 or 第一场")  # fmt: skip
            number = str(parts[0]) if parts[1] is None else f"{parts[0]}-{parts[1]}"
        rest, rest_original = folded[m.end() :], original[m.end() :]
        spans = _tokens(rest)
        if rest and rest[0] not in _SEPARATORS + "\u3000/":
            if not spans or _classify_token(rest[spans[0][0] : spans[0][1]]) is None:
                return None  # 3-5个人走进来 is action, not scene 3-5
        kinds = [_classify_token(rest[a:b]) for a, b in spans]
        lo, hi = 0, len(spans)
        while lo < hi and kinds[lo] is not None:
            lo += 1
        while hi > lo and kinds[hi - 1] is not None:
            hi -= 1
        times = [k[0] for k in kinds[:lo] + kinds[hi:] if k and k[0]]
        places = [k[1] for k in kinds[:lo] + kinds[hi:] if k and k[2]]
        if len(times) > 1:
            raise self.error(f"scene {number} names two times of day ({'、'.join(times)}); "
                             "keep one, like 日 or 夜")  # fmt: skip
        interior: bool | None = None
        if places:
            interior = places[0] if all(p == places[0] for p in places) else None
        location = rest_original[spans[lo][0] : spans[hi - 1][1]].strip() if lo < hi else ""
        return _SceneHead(number, location, times[0] if times else None, interior)

    # -- front matter ---------------------------------------------------------------------

    def front_matter(self, line: str, folded: str) -> bool:
        """Title, meta, cast block and synopsis; False when the line starts the story."""
        title = re.fullmatch(r"《([^《》]+)》", folded)
        if title and self.script.title is None:
            self.script.title = line[1:-1].strip()
            return True
        key, value = self.heading(line, folded)
        if key is not None:
            if key in _CAST_HEADINGS:
                self.front_mode = "cast"
                for item in _split_list(value):
                    self.add_note(*_name_and_description(item))
                return True
            if key in _SYNOPSIS_HEADINGS:
                self.front_mode = "synopsis"
                if value:
                    self.add_synopsis(value)
                return True
            if key in _TITLE_KEYS and value:
                self.script.title = value
                return True
            if key in _META_KEYS and value:
                self.script.title_page[_META_KEYS[key]] = value
                return True
        if self.front_mode == "cast" and self.cast_entry(line, folded):
            return True
        if folded[0] in _ACTION_MARKS or self.is_structural(line, folded):
            return False
        notes = self.script.character_notes
        if self.front_mode == "cast" and notes and notes[-1].description:
            notes[-1].description += line  # a description that runs onto the next line
        else:
            self.add_synopsis(line)
        return True

    def heading(self, line: str, folded: str) -> tuple[str | None, str]:
        """【人物介绍】 / 人物介绍： / 剧名：契约新娘 → (key, value); (None, "") otherwise."""
        m = re.fullmatch(r"[【\[〖]?\s*([^:【】\[\]〖〗]{1,8}?)\s*[】\]〗]?\s*(?::\s*(.*))?", folded)
        if not m:
            return None, ""
        value = line[m.start(2) :].strip() if m.group(2) is not None else ""
        return m.group(1).strip(), value

    def cast_entry(self, line: str, folded: str) -> bool:
        m = re.fullmatch(r"([^:]+?)\s*:\s*(.+)", folded)
        if m and _valid_name(m.group(1)):
            self.add_note(line[: m.end(1)].strip(), line[m.start(2) :].strip())
            return True
        m = re.fullmatch(r"([^()]+?)\s*\(([^()]+)\)\s*(.*)", folded)
        if m and _valid_name(m.group(1)):
            extra = line[m.start(3) :].strip().lstrip("，,：:—- ")
            desc = line[m.start(2) : m.end(2)].strip() + (f"，{extra}" if extra else "")
            self.add_note(line[: m.end(1)].strip(), desc)
            return True
        m = re.fullmatch(r"(\S+?)\s*(?:\s|——|—|--)\s*(\S.*)", folded)
        if m and _valid_name(m.group(1)):
            self.add_note(line[: m.end(1)].strip(), line[m.start(2) :].strip())
            return True
        return False

    def add_synopsis(self, text: str) -> None:
        previous = self.script.title_page.get("synopsis")
        self.script.title_page["synopsis"] = f"{previous}\n{text}" if previous else text

    def add_note(self, name: str, description: str | None) -> None:
        if not _valid_name(_fold(name)):
            return
        self.known_names.add(name)
        if description and all(note.name != name for note in self.script.character_notes):
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
        if _END_MARK.fullmatch(folded.replace(" ", "")):
            self.add(ElementKind.NOTE, line.strip("（）()【】[]").strip())
            return
        if folded[0] in _ACTION_MARKS:
            text = line[1:].strip()
            if text:
                self.add(ElementKind.ACTION, text)
                self.note_introductions(text)
            return
        marker = re.fullmatch(r"[【\[〖]\s*([^【】\[\]〖〗]*?)\s*[】\]〗]", folded)
        if marker:
            inner = line[marker.start(1) : marker.end(1)]
            if inner:
                self.add(self.marker_kind(marker.group(1)), inner)
            return
        paren = re.fullmatch(r"\(\s*([^()]*?)\s*\)", folded)
        if paren and paren.group(1).startswith(_PAREN_NOTES):
            self.add(self.marker_kind(paren.group(1)), line[paren.start(1) : paren.end(1)])
            return
        if self.keyword_line(line, folded) or self.dialogue(line, folded):
            return
        if self.continues_dialogue():
            assert self.last_dialogue is not None
            joiner = " " if self.last_dialogue.text[-1:].isascii() and line[0].isascii() else ""
            self.last_dialogue.text += joiner + line
            return
        self.add(ElementKind.ACTION, line)
        self.note_introductions(line)

    def marker_kind(self, folded_inner: str) -> ElementKind:
        word = folded_inner.split(":", 1)[0].strip()
        return ElementKind.TRANSITION if word in _TRANSITIONS else ElementKind.NOTE

    def keyword_line(self, line: str, folded: str) -> bool:
        m = re.fullmatch(r"([^:]{1,6}?)\s*:\s*(.*)", folded)
        if not m:
            return False
        key, value = m.group(1).strip(), line[m.start(2) :].strip()
        if key.upper() in _NOTE_KEYS:
            self.add(ElementKind.NOTE, line)
        elif key in _TRANSITIONS:
            self.add(ElementKind.TRANSITION, line)
        elif key in _ACTION_KEYS:
            self.add(ElementKind.ACTION, line)
            self.note_introductions(value)
        elif key in _SCENE_CAST_KEYS:
            scene = self.ensure_scene()
            for item in _split_list(value):
                name, description = _name_and_description(item)
                if _valid_name(_fold(name)) and name not in scene.characters:
                    scene.characters.append(name)
                    self.add_note(name, description)
            self.last_dialogue = None
        elif key in ("时间", "地点", "场景", "场地", "内外景"):
            self.scene_detail(key, value, line)
        else:
            return False
        return True

    def scene_detail(self, key: str, value: str, line: str) -> None:
        scene = self.ensure_scene()
        self.last_dialogue = None
        if key in ("地点", "场景", "场地") and not scene.location:
            scene.location = value
        elif key == "时间" and scene.time is None and value:
            scene.time = value
        elif key == "内外景" and _fold(value).strip() in _PLACES and scene.interior is None:
            scene.interior = _PLACES[_fold(value).strip()]
        else:
            self.add(ElementKind.NOTE, line)
            return
        scene.heading = f"{scene.heading} {line}".strip() if scene.heading else line

    def dialogue(self, line: str, folded: str) -> bool:
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
        m = re.fullmatch(r"([^()]+?)\s*((?:\([^()]*\)\s*)*)", cue_folded)
        if not m:
            return False
        name_end, mode = m.end(1), None
        suffix = re.search(r"\s*(OS|VO|O\.S\.?|V\.O\.?)$", m.group(1), re.IGNORECASE)
        # 顾言OS / Leo VO carry a mode; BOSS or LEOS are just names
        if suffix and suffix.start() > 0 and not (
            suffix.start() == suffix.start(1) and folded[suffix.start() - 1].isascii()
            and folded[suffix.start() - 1].isalpha()
        ):  # fmt: skip
            name_end, mode = suffix.start(), _mode_of(suffix.group(1))
        speaker = line[:name_end].strip()
        if not _valid_name(folded[:name_end].strip()):
            return False
        notes: list[str] = []
        for group in re.finditer(r"\(([^()]*)\)", m.group(2)):
            start = m.start(2) + group.start(1)
            inner = line[start : start + len(group.group(1))].strip()
            group_mode, rest = _split_mode(inner)
            mode = mode or group_mode
            if rest:
                notes.append(rest)
        text = line[colon + 1 :].strip()
        lead = re.match(r"[（(]([^（）()]*)[）)]\s*", text)
        if lead and text[lead.end() :]:
            group_mode, rest = _split_mode(lead.group(1).strip())
            mode = mode or group_mode
            if rest:
                notes.append(rest)
            text = text[lead.end() :]
        if speaker in ("旁白", "画外音"):
            mode = mode or DialogueMode.VO
        element = self.add(
            ElementKind.DIALOGUE, text, speaker=speaker, speaker_cue=line[:colon].strip(),
            parenthetical="，".join(notes) or None, mode=mode,
        )  # fmt: skip
        self.known_names.add(speaker)
        if not text:
            self.pending_cue = element
        return True

    def fill_pending(self, line: str) -> None:
        cue = self.pending_cue
        assert cue is not None
        self.pending_cue = None
        lead = re.match(r"[（(]([^（）()]*)[）)]\s*", line)
        if lead and line[lead.end() :]:
            group_mode, rest = _split_mode(lead.group(1).strip())
            cue.mode = cue.mode or group_mode
            if rest:
                cue.parenthetical = f"{cue.parenthetical}，{rest}" if cue.parenthetical else rest
            line = line[lead.end() :]
        cue.text = line
        self.last_dialogue = cue

    def continues_dialogue(self) -> bool:
        last = self.last_dialogue
        return last is not None and bool(last.text) and last.text.endswith(_CONTINUES)

    def is_plain(self, line: str, folded: str) -> bool:
        """True for a line that would be plain action: no marker, header, cue or keyword."""
        if folded[0] in _ACTION_MARKS or re.fullmatch(r"[【\[〖(].*[】\]〗)]", folded):
            return False
        return not self.is_structural(line, folded)

    def is_structural(self, line: str, folded: str) -> bool:
        """Headers, markers, cues and keyword lines, checked without changing any state."""
        if re.fullmatch(r"[【\[〖(].*[】\]〗)]", folded):
            return True
        if re.match(rf"\s*[【\[〖(]?\s*第\s*{_NUM}\s*集", folded):
            return True
        if re.match(r"\s*\d+\s*[-—–_]\s*\d+", folded) or re.match(rf"\s*(第\s*{_NUM}\s*场|场景?\s*{_NUM})", folded):
            return True
        m = re.fullmatch(r"([^:()]+?)\s*(\([^()]*\)\s*)*:.*", folded)
        return bool(m and _valid_name(re.sub(r"(?i)\s*(OS|VO)$", "", m.group(1)) or m.group(1)))

    def note_introductions(self, text: str) -> None:
        """△顾言（28岁，冷峻）推门而入 → a note for 顾言, if 顾言 is known or an age is given."""
        for m in re.finditer(r"([\u4e00-\u9fff·A-Za-z]{1,12})[（(]([^（）()]{1,80})[）)]", text):
            run, description = m.group(1), m.group(2).strip()
            if _split_mode(description)[0] is not None:
                continue
            name = next((n for n in sorted(self.known_names, key=len, reverse=True)
                         if run.endswith(n)), None)  # fmt: skip
            # an unknown name counts only as a clause's subject with an age: △门外，陈默（30岁）
            if name is None and "岁" in description and len(run) <= 4:
                if m.start() == 0 or text[m.start() - 1] in "，。；！？、,;!? ":
                    name = run
            if name:
                self.add_note(name, description)


def _mode_of(word: str) -> DialogueMode | None:
    w = _fold(word).strip().upper()
    if w in _OS_WORDS:
        return DialogueMode.OS
    if w in _VO_WORDS:
        return DialogueMode.VO
    return None


def _split_mode(inner: str) -> tuple[DialogueMode | None, str]:
    """"OS，咬牙" → (OS, "咬牙"); "冷笑" → (None, "冷笑"); words are split on 、，,/ and spaces."""
    parts = [p for p in re.split(r"[，,、/；;\s]+", inner) if p]
    modes = [_mode_of(p) for p in parts]
    if not any(modes):
        return None, inner
    mode = next(m for m in modes if m)
    rest = [p for p, m in zip(parts, modes, strict=True) if m is None]
    return mode, "，".join(rest)
