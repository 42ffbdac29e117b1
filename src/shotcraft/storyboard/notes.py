"""The writer's own shot notes: sizes, moves, angles and framings written into the script.

Writers of 剧本 and screenplays mark shots themselves. Those notes win over every coverage rule
and never reach a prompt or a caption: `read_notes(text)` finds them, says what they set and
gives the text back without them.

What is read (Chinese and English, full- or half-width brackets):

- a bracketed note anywhere: `（全景）` `(近景)` `【特写】` `【俯拍】` `【跟拍】` `【空镜】` `[CLOSE ON]` `(WIDE)`,
  several in one bracket too (`（全景，缓慢推进）`) — a bracket is a note when every word in it
  is a note word;
- a keyed note: `【镜头语言：俯拍，缓慢推进】`, `镜头：特写，…`, `运镜：…`, `景别：…`, `机位：…`;
- a size word opening the text: `远景` `全景` `中景` `近景` `特写` `大特写` `空镜` (`特写：手指发白`),
  or in capitals `CLOSE ON` `ANGLE ON` `INSERT` `WIDE ON` `POV` `ECU` `CU` `MCU` `MS` `WS` `EWS`.

`camera_note(text)` reads a note that stands alone (a whole-line `【镜头语言：…】`, or a camera
note a parser hands over): every word of it is read as a note, and it applies to the next shot.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from shotcraft.shots.models import Angle, Move, ShotKind, ShotSize
from shotcraft.storyboard.text import CJK_RE

# longest first within each table: 大特写 before 特写, 中近景 before 近景
SIZES: tuple[tuple[str, ShotSize], ...] = (
    ("大远景", ShotSize.EWS), ("极远景", ShotSize.EWS), ("远景", ShotSize.EWS),
    ("中全景", ShotSize.WS), ("全景", ShotSize.WS), ("中近景", ShotSize.MCU),
    ("中景", ShotSize.MS), ("近景", ShotSize.MCU), ("大特写", ShotSize.ECU),
    ("极特写", ShotSize.ECU), ("特写", ShotSize.CU),
    ("extreme wide shot", ShotSize.EWS), ("extreme wide", ShotSize.EWS),
    ("extreme long shot", ShotSize.EWS), ("establishing shot", ShotSize.EWS),
    ("extreme close-up", ShotSize.ECU), ("extreme close up", ShotSize.ECU),
    ("extreme closeup", ShotSize.ECU), ("medium close-up", ShotSize.MCU),
    ("medium close up", ShotSize.MCU), ("medium shot", ShotSize.MS), ("mid shot", ShotSize.MS),
    ("wide shot", ShotSize.WS), ("long shot", ShotSize.WS), ("full shot", ShotSize.WS),
    ("close-up", ShotSize.CU), ("close up", ShotSize.CU), ("closeup", ShotSize.CU),
    ("close on", ShotSize.CU), ("wide on", ShotSize.WS), ("medium", ShotSize.MS),
    ("wide", ShotSize.WS), ("ews", ShotSize.EWS), ("ecu", ShotSize.ECU), ("mcu", ShotSize.MCU),
    ("cu", ShotSize.CU), ("ms", ShotSize.MS), ("ws", ShotSize.WS),
)
MOVES: tuple[tuple[str, Move], ...] = (
    ("推镜头", Move.DOLLY_IN), ("推镜", Move.DOLLY_IN), ("推进", Move.DOLLY_IN),
    ("推近", Move.DOLLY_IN), ("缓推", Move.DOLLY_IN), ("急推", Move.ZOOM_IN),
    ("拉镜头", Move.DOLLY_OUT), ("拉镜", Move.DOLLY_OUT), ("拉远", Move.DOLLY_OUT),
    ("拉开", Move.DOLLY_OUT), ("后拉", Move.DOLLY_OUT), ("急拉", Move.ZOOM_OUT),
    ("左摇", Move.PAN_LEFT), ("右摇", Move.PAN_RIGHT), ("摇镜头", Move.PAN_RIGHT),
    ("摇镜", Move.PAN_RIGHT), ("横摇", Move.PAN_RIGHT), ("甩镜头", Move.PAN_RIGHT),
    ("甩镜", Move.PAN_RIGHT), ("上摇", Move.TILT_UP), ("仰摇", Move.TILT_UP),
    ("下摇", Move.TILT_DOWN), ("升镜头", Move.TILT_UP), ("升镜", Move.TILT_UP),
    ("降镜头", Move.TILT_DOWN), ("降镜", Move.TILT_DOWN), ("左移", Move.TRUCK_LEFT),
    ("右移", Move.TRUCK_RIGHT), ("横移", Move.TRUCK_RIGHT), ("移镜头", Move.TRUCK_RIGHT),
    ("移镜", Move.TRUCK_RIGHT), ("跟拍", Move.TRUCK_RIGHT), ("跟镜头", Move.TRUCK_RIGHT),
    ("跟镜", Move.TRUCK_RIGHT), ("跟随", Move.TRUCK_RIGHT), ("环绕", Move.ORBIT),
    ("环拍", Move.ORBIT), ("旋转镜头", Move.ORBIT), ("手持", Move.HANDHELD),
    ("晃动镜头", Move.HANDHELD), ("固定镜头", Move.STATIC), ("固定机位", Move.STATIC),
    ("固定", Move.STATIC), ("静止镜头", Move.STATIC), ("静止", Move.STATIC),
    ("push in", Move.DOLLY_IN), ("push-in", Move.DOLLY_IN), ("dolly in", Move.DOLLY_IN),
    ("pull out", Move.DOLLY_OUT), ("pull back", Move.DOLLY_OUT), ("dolly out", Move.DOLLY_OUT),
    ("pan left", Move.PAN_LEFT), ("pan right", Move.PAN_RIGHT), ("pan", Move.PAN_RIGHT),
    ("tilt up", Move.TILT_UP), ("tilt down", Move.TILT_DOWN), ("crane up", Move.TILT_UP),
    ("crane down", Move.TILT_DOWN), ("truck left", Move.TRUCK_LEFT),
    ("truck right", Move.TRUCK_RIGHT), ("tracking", Move.TRUCK_RIGHT),
    ("follow", Move.TRUCK_RIGHT), ("zoom in", Move.ZOOM_IN), ("zoom out", Move.ZOOM_OUT),
    ("orbit", Move.ORBIT), ("arc", Move.ORBIT), ("handheld", Move.HANDHELD),
    ("hand-held", Move.HANDHELD), ("static", Move.STATIC), ("locked off", Move.STATIC),
)
KINDS: tuple[tuple[str, ShotKind], ...] = (
    ("过肩镜头", ShotKind.OTS), ("过肩", ShotKind.OTS), ("双人镜头", ShotKind.TWO_SHOT),
    ("双人", ShotKind.TWO_SHOT), ("两人同框", ShotKind.TWO_SHOT), ("插入镜头", ShotKind.INSERT),
    ("道具特写", ShotKind.INSERT), ("插入", ShotKind.INSERT), ("反应镜头", ShotKind.REACTION),
    ("over the shoulder", ShotKind.OTS), ("over-the-shoulder", ShotKind.OTS),
    ("ots", ShotKind.OTS), ("two shot", ShotKind.TWO_SHOT), ("two-shot", ShotKind.TWO_SHOT),
    ("2-shot", ShotKind.TWO_SHOT), ("insert shot", ShotKind.INSERT), ("insert", ShotKind.INSERT),
    ("reaction shot", ShotKind.REACTION),
)
ANGLES: tuple[tuple[str, Angle], ...] = (
    ("俯拍", Angle.HIGH), ("俯视", Angle.HIGH), ("俯角", Angle.HIGH), ("仰拍", Angle.LOW),
    ("仰视", Angle.LOW), ("仰角", Angle.LOW), ("顶拍", Angle.OVERHEAD), ("鸟瞰", Angle.OVERHEAD),
    ("航拍", Angle.OVERHEAD), ("主观镜头", Angle.POV), ("主观视角", Angle.POV), ("主观", Angle.POV),
    ("倾斜镜头", Angle.DUTCH), ("high angle", Angle.HIGH), ("low angle", Angle.LOW),
    ("overhead", Angle.OVERHEAD), ("bird's eye", Angle.OVERHEAD), ("birds eye", Angle.OVERHEAD),
    ("aerial", Angle.OVERHEAD), ("top shot", Angle.OVERHEAD), ("pov", Angle.POV),
    ("dutch angle", Angle.DUTCH), ("dutch", Angle.DUTCH),
)
EMPTY = ("空镜头", "空镜", "empty shot", "no one in frame")
SLOW_WORDS = ("缓慢", "缓缓", "慢慢", "缓", "slow", "slowly", "gentle")
FAST_WORDS = ("快速", "急速", "猛", "fast", "quick", "whip")
# words that may sit in a note without being one ("镜头缓慢推进", "camera ... on")
FILLER = ("镜头", "摄影机", "机位", "拍摄", "画面", "从", "向", "至", "到", "再", "然后", "并", "的",
          "camera", "shot", "angle", "on", "to", "then", "and", "slowly", "the")
KEYS = ("镜头语言", "镜头", "运镜", "景别", "机位", "拍法", "shot", "camera")
LEADING = ("大特写", "特写", "近景", "中近景", "中景", "全景", "远景", "大远景", "空镜")
LEADING_EN = ("CLOSE ON", "CLOSE-UP ON", "CLOSE UP ON", "CLOSE-UP", "CLOSE UP", "ANGLE ON",
              "INSERT", "WIDE ON", "WIDE SHOT", "POV", "OVER THE SHOULDER", "TWO SHOT", "TWO-SHOT",
              "EXTREME CLOSE-UP", "EXTREME WIDE")

_OPEN, _CLOSE = "（(【[〖", "）)】]〗"
_KEYED = re.compile(rf"(?:{'|'.join(map(re.escape, KEYS[:5]))})\s*[:：]\s*")
_LEADING = re.compile(rf"({'|'.join(map(re.escape, sorted(LEADING, key=len, reverse=True)))})"
                      r"(?:镜头)?(?=$|[\s：:，,、。！!—-])")
_LEADING_EN = re.compile(rf"({'|'.join(map(re.escape, sorted(LEADING_EN, key=len, reverse=True)))})"
                         r"(?=$|[ \t:,—-])")  # capitals only: a shot line
# a text with none of these holds no note (most actions): read without the slow path
_MAYBE = re.compile(rf"[{re.escape(_OPEN)}]|^\s*(?:{_KEYED.pattern}|{_LEADING.pattern}|"
                    rf"{_LEADING_EN.pattern}|镜头|摄影机|camera)", re.IGNORECASE)
_BRACKET = re.compile(r"[（(【\[〖]([^（()）【】\[\]〖〗]{1,40})[）)】\]〗]")
_SEPARATORS = re.compile(r"[\s，,、；;：:/／|+＋·。.\-—→]+")


@dataclass(frozen=True)
class ShotNotes:
    """What the writer's notes set on a shot (None: not said), the notes as written, and the
    text they were taken out of."""

    text: str = ""
    size: ShotSize | None = None
    move: Move | None = None
    intensity: float | None = None
    kind: ShotKind | None = None
    angle: Angle | None = None
    empty: bool = False  # 空镜: nobody in frame
    said: tuple[str, ...] = field(default_factory=tuple)

    @property
    def found(self) -> bool:
        return bool(self.said)

    def over(self, earlier: ShotNotes) -> ShotNotes:
        """These notes with `earlier` ones (a standalone note before the shot) filling the gaps."""
        return replace(
            self,
            size=self.size or earlier.size, move=self.move or earlier.move,
            intensity=self.intensity if self.intensity is not None else earlier.intensity,
            kind=self.kind or earlier.kind, angle=self.angle or earlier.angle,
            empty=self.empty or earlier.empty, said=(*earlier.said, *self.said),
        )


def _table_hits(words: str, table: tuple[tuple[str, object], ...]) -> list[tuple[int, int, object]]:
    """(start, end, value) of each table entry in `words`, longest first, never overlapping."""
    hits: list[tuple[int, int, object]] = []
    lowered = words.lower()
    for word, value in sorted(table, key=lambda pair: -len(pair[0])):
        latin = not CJK_RE.search(word)
        pattern = rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])" if latin else re.escape(word)
        for match in re.finditer(pattern, lowered):
            start, end = match.span()
            if any(start < e and s < end for s, e, _ in hits):
                continue
            hits.append((start, end, value))
    return hits


def _read_words(words: str) -> tuple[dict[str, object], bool]:
    """What a run of note words sets, and whether every word in it was a note word."""
    found: dict[str, object] = {}
    spans: list[tuple[int, int]] = []
    for key, table in (("kind", KINDS), ("size", SIZES), ("move", MOVES), ("angle", ANGLES)):
        for start, end, value in sorted(_table_hits(words, table)):
            if any(start < e and s < end for s, e in spans):
                continue
            spans.append((start, end))
            found.setdefault(key, value)
    for start, end, _ in _table_hits(words, tuple((w, True) for w in EMPTY)):
        if not any(start < e and s < end for s, e in spans):
            spans.append((start, end))
            found["empty"] = True
    lowered = words.lower()
    speeds: tuple[tuple[tuple[str, ...], float], ...] = ((SLOW_WORDS, 0.3), (FAST_WORDS, 0.8))
    for cues, speed in speeds:
        for start, end, _ in _table_hits(words, tuple((w, True) for w in cues)):
            if not any(start < e and s < end for s, e in spans):
                spans.append((start, end))
                found.setdefault("intensity", speed)
    rest = "".join(ch for i, ch in enumerate(lowered)
                   if not any(s <= i < e for s, e in spans))
    for filler in sorted(FILLER, key=len, reverse=True):
        rest = rest.replace(filler, " ")
    whole = not _SEPARATORS.sub("", rest).strip()
    return found, whole


def _notes_from(found: dict[str, object], said: list[str], text: str) -> ShotNotes:
    kind, size, move = found.get("kind"), found.get("size"), found.get("move")
    intensity, angle = found.get("intensity"), found.get("angle")
    if kind is ShotKind.INSERT and size is None:
        size = ShotSize.CU  # an insert is a close-up unless the writer says otherwise
    return ShotNotes(
        text=text, size=size if isinstance(size, ShotSize) else None,
        move=move if isinstance(move, Move) else None,
        intensity=intensity if isinstance(intensity, float) else None,
        kind=kind if isinstance(kind, ShotKind) else None,
        angle=angle if isinstance(angle, Angle) else None,
        empty=bool(found.get("empty")), said=tuple(said),
    )


def _unkey(words: str) -> str:
    """`镜头语言：俯拍` → `俯拍`: the key of a keyed note taken off."""
    match = re.match(rf"\s*(?:{'|'.join(map(re.escape, KEYS))})\s*[:：]\s*", words, re.IGNORECASE)
    return words[match.end():] if match else words


def read_notes(text: str | None) -> ShotNotes:
    """The writer's notes in an action or parenthetical: what they set, and the text without them."""
    if not text or not _MAYBE.search(text):
        return ShotNotes(text=text or "")
    found: dict[str, object] = {}
    said: list[str] = []

    def take(words: str, note: str) -> None:
        got, _ = _read_words(words)
        for key, value in got.items():
            found.setdefault(key, value)
        said.append(note.strip())

    def bracket(match: re.Match[str]) -> str:
        inner = match.group(1)
        keyed = _unkey(inner)
        got, whole = _read_words(keyed)
        if got and (whole or keyed != inner):
            take(keyed, match.group(0))
            return " "
        return match.group(0)

    cleaned = _BRACKET.sub(bracket, text)
    cleaned = _leading(cleaned, take)
    cleaned = re.sub(r"^[\s，,、；;：:。.\-—]+", "", cleaned)
    cleaned = re.sub(r"[ \t]{2,}", " ", cleaned).strip()
    # a note between two clauses leaves "，，" or "， 。" behind
    cleaned = re.sub(r"\s*([，,、；;])\s*(?=[，,、；;。.！!？?])", "", cleaned)
    if not said:
        return ShotNotes(text=text)
    return _notes_from(found, said, cleaned)


def _leading(text: str, take: Callable[[str, str], None]) -> str:
    """Take a keyed note (`镜头：特写，…`) or a size word opening the text off its front."""
    stripped = text.lstrip()
    keyed = _KEYED.match(stripped)
    if keyed:
        # note words run up to the first clause that is not all note words
        rest = stripped[keyed.end():]
        clauses = re.split(r"([，,、；;。.])", rest)
        taken, position = [], 0
        for index in range(0, len(clauses), 2):
            clause = clauses[index]
            got, whole = _read_words(clause)
            if not got or not whole:
                break
            taken.append(clause)
            position += len(clause) + (len(clauses[index + 1]) if index + 1 < len(clauses) else 0)
        if taken:
            take("，".join(taken), stripped[: keyed.end() + position].rstrip("，,、；;。. "))
            return rest[position:]
        return rest
    # prose: "镜头缓慢推进，顾言抬头" — an opening clause that is all camera words
    clause = re.match(r"([^，,、；;。.！!？?]{2,16})([，,、；;。.]|$)", stripped)
    if clause and re.match(r"(镜头|摄影机|camera)", clause.group(1), re.IGNORECASE):
        got, whole = _read_words(clause.group(1))
        if got and whole:
            take(clause.group(1), clause.group(1))
            return stripped[clause.end():]
    opening = _LEADING.match(stripped)
    if opening:
        take(opening.group(1), opening.group(0))
        return stripped[opening.end():]
    opening = _LEADING_EN.match(stripped)
    if opening:
        take(opening.group(1).lower(), opening.group(0))
        return stripped[opening.end():]
    return text


def camera_note(text: str | None) -> ShotNotes:
    """A note standing alone (a whole-line `【镜头语言：…】`, a parser's camera note): all of it
    is read as note words; it applies to the next shot. Nothing found: an empty ShotNotes."""
    if not text:
        return ShotNotes()
    inner = text.strip().strip(_OPEN + _CLOSE).strip()
    got, _ = _read_words(_unkey(inner))
    if not got:
        return ShotNotes()
    return _notes_from(got, [text.strip()], "")


def is_camera_note(text: str | None) -> bool:
    """Whether a standalone note is a camera note: keyed (`镜头语言：…`) or all note words."""
    if not text:
        return False
    inner = text.strip().strip(_OPEN + _CLOSE).strip()
    unkeyed = _unkey(inner)
    got, whole = _read_words(unkeyed)
    return bool(got) and (whole or unkeyed != inner)
