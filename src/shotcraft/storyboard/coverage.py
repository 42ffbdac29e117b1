"""Coverage: how a director shoots a beat — sizes, moves and the framings around a line.

These are the rules the breakdown applies (docs/guide/breakdown.md lists them in a director's
words). Every function here is pure and deterministic: the same text gives the same framing.

- Action size: eye/tear detail → ECU; hands and objects → CU; a crowd or an entrance → WS;
  movement or an exit → MS; one character → MCU; two or more → MS; nobody → WS.
- Action move, first match: fight or crowd → handheld; an entrance → pan (following them in);
  an exit → pan the other way (watching them go); walking/running → follow (tracking); rising
  or looking up → tilt up; sitting or looking down → tilt down; emotion → push-in; turning or
  a reveal → pan; otherwise static.
- A walk followed by a look (`走下车，……，抬头看向二楼阳台`) is two shots: the walk followed,
  then the look tilted.
- A prop beat — a verb acting on an object (撕, 递, 抽出, 扔, 拿起…) — gets an insert: a 1.5 s
  close-up of the hands and the object after the action.
- Dialogue between two people: a two-shot opens (and every fourth line re-opens) the exchange
  (in a group, only until one pair has been shown: a new pair then opens over the shoulder);
  the other lines are over-the-shoulder shots on the speaker past the listener; an emotional
  line is a clean close-up single with a slow push-in; an inner voice (OS) is a close-up of
  the thinker, mouth closed, slowly pushed in.
- Never the same framing of the same face twice in a row: the second shot steps a size.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from shotcraft.shots.models import Angle, CameraMove, DialogueLine, Move, ShotKind, ShotSize
from shotcraft.storyboard.text import CJK_RE

DETAIL_ECU = ("eye", "eyes", "tear", "tears", "teardrop", "眼睛", "眼眶", "眼神", "泪", "瞳孔")
DETAIL_CU = (
    "hand", "hands", "finger", "fingers", "phone", "ring", "letter", "photo", "photograph",
    "手机", "手指", "双手", "手心", "手在", "戒指", "信封", "信纸", "照片", "屏幕",
)
CROWD = (
    "crowd", "crowds", "mob", "everyone", "reporters", "人群", "众人", "围观", "记者们", "蜂拥",
    "一拥而上", "团团围住", "所有人", "人们", "宾客们",
)
ENTRANCE = (
    "enters", "enter", "comes in", "walks in", "arrives", "arrive", "bursts in",
    "推门而入", "推门进来", "走进", "进来", "闯进", "闯入", "冲进", "赶到", "赶来", "到来",
)
# arriving counts as not there yet when the scene opens (its establishing shot leaves them out)
ARRIVAL = ("走下车", "下了车", "驶来", "驶入", "停在门口")
EXIT = (
    "exits", "leaves", "walks out", "goes out", "退出", "离开", "离去", "走出", "出门", "摔门而去",
)
MOVEMENT = (
    "walks", "walk", "walking", "runs", "run", "running", "rushes", "hurries", "strides",
    "chases", "follows", "crosses", "approaches", "charges", "dashes", "sprints", "races",
    "lunges", "leaps", "jumps", "dribbles", "dribbling", "gets into", "走在", "走向", "走来", "走去", "走过", "走到", "走近", "走下", "走上",
    "穿过", "跑", "冲", "奔", "追", "迈步",
)
RISE = ("stands up", "rises", "gets up", "站起", "起身", "站了起来", "坐起", "起立")
SIT = ("sits down", "sits", "kneels", "crouches", "坐下", "蹲下", "跪下", "跌坐", "瘫坐", "坐在",
       "坐到")
FIGHT = (
    "fight", "fights", "fighting", "punch", "punches", "struggle", "struggles", "brawl",
    "chaos", "scuffle", "shoves", "collide", "collides", "smacks", "slammed", "roughing up",
    "扭打", "打斗", "搏斗", "混乱", "厮打", "打架", "揪住",
)
EMOTION = (
    "tears", "cries", "sobs", "shock", "shocked", "trembles", "trembling",
    "泪", "哭", "震惊", "愣住", "颤抖", "崩溃", "发抖",
)
REVEAL = (
    "reveals", "revealing", "turns to see", "appears", "discovers", "sees",
    "发现", "出现", "看见", "看到",
)
# what a face shows: an action of looks and feelings is framed on the face, a bodily one wider
FACE = (
    "looks", "stares", "glares", "smiles", "frowns", "watches", "gazes", "blinks", "nods",
    "thinks", "看", "盯", "想", "望", "瞪", "笑", "皱眉", "咬唇", "咬牙", "表情", "脸色", "沉默", "愣", "旁观",
    "点头", "摇头", "叹气", "闭上眼",
)
TURN = ("turns", "looks around", "glances", "转身", "回头", "环顾", "望向", "看向", "扫视")
LOOK_UP = ("looks up", "up at", "抬头", "仰望", "仰头")
LOOK_DOWN = ("looks down", "down at", "低头", "俯视")
SLOW = ("slowly", "gently", "缓缓", "慢慢", "轻轻", "慢悠悠")
FAST = ("suddenly", "abruptly", "violently", "猛地", "突然", "忽然", "猛然")
# a verb acting on an object: the beat a director cuts in on
PROP = (
    "tears up", "rips", "hands over", "hands him", "hands her", "pulls out", "takes out",
    "throws", "tosses", "picks up", "slams", "drops", "unfolds", "signs", "holds up", "grabs",
    "撕", "递", "抽出", "扔", "拿起", "掏出", "摔", "举起", "翻开", "塞进", "塞给", "推到", "攥紧",
    "握紧", "捡起", "拔出", "按下", "接过", "交给", "甩出", "签下", "丢下", "砸",
    "slides", "pours", "pockets", "unwraps", "takes off", "puts on", "hurls", "catches",
    "snatches", "stuffs", "摘下", "戴上",
)
EMOTIONAL_DELIVERY = (
    "cries", "crying", "sobs", "sobbing", "whispers", "whispering", "shouts", "screams",
    "yells", "tearful", "breathless", "冷笑", "哭", "咬牙", "低声", "哽咽", "怒吼", "吼", "发抖",
    "声音发抖",
)
REACTION = (
    "reacts", "stunned", "speechless", "frozen", "freezes", "shocked",
    "愣", "震惊", "脸色一变", "脸色骤变", "呆住", "怔住", "怔怔",
)
# what makes a beat the episode's hook: the more of these, the stronger
INTENSE = (*EMOTION, *FIGHT, *REACTION, *EMOTIONAL_DELIVERY, "撕", "摔", "扔", "扇", "耳光",
           "巴掌", "砸", "slaps", "screams", "死", "kill", "dies")
INNER_VOICE = ("内心", "心声", "独白")

# the moves the rules hand out, built once (CameraMove is frozen: shots may share them)
STILL = CameraMove()
SLOW_PUSH = CameraMove(move=Move.DOLLY_IN, intensity=0.3)  # closing in on a thought or a line
PUSH = CameraMove(move=Move.DOLLY_IN, intensity=0.5)  # a reaction played close
DRIFT = CameraMove(move=Move.TRUCK_LEFT, intensity=0.3)  # a two-shot kept alive
SLOW_PAN = CameraMove(move=Move.PAN_RIGHT, intensity=0.3)  # a place with nobody in it

SIZE_STEP = {ShotSize.EWS: ShotSize.WS, ShotSize.WS: ShotSize.MS, ShotSize.MS: ShotSize.MCU,
             ShotSize.MCU: ShotSize.CU, ShotSize.CU: ShotSize.MCU, ShotSize.ECU: ShotSize.CU}
REESTABLISH_EVERY = 4  # lines of an exchange between two-shots
LONG_LINE_SECONDS = 5.0  # a speech this long plays in a loose over-the-shoulder (MS)
SHORT_LINE_SECONDS = 1.6  # a retort this short is cut in a close single (CU)

_CLAUSE = re.compile(r"[^，,；;。.！!？?]+[，,；;。.！!？?]*")


@lru_cache(maxsize=16384)
def has_cue(text: str | None, cues: tuple[str, ...]) -> bool:
    """True when text holds a cue: Chinese cues anywhere, English cues as whole words.
    (Cached: the rules ask about one text with the same cues several times.)"""
    if not text:
        return False
    return bool(_cue_pattern(cues).search(text))


def count_cues(text: str | None, cues: tuple[str, ...]) -> int:
    """How many times cues occur in text (the hook's measure of intensity)."""
    return len(_cue_pattern(cues).findall(text)) if text else 0


@lru_cache(maxsize=64)
def _cue_pattern(cues: tuple[str, ...]) -> re.Pattern[str]:
    # one compiled pattern per cue list: breakdown asks about every element, many times
    chinese = sorted((re.escape(c) for c in cues if CJK_RE.search(c)), key=len, reverse=True)
    english = sorted((re.escape(c) for c in cues if not CJK_RE.search(c)), key=len, reverse=True)
    alternatives = []
    if english:
        alternatives.append(rf"(?<![a-z0-9])(?:{'|'.join(english)})(?![a-z0-9])")
    if chinese:
        alternatives.append("|".join(chinese))
    return re.compile("|".join(alternatives) or r"(?!)", re.IGNORECASE)


@dataclass
class Draft:
    """A shot before it has an id, order, frames and prompt."""

    kind: ShotKind
    size: ShotSize
    seconds: float
    camera: CameraMove = field(default_factory=CameraMove)
    characters: list[str] = field(default_factory=list)
    action: str | None = None
    dialogue: list[DialogueLine] = field(default_factory=list)
    source_lines: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    said: dict[str, Any] = field(default_factory=dict)  # what the script said, for the hash
    angle: Angle | None = None
    written: set[str] = field(default_factory=set)  # fields the writer's own notes set

    @property
    def intensity(self) -> int:
        """How strong a beat it is (the hook's pick): its words, and a line's delivery."""
        line = self.dialogue[0] if self.dialogue else None
        return beat_intensity(self.action, line.parenthetical if line else None,
                              line.text if line else None)

    def face(self) -> str | None:
        """The one face this shot frames alone, if it frames exactly one."""
        if self.kind in (ShotKind.INSERT, ShotKind.TITLE, ShotKind.ESTABLISHING,
                         ShotKind.TWO_SHOT):
            return None
        if self.kind is ShotKind.OTS:
            return self.characters[0] if self.characters else None
        return self.characters[0] if len(self.characters) == 1 else None


def intensity_of(text: str | None) -> float:
    """The speed a move is made at: slowly 0.3, suddenly 0.8, else 0.5."""
    if has_cue(text, SLOW):
        return 0.3
    if has_cue(text, FAST):
        return 0.8
    return 0.5


def action_size(text: str, named: list[str]) -> ShotSize:
    """Shot size for an action."""
    if has_cue(text, DETAIL_ECU):
        return ShotSize.ECU
    if has_cue(text, DETAIL_CU):
        return ShotSize.CU
    if has_cue(text, CROWD) or has_cue(text, ENTRANCE):
        return ShotSize.WS
    if has_cue(text, MOVEMENT) or has_cue(text, EXIT):
        return ShotSize.MS
    if len(named) == 1 and (has_cue(text, FACE) or has_cue(text, EMOTION)):
        return ShotSize.MCU
    return ShotSize.MS if named else ShotSize.WS


def action_camera(text: str) -> CameraMove:
    """Camera move for an action, first match wins."""
    if has_cue(text, FIGHT) or has_cue(text, CROWD):
        move = Move.HANDHELD
    elif has_cue(text, ENTRANCE):
        move = Move.PAN_RIGHT
    elif has_cue(text, EXIT):
        move = Move.PAN_LEFT
    elif has_cue(text, MOVEMENT):
        move = Move.TRUCK_RIGHT
    elif has_cue(text, RISE) or has_cue(text, LOOK_UP):
        move = Move.TILT_UP
    elif has_cue(text, SIT) or has_cue(text, LOOK_DOWN):
        move = Move.TILT_DOWN
    elif has_cue(text, EMOTION):
        move = Move.DOLLY_IN
    elif has_cue(text, TURN) or has_cue(text, REVEAL):
        move = Move.PAN_RIGHT
    else:
        return STILL
    return CameraMove(move=move, intensity=intensity_of(text))


def scenery_camera(camera: CameraMove, named: list[str]) -> CameraMove:
    """A shot of the place with nobody in it drifts: a slow pan, where no rule moved it."""
    if named or camera.move is not Move.STATIC:
        return camera
    return SLOW_PAN


def split_walk_and_look(text: str) -> list[str]:
    """A walk followed by a look is two beats: [walk part, look part]; otherwise [text]."""
    clauses = _CLAUSE.findall(text)
    if len(clauses) < 2:
        return [text]
    looks = (*LOOK_UP, *LOOK_DOWN, *TURN, *REVEAL)
    for index in range(1, len(clauses)):
        before = "".join(clauses[:index])
        if has_cue("".join(clauses[index:]), looks) and has_cue(clauses[index], looks) and (
            has_cue(before, MOVEMENT) or has_cue(before, ENTRANCE)
        ) and not has_cue(before, looks):
            return [before, "".join(clauses[index:])]
    return [text]


_ASIDE = re.compile(r"[（(][^（()）]*[)）]")


def prop_clause(text: str) -> str | None:
    """The clause of a prop beat (a verb acting on an object), or None."""
    for clause in _CLAUSE.findall(_ASIDE.sub("", text)):
        if has_cue(clause, PROP):
            return clause.strip().rstrip("，,；;。.")
    return None


def emotional(*texts: str | None) -> bool:
    return any(has_cue(text, EMOTIONAL_DELIVERY) for text in texts)


_EXCLAIMED = re.compile(r"[！!]")


def beat_intensity(*texts: str | None) -> int:
    """How intense a beat reads: its intensity cues, and a line's exclamation."""
    return sum(count_cues(text, INTENSE) + (1 if _EXCLAIMED.search(text) else 0)
               for text in texts if text)


@dataclass
class Exchange:
    """Who is talking to whom, and how many lines since the two-shot that opened it."""

    pair: frozenset[str] | None = None
    since_two_shot: int = 0
    opened: set[frozenset[str]] = field(default_factory=set)  # pairs a two-shot has shown
    sides: set[str] = field(default_factory=set)  # who has had an over-the-shoulder since it

    def framing(self, speaker: str, listener: str | None, *, moved: set[str], heated: bool,
                seconds: float, present: list[str] | None = None,
                ) -> tuple[ShotKind, ShotSize, CameraMove, list[str]]:
        """How a line of `speaker` to `listener` is framed (and the exchange moved on).

        A two-shot opens the exchange the first time the two talk in the scene, or after
        someone moved (medium) — in a group (more than two there), only while no other pair is
        shown: a new pair then opens over the shoulder; a running exchange re-opens every
        fourth line — on the whole group (WS) when more than two people are there, else on a
        tight two-shot (MCU); then the longer the line, the looser the frame: a speech of
        5 s or more in a loose over-the-shoulder (MS), a retort under 1.6 s — or any emotional
        line — in a close single (CU, slow push-in), the rest over the shoulder (MCU)."""
        close = SLOW_PUSH
        if listener is None:
            self.pair, self.since_two_shot = None, 0
            if heated:
                return ShotKind.DIALOGUE, ShotSize.CU, close, [speaker]
            return ShotKind.DIALOGUE, ShotSize.MCU, STILL, [speaker]
        pair = frozenset((speaker, listener))
        # a pair the scene has not yet shown together, or shown before one of them moved
        self.opened = {p for p in self.opened if not p & moved}
        fresh = pair not in self.opened
        # in a group, once one pair has been shown together the room's geography is known:
        # a new pair opens over the shoulder, not on a two-shot of its own
        opens = fresh and not (self.opened and len(present or []) > 2)
        self.opened.add(pair)
        self.pair = pair
        drift = DRIFT  # keeps people standing alive
        if heated and not opens:
            self.since_two_shot += 1
            self.sides.add(speaker)
            return ShotKind.DIALOGUE, ShotSize.CU, close, [speaker]
        if opens or self.since_two_shot >= REESTABLISH_EVERY:
            self.since_two_shot = 1
            self.sides = {speaker}  # the two-shot showed the speaker
            group = [name for name in (present or []) if name not in (speaker, listener)]
            if not opens and group:
                return ShotKind.DIALOGUE, ShotSize.WS, drift, [speaker, listener, *group]
            return (ShotKind.TWO_SHOT, ShotSize.MS if opens else ShotSize.MCU, drift,
                    [speaker, listener])
        self.since_two_shot += 1
        first_side = speaker not in self.sides
        self.sides.add(speaker)
        if heated or (seconds < SHORT_LINE_SECONDS and not first_side):
            return ShotKind.DIALOGUE, ShotSize.CU, close, [speaker]
        size = ShotSize.MS if seconds >= LONG_LINE_SECONDS else ShotSize.MCU
        return ShotKind.OTS, size, STILL, [speaker, listener]


_TIGHTER = (ShotSize.EWS, ShotSize.WS, ShotSize.MS, ShotSize.MCU, ShotSize.CU)


def tighter(size: ShotSize, steps: int) -> ShotSize:
    """`size` moved `steps` sizes closer, never past a close-up (an ECU stays)."""
    if size not in _TIGHTER:
        return size
    return _TIGHTER[min(len(_TIGHTER) - 1, _TIGHTER.index(size) + steps)]


def step_repeated_faces(drafts: list[Draft]) -> None:
    """Never the same framing of the same face twice in a row: the second steps a size. And
    no size three shots running: the third steps (the rhythm of a cut needs a change)."""
    for before, after in zip(drafts, drafts[1:], strict=False):
        face = after.face()
        if face is None or face != before.face() or before.size is not after.size:
            continue
        if "size" in after.written:
            continue
        after.size = SIZE_STEP[after.size]
    for first, second, third in zip(drafts, drafts[1:], drafts[2:], strict=False):
        if first.size is second.size is third.size and "size" not in third.written and (
                third.kind not in (ShotKind.ESTABLISHING, ShotKind.TITLE)):
            third.size = SIZE_STEP[third.size]


def hook(drafts: list[Draft], fits: Callable[[str], bool],
         split: Callable[[str, Callable[[str], bool]], list[str]]) -> list[Draft]:
    """The first three seconds of an episode: its first scene's most intense beat (of equals,
    the first with a face; a scene of scenery alone keeps its establishing wide first).

    When that beat opens the scene anyway, the scene starts on it and the establishing wide
    follows; otherwise a flash-forward of it (at most 3 s, a close-up, a fast zoom in) comes
    first. Returns the drafts of the scene in their new order.
    """
    beats = [d for d in drafts if d.kind not in (ShotKind.ESTABLISHING, ShotKind.TITLE,
                                                  ShotKind.INSERT, ShotKind.REACTION)
             and (d.action or d.dialogue)]
    if not beats:
        return drafts
    # the most intense; of equals, one with a face before scenery, then the earliest
    scores = {id(d): d.intensity for d in beats}
    best = max(beats, key=lambda d: (scores[id(d)], bool(d.characters)))
    if not scores[id(best)] and not best.characters:
        return drafts  # nothing but scenery: the establishing wide is as good an opening
    opening = [d for d in drafts if d.kind is ShotKind.ESTABLISHING]
    rest = [d for d in drafts if d.kind is not ShotKind.ESTABLISHING]
    if rest and rest[0] is best:
        # the whole beat opens the scene (every part of a long line), then the wide
        run = 1
        while run < len(rest) and rest[run].source_lines == best.source_lines:
            run += 1
        return [*rest[:run], *opening, *rest[run:]]
    copy = _flash_forward(best, fits, split)
    return [copy, *opening, *rest]


HOOK_SECONDS = 3.0


def _flash_forward(beat: Draft, fits: Callable[[str], bool],
                   split: Callable[[str, Callable[[str], bool]], list[str]]) -> Draft:
    face = beat.face() or (beat.characters[0] if beat.characters else None)
    dialogue = []
    seconds = min(HOOK_SECONDS, beat.seconds)
    if beat.dialogue:
        line = beat.dialogue[0]
        # the strongest part of the line that fits the three seconds (the longest of equals)
        parts = split(line.text, fits) or [line.text]
        part = max(parts, key=lambda p: (beat_intensity(p), len(p)))
        dialogue = [line.model_copy(update={"text": part})]
    return Draft(
        kind=ShotKind.DIALOGUE if dialogue else ShotKind.ACTION,
        size=ShotSize.CU if face else ShotSize.MCU, seconds=seconds,
        camera=CameraMove(move=Move.ZOOM_IN, intensity=0.8),
        characters=[face] if face else [], action=beat.action, dialogue=dialogue,
        source_lines=list(beat.source_lines),
        notes=["hook: a flash-forward of the scene's most intense beat"],
        said={"hook": dict(beat.said)}, angle=beat.angle,
    )
