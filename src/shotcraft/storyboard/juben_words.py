"""The words and line shapes of the 剧本 layout, for `storyboard.juben` (pure, no state).

Everything here reads one line (as written, and "folded": full-width forms as ASCII, one
character for one, so an index in the folded line is an index in the line as written).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shotcraft.shots.models import DialogueMode
from shotcraft.storyboard.numerals import NUMERAL, parse_number

_NUM = NUMERAL

TIMES = frozenset(
    "日 夜 晨 昏 早 晚 午 暗 昼 暮 夕 黄昏 傍晚 清晨 早上 早晨 上午 中午 下午 晚上 夜晚 深夜 凌晨 午后 "
    "白天 黎明 日出 日落 午夜 正午 夜间 日间 夜里 半夜 晚间 拂晓 破晓 薄暮 子夜 "
    "DAY NIGHT MORNING EVENING AFTERNOON DUSK DAWN NOON MIDNIGHT SUNSET SUNRISE LATER CONTINUOUS".split()
)
PLACES = {"内": True, "内景": True, "外": False, "外景": False, "内外": None, "外内": None,
          "内外景": None, "内/外": None, "外/内": None,
          "INT": True, "INT.": True, "EXT": False, "EXT.": False, "INT./EXT.": None,
          "INT/EXT": None, "I/E": None, "EXT./INT.": None, "EXT/INT": None}  # fmt: skip
TRANSITIONS = ("转场", "切", "切至", "切到", "切换", "硬切", "叠化", "淡入", "淡出", "渐隐", "渐显",
               "闪白", "闪黑", "黑屏", "白屏", "溶", "CUT TO", "FADE IN", "FADE OUT", "FADE TO BLACK",
               "DISSOLVE TO", "SMASH CUT TO", "MATCH CUT TO")  # fmt: skip
OS_WORDS = frozenset({"OS", "O.S.", "O.S", "内心", "心声", "独白", "内心独白", "内心OS", "心理", "心理活动",
                      "OFF", "O.C."})  # fmt: skip
VO_WORDS = frozenset({"VO", "V.O.", "V.O", "旁白", "画外音", "画外", "声音", "电话音", "画外声"})
ACTION_MARKS = "△▲∆▵※◆●■"
# whole-line （…） markers that are notes rather than stage directions
PAREN_NOTES = ("闪回", "回忆", "插叙", "字幕", "本集完", "完", "全剧终", "剧终", "未完待续", "待续")

CAST_HEADINGS = frozenset("人物 人物表 人物介绍 人物小传 主要人物 角色 角色表 角色介绍 人物设定 主要角色 "
                          "出场人物 人物关系 角色小传 主要人物小传 人物简介 角色设定 CHARACTERS CAST".split())
SYNOPSIS_HEADINGS = frozenset("梗概 故事梗概 剧情梗概 简介 剧情简介 故事简介 内容简介 大纲 故事大纲 剧情介绍 "
                              "一句话梗概 故事线 描述 SYNOPSIS LOGLINE OUTLINE SUMMARY".split())  # fmt: skip
BODY_HEADINGS = frozenset("正文 剧本正文 剧本 分集剧本 SCRIPT".split())  # the story starts after it
TITLE_KEYS = frozenset("剧名 片名 标题 剧本名 剧本名称 作品名 作品名称 名称 TITLE".split())
META_KEYS = {"编剧": "author", "作者": "author", "原著": "source", "类型": "genre", "题材": "genre",
             "集数": "episodes", "全本集数": "episodes", "时长": "duration", "单集时长": "duration",
             "导演": "director", "主演": "cast", "出品": "producer", "版本": "draft", "备注": "notes",
             "版权状态": "rights", "全本交付时间": "delivered", "风格": "style", "AUTHOR": "author",
             "CREDIT": "credit", "DRAFT DATE": "draft", "GENRE": "genre"}  # fmt: skip
SCENE_CAST_KEYS = frozenset({"人物", "出场人物", "登场人物", "出场角色", "人物表", "登场", "出场", "角色",
                             "主要人物", "CHARACTERS", "CAST"})  # fmt: skip
# keys of whole-line notes, by what the note is (a 字幕 card, a sound cue, a camera note...)
NOTE_KINDS = {
    "subtitle": ("字幕", "字幕浮现", "字幕卡", "弹幕", "弹幕浮字", "花字", "TITLE CARD", "SUBTITLE",
                 "CAPTION", "SUPER", "SUPERIMPOSE", "ON SCREEN", "CARD"),
    "sound": ("音效", "音乐", "配乐", "背景音乐", "BGM", "SFX", "环境音", "音响", "SOUND", "MUSIC"),
    "camera": ("镜头语言", "运镜", "景别", "机位", "视角", "拍摄", "分镜", "CAMERA", "SHOT", "ANGLE"),
    "effect": ("特效", "VFX", "FX", "EFFECT"),
    "flashback": ("闪回", "闪回结束", "回忆", "回忆结束", "插叙", "FLASHBACK"),
    "note": ("道具", "服装", "化妆", "备注", "天气", "氛围", "风格", "色调", "时长", "提取帧", "场景图",
             "情绪", "节奏", "注", "NOTE", "MOOD", "STYLE"),
}
NOTE_KEY_KIND = {key: kind for kind, keys in NOTE_KINDS.items() for key in keys}
# "key: value" lines that are the shot's picture, not a note: the text is an action
ACTION_KEYS = frozenset("画面 特写 空镜 近景 远景 全景 中景 大特写 俯拍 仰拍 描述 动作 场景描述 画面描述 "
                        "ACTION".split())  # fmt: skip
SCENE_DETAIL_KEYS = frozenset({"时间", "地点", "场景", "场地", "内外景", "TIME", "LOCATION"})
# a character's appearance and biography lines inside a 人物小传 block
APPEARANCE_KEYS = frozenset("外貌 形象 造型 长相 外形 相貌 服装 穿着 衣着 外观 APPEARANCE LOOK".split())
BIO_KEYS = frozenset("核心身份 身份 性格 简介 背景 年龄 人物关系 关系 职业 经历 人设 特点 性格特点 "
                     "ROLE BIO".split())  # fmt: skip
# a cast list's word for everyone already in the episode (全员, 前场所有人, All from previous scenes)
EVERYONE = frozenset({"全员", "所有人", "前场所有人", "前场人物", "同上", "全体", "全体人员", "以上人物",
                      "EVERYONE", "ALL", "ALL FROM PREVIOUS SCENES", "SAME AS ABOVE"})
# speakers that are voices without a face: they keep a voice but get no identity slot
VOICE_WORDS = frozenset("系统音 系统 系统提示音 系统提示 系统声音 机械音 电子音 广播 广播音 电台 电视 电视声 "
                        "收音机 对讲机 手机 电话 提示音 AI 导航 SYSTEM RADIO TV ANNOUNCER PA".split())
SPEECH_VERBS = ("说", "说道", "问", "问道", "笑道", "喊", "喊道", "骂道", "答道")
# what may end a name without being a manner: 天兵甲, 林父, 记者们, 傅子岸的母亲, 乔安然同学
NAME_ENDINGS = tuple("甲乙丙丁戊己庚辛壬癸ABCDEFGHIJ0123456789一二三四五六七八九十们父母哥姐弟妹妻夫爸妈叔婶爷奶") \
    + ("儿子", "女儿", "助理", "秘书", "朋友", "同学", "保镖", "司机", "手下", "小弟", "老婆", "老公",
       "太太", "先生", "小姐", "夫人", "母亲", "父亲", "老师", "师父", "师兄", "师姐", "队长", "经理")
BAD_NAME_CHARS = set("\t，。！？；：、…“”‘’\"'《》【】<>!?;:,~～—()（）[]「」『』/\\|=*#@")
_BAD_NAME = re.compile("[" + re.escape("".join(sorted(BAD_NAME_CHARS))) + " ]")
CONTINUES = tuple("，,、；;：:")  # a trailing —— is an interruption, not a continuation
SEPARATORS = " \t、,.:|·•"  # folded forms: ， → ,  ． → .  ： → :  full-width space → space
# ！..～ → !..~ and the ideographic space → space; one character each, unlike NFKC (… → ...)
FOLD_TABLE = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
SKIP_LINE = re.compile(r"[-—–―*=~_\s]+")
# （第一集完） / 【本集完】 / 全剧终: end marks are notes, never an episode header or a shot
END_MARK = re.compile(rf"[(【\[]?\s*(?:第\s*{_NUM}\s*集\s*)?(?:本集)?(?:完|终|剧终|全剧终|完结|结束|"
                      r"未完待续|待续)\s*[)】\]]?")
_MD_HEADING = re.compile(r"#{1,6}[ \t]*")
# **bold** from its line's start or after a space or punctuation, to a space, punctuation or the end
_BOLD = re.compile(r"(?:(?<=^)|(?<=[\s，。：:、（(【\[]))\*\*([^*]+?)\*\*(?=$|[\s，。：:、（(）)】\]！？!?])")
_LIST_NUMBER = re.compile(r"(\d{1,3})\s*[.、．]\s*")  # "1." / "12、" before a cast entry or a heading
_ORDINAL_END = re.compile(r"[甲乙丙丁戊己庚辛壬癸A-Za-z0-9]$")
# lines that look like a scene heading; said in the report when one was not read as one
LOOKS_LIKE_HEADING = re.compile(
    rf"\s*(?:#+\s*)?(?:\d+\s*[-—–_]\s*\d+|第\s*{_NUM}\s*场|场次?\s*\d|场景\s*\d|(?:INT|EXT)[./\s]"
    r"|SCENE\s+\d|S\d{1,3}\b|\d{1,3}\s*[.、]\s*\S{1,20}\s+[日夜晨昏]"
    r"|\d{1,3}\s+(?:日|夜|晨|昏|暗|黄昏|傍晚|清晨)\s*[,，、\s]\s*(?:内|外))", re.IGNORECASE)


def fold(text: str) -> str:
    """Full-width forms → ASCII, one character for one, so indexes stay valid in the original."""
    return text.translate(FOLD_TABLE)


def strip_line(text: str) -> str:
    return text.strip().strip("\u200b\ufeff").strip()


def unmark(line: str) -> tuple[str, int]:
    """A line without Markdown heading marks (`## `) and bold (`**…**`), and the heading
    level it had (0 for none): Markdown exports and chat tools write 剧本 this way."""
    level = 0
    if line.startswith("#"):
        m = _MD_HEADING.match(line)
        if m and (m.end() < len(line)):
            level = line[: m.end()].count("#")
            line = line[m.end():]
    if "**" in line:
        line = _BOLD.sub(lambda m: m.group(1), line).strip()
    return line, level


_LATIN_NAME = re.compile(r"[A-Za-z][A-Za-z.'\-]*(?: [A-Za-z][A-Za-z.'\-]*){0,3}")


def is_latin_name(name: str) -> bool:
    return name[:1].isascii() and bool(_LATIN_NAME.fullmatch(name))


def valid_name(name: str) -> bool:
    """A speaker or cast name: ≤ 10 characters without sentence punctuation (Latin names may have
    up to four words), not ending in a speech verb (他说：… is action)."""
    if is_latin_name(name):
        return len(name) <= 30
    return (
        0 < len(name) <= 10
        and not _BAD_NAME.search(name)
        and name[0] not in ACTION_MARKS
        and any(c.isalpha() for c in name)
        and not (len(name) > 1 and name.endswith(SPEECH_VERBS))
    )


def is_voice(name: str | None) -> bool:
    """A speaker without a face: 旁白/画外音 narrators and 系统音/广播 voices."""
    if not name:
        return False
    key = fold(name).strip().upper()
    return key in VOICE_WORDS or key in {"旁白", "画外音", "解说", "NARRATOR", "NARRATION", "VOICE"}


def note_kind(key: str) -> str | None:
    """The kind of a note from its key (字幕 → subtitle), None when `key` names no note."""
    word = fold(key).split("@", 1)[0].split("|", 1)[0].strip().upper()
    if word in NOTE_KEY_KIND:
        return NOTE_KEY_KIND[word]
    if word.endswith("视角") or word.endswith("POV"):
        return "camera"
    return None


_KEYWORDS = frozenset(NOTE_KEY_KIND) | frozenset(TRANSITIONS) | ACTION_KEYS | SCENE_DETAIL_KEYS


def is_keyword(key: str) -> bool:
    """True for a `key：` this layout reads as a note, transition, action or scene detail."""
    word = key.split("@", 1)[0].split("|", 1)[0].strip()
    return (word in _KEYWORDS or word.upper() in _KEYWORDS or word == "镜头"
            or word.endswith(("视角", "POV")))


def mode_of(word: str) -> DialogueMode | None:
    w = fold(word).strip().upper()
    if w in OS_WORDS or w.endswith("OS") and w[:-2] in ("内心", "心里"):
        return DialogueMode.OS
    if w in VO_WORDS:
        return DialogueMode.VO
    return None


def split_mode(inner: str) -> tuple[DialogueMode | None, str]:
    """"OS，咬牙" → (OS, "咬牙"); "冷笑" → (None, "冷笑"); words are split on 、，,/|； and spaces."""
    parts = [p for p in re.split(r"[，,、/|；;\s]+", inner) if p]
    modes = [mode_of(p) for p in parts]
    if not any(modes):
        return None, inner
    mode = next(m for m in modes if m)
    rest = [p for p, m in zip(parts, modes, strict=True) if m is None]
    return mode, "，".join(rest)


def split_list(text: str) -> list[str]:
    """Split 顾言（28岁，总裁）、林晚晚 on 、，,/ and spaces, but not inside brackets (Latin
    names keep their spaces: "Shen Xingqing, Villager")."""
    latin = text.isascii()
    items: list[str] = []
    current: list[str] = []
    depth = 0
    for c in text:
        if c in "（(【[":
            depth += 1
        elif c in "）)】]":
            depth = max(0, depth - 1)
        if depth == 0 and c in ("、，,/；;" if latin else "、，,/；; \t\u3000"):
            items.append("".join(current))
            current = []
        else:
            current.append(c)
    items.append("".join(current))
    return [item.strip() for item in items if item.strip()]


def name_and_description(item: str) -> tuple[str, str | None]:
    """顾言（28岁，霸道总裁） → ("顾言", "28岁，霸道总裁")."""
    m = re.fullmatch(r"([^（(]*)[（(](.*)[）)]\s*", item)
    if m:
        return m.group(1).strip(), m.group(2).strip() or None
    return item.strip(), None


def drop_list_number(line: str) -> str:
    """"1.林叶：…" / "5. 杨戬" → the entry without its list number."""
    m = _LIST_NUMBER.match(fold(line))
    return line[m.end():].strip() if m and m.end() < len(line) else line


_INLINE_ENTRY = re.compile(r"(?:^|(?<=[\s。.;；]))([^\s:：，。,（）()]{1,8}(?: [^\s:：，。,（）()]{1,3})?)\s*"
                           r"\(([^()]{0,20})\)\s*:")


def split_inline_cast(folded: str) -> list[tuple[int, int]]:
    """Spans of the entries of a cast list written on one line, "马一花（17）：… 陈茉莉（17）：…"
    (two or more `Name（age）：` entries); empty when the line holds fewer."""
    starts = [m.start(1) for m in _INLINE_ENTRY.finditer(folded)]
    if len(starts) < 2:
        return []
    return [(start, starts[i + 1] if i + 1 < len(starts) else len(folded))
            for i, start in enumerate(starts)]


def manner_after(name: str, speaker: str) -> str | None:
    """The manner in `speaker` after a known character's `name` (沈乐着急 → 着急), or None when
    the rest is part of another name (天兵甲, 林父, 傅子岸的母亲, 乔安然同学)."""
    if len(name) < 2 or not speaker.startswith(name) or len(speaker) == len(name):
        return None
    rest = speaker[len(name):].strip()
    if not rest or rest.startswith(("的", "之", "家", "·")):
        return None
    if len(rest) <= 3 and rest.endswith(NAME_ENDINGS):
        return None
    if _ORDINAL_END.search(rest) and len(rest) <= 2:
        return None
    return rest


# -- scene headings ------------------------------------------------------------------------------

@dataclass
class SceneHead:
    number: str | None
    location: str
    time: str | None
    interior: bool | None
    cast: str = ""  # a 人物：… list written on the heading's line, as written
    words: int = 0  # how many time/place words the heading had


_ENGLISH_HEAD = re.compile(r"\s*(INT\./EXT\.?|INT/EXT\.?|EXT\./INT\.?|EXT/INT\.?|I/E\.?|INT\.?|EXT\.?|EST\.?)"
                           r"[\s.]+(.*)", re.IGNORECASE)
_NUMBERS = (
    re.compile(r"\s*(?:场次?|场景|SCENE|SC\.?)?\s*(\d+)\s*[-—–_]\s*(\d+)(?:\s*场景?)?", re.IGNORECASE),
    re.compile(rf"\s*(?:第\s*({_NUM}(?:\s*-\s*\d+)?)\s*场|场次?景?\s*({_NUM}(?:\s*-\s*\d+)?)"
               r"|(?:SCENE|SC\.?)\s*(\d+)|S(\d{1,3})(?=[\s|:]))", re.IGNORECASE),
)
_NUMBERED = re.compile(r"\s*(\d{1,3})\s*[.、]\s*(?=\S)")  # Word's "1. 实验室 日" numbering
_CAST_ON_HEADING = re.compile(r"(?:^|\s|[,;])((?:出场|登场)?人物|CHARACTERS)\s*:\s*", re.IGNORECASE)
_TIME_WITH_DATE = re.compile(r"(日|夜|晨|昏|黄昏|傍晚|清晨|白天|晚上|深夜)(\d[\d./-]*)$")


class HeadingError(ValueError):
    """A heading whose number cannot be read, or that names two times of day."""


def classify(token: str) -> tuple[str | None, bool | None, bool] | None:
    """A heading token → (time, interior, names_place) if it is 日/夜/内/外 words, else None."""
    t = token.upper() if token.isascii() else token
    if t in PLACES:
        return None, PLACES[t], True
    t = t.replace("/", "") if not t.isascii() else t.rstrip(".")
    if t in TIMES:
        return t, None, False
    if t in PLACES:
        return None, PLACES[t], True
    dated = _TIME_WITH_DATE.match(t)
    if dated:
        return dated.group(1), None, False
    for i in range(1, len(t)):
        head, tail = t[:i], t[i:]
        if head in TIMES and tail in PLACES:
            return head, PLACES[tail], True
        if head in PLACES and tail in TIMES:
            return tail, PLACES[head], True
    return None


def _tokens(folded: str) -> list[tuple[int, int]]:
    return [m.span() for m in re.finditer(rf"[^{re.escape(SEPARATORS)}]+", folded)]


def read_scene_head(folded: str, original: str, *, numbered_lines: bool = True) -> SceneHead | None:
    """A scene heading line → SceneHead, or None when the line is no heading.

    `folded` is `original` folded (see `fold`). Raises HeadingError for a heading whose scene
    number cannot be read or that names two times of day."""
    cast = ""
    m_cast = _CAST_ON_HEADING.search(folded)
    if m_cast and m_cast.start() > 0:
        cast = original[m_cast.end():].strip()
        folded, original = folded[: m_cast.start()].rstrip(), original[: m_cast.start()].rstrip()
    number: str | None = None
    english = _ENGLISH_HEAD.match(folded)
    if english:
        return _english_head(None, english, original, cast)
    m = _NUMBERS[0].match(folded)
    numbered = False
    if m:
        number = f"{int(m.group(1))}-{int(m.group(2))}"
    else:
        m = _NUMBERS[1].match(folded)
        if m:
            raw = re.sub(r"\s", "", next(g for g in m.groups() if g is not None))
            if "-" in raw:
                left, right = raw.split("-", 1)
                parts = (parse_number(left), parse_number(right))
            else:
                parts = (parse_number(raw), None)
            if parts[0] is None:
                raise HeadingError(f"cannot read the scene number in {original!r}; write it like "
                                   "场1 or 第一场")  # fmt: skip
            number = str(parts[0]) if parts[1] is None else f"{parts[0]}-{parts[1]}"
        elif numbered_lines:
            m = _NUMBERED.match(folded)
            if not m:
                return None
            number, numbered = str(int(m.group(1))), True
        else:
            return None
    rest, rest_original = folded[m.end():], original[m.end():]
    english = _ENGLISH_HEAD.match(rest.lstrip(" :|"))
    if english:
        offset = len(rest) - len(rest.lstrip(" :|"))
        english = _ENGLISH_HEAD.match(rest[offset:])
        return _english_head(number, english, rest_original[offset:], cast)  # type: ignore[arg-type]
    spans = _tokens(rest)
    if rest and rest[0] not in SEPARATORS + "\u3000/" and not numbered:
        if not spans or classify(rest[spans[0][0]: spans[0][1]]) is None:
            return None  # 3-5个人走进来 is action, not scene 3-5
    kinds = [classify(rest[a:b]) for a, b in spans]
    if numbered and not any(kinds):
        return None  # "1. 书桌上堆满了书" is a list item; a numbered heading names its time or place
    lo, hi = 0, len(spans)
    while lo < hi and kinds[lo] is not None:
        lo += 1
    while hi > lo and kinds[hi - 1] is not None:
        hi -= 1
    # a numbered line puts its time after the place, and may end in a date: 实验室 日 2019.1.30
    if numbered and lo == 0:
        inner = [i for i, k in enumerate(kinds) if k is not None]
        if not inner:
            return None
        hi = inner[0]
    ends = kinds[:lo] + kinds[hi:]
    times = [k[0] for k in ends if k and k[0]]
    places = [k[1] for k in ends if k and k[2]]
    if len(times) > 1:
        raise HeadingError(f"scene {number} names two times of day ({'、'.join(times)}); "
                           "keep one, like 日 or 夜")  # fmt: skip
    interior: bool | None = None
    if places:
        interior = places[0] if all(p == places[0] for p in places) else None
    location = rest_original[spans[lo][0]: spans[hi - 1][1]].strip(" -—·•|") if lo < hi else ""
    return SceneHead(number, location, times[0] if times else None, interior, cast,
                     words=sum(1 for k in ends if k))


def _english_head(number: str | None, m: re.Match[str], original: str, cast: str) -> SceneHead:
    """EXT. RURAL ROAD / BUS - DAY → place False, location, time DAY."""
    place = m.group(1).upper().rstrip(".")
    interior = PLACES.get(place, PLACES.get(place + ".", None))
    body = original[m.start(2):].strip()
    time: str | None = None
    head, dash, tail = body.rpartition(" - ")
    if dash and tail.strip().upper().rstrip(".") in TIMES:
        body, time = head.strip(), tail.strip().upper().rstrip(".")
    return SceneHead(number, body.strip(" -"), time, interior, cast, words=1 + (time is not None))


def time_and_place_line(folded: str, original: str) -> SceneHead | None:
    """A line giving a bare heading its time and place ("日 内 灵山大雄宝殿"), or None."""
    spans = _tokens(folded)
    if not spans or classify(folded[spans[0][0]: spans[0][1]]) is None:
        return None
    kinds = [classify(folded[a:b]) for a, b in spans]
    lo = 0
    while lo < len(spans) and kinds[lo] is not None:
        lo += 1
    times = [k[0] for k in kinds[:lo] if k and k[0]]
    places = [k[1] for k in kinds[:lo] if k and k[2]]
    if len(times) > 1 or len(spans) - lo > 3:
        return None
    location = original[spans[lo][0]:].strip() if lo < len(spans) else ""
    return SceneHead(None, location, times[0] if times else None, places[0] if places else None,
                     words=lo)


def episode_match(folded: str) -> re.Match[str] | None:
    """第1集 / 【第一集】 / Episode 1 / EP1 at the start of a line."""
    return _EPISODE.match(folded)


_EPISODE = re.compile(rf"\s*([【\[〖(]?)\s*(?:第\s*(-?\s*{_NUM})\s*集|(?:EPISODE|EP\.?)\s*(-?\d+)\b)",
                      re.IGNORECASE)
