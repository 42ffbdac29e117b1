"""The breakdown: a parsed Script becomes a Storyboard of shots, by rules a director can read.

Rules (deterministic; the same script always gives the same storyboard):

1. Ids. Scenes are "E-S" (episode number, 1-based scene order in the episode). Shots are
   `E{ep:02d}-S{scene:02d}-{n:03d}`, n 1-based within the scene; `order` is the 0-based
   position within the episode. Text before the first heading is a scene without a heading
   (and without an establishing shot) only if it holds action, dialogue or a centered line.
2. Establishing shot. Every scene with a heading opens on one, even with an empty body:
   exterior EWS with a slow pan right for 4 s; interior (or unknown) WS, static, 3 s; all the
   scene's characters in frame; no action text.
3. Action. Each action paragraph / △ line is one shot carrying its text verbatim.
   Size: eye/tear detail (eyes, tears, 眼睛, 泪, 大特写) → ECU; hands/objects or an explicit
   close (hand, phone, ring, letter, photo, close on, 手机, 戒指, 信封, 照片, 特写) → CU;
   crowd or arrival (crowd, enters, arrives, 人群, 众人, 赶到, 走进) → WS; movement (walks,
   runs, 走向, 跑, 冲, 追) → MS; exactly one named character → MCU; otherwise MS.
   Camera, first match wins: fight/chaos (fights, struggle, 扭打, 混乱) → handheld; explicit
   close (close on, 特写) → zoom in; emotion (tears, shock, trembles, 泪, 震惊, 愣住, 颤抖) →
   push-in (dolly in); reveal (reveals, turns to see, appears, 发现, 出现, 看见) → tilt up if
   someone looks up (抬头), tilt down if they look down (低头), else pan right; movement →
   truck right (following); otherwise static. Speed: slowly/缓缓/慢慢 0.3, suddenly/猛地/
   突然 0.8, else 0.5. In frame: the characters named in the text.
4. Dialogue. Each speech is one shot on the speaker: MCU, or CU with a slow push-in when the
   parenthetical or the line is emotional (cries, whispers, shouts, 冷笑, 哭, 咬牙, 低声, 哽咽).
   An OS/VO line is shot on the listener (the last other speaker in the scene, else the first
   other character of the scene) in MCU, or on the setting (WS, nobody in frame) when there
   is none; narrator lines (旁白, NARRATOR), voices without a face (系统音, 广播) and crowds
   (众人, 全员) are always on the setting. Exception: in a 剧本,
   OS is the speaker's inner voice (as are cues marked 内心/心声/独白), so it stays on the
   speaker like an ordinary line. The shot carries the line
   in `dialogue` (speaker, text, parenthetical, mode, line).
5. Long lines. A line longer than the longest shot is split at sentence ends (。！？.!?), then
   at commas (，,、；;：:), then between words, into consecutive shots that each carry their part;
   the parts put together are the line, each part once.
6. Reaction shot. After a line, when the next action describes a reaction or the next line's
   parenthetical does (reacts, stunned, speechless, 愣, 震惊, 脸色一变, 呆住), a 1.5 s CU on the
   listener follows (the character named in that action, the next speaker, or the listener of
   rule 4), kind REACTION, no action text, no dialogue, notes "reaction". The action keeps its
   own shot.
7. Durations. Speech: the short-drama pace (storyboard.pace: 5.0 Chinese characters or 2.7
   English words a second) plus 0.35 s of air after the last word. Action: 1.5 s plus
   one second per 3.5 words (a Chinese word counted as 2 characters). At least 1.5 s, at most
   the longest shot (`max_shot_frames`, default 10 s); stored as whole frames at the fps.
8. Never shots: transitions and notes go to the scene's notes as written; lyrics go there as
   "lyric: ..."; a centered line (> THE END <) becomes a title card (kind INSERT, WS, static);
   sections, synopses and page breaks are structure only and are dropped.
9. Content hash. sha1 of what the script said for the shot (kind, episode, scene heading,
   action text, speaker, line, parenthetical, mode, part) and how many identical shots came
   before it — never ids, order or prompt — so an unchanged line keeps its hash when the
   script around it is edited.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from shotcraft.shots.errors import SpecError
from shotcraft.shots.models import (
    CameraMove,
    DialogueLine,
    DialogueMode,
    Move,
    Shot,
    ShotKind,
    ShotSize,
)
from shotcraft.storyboard.characters import (
    NameIndex,
    build_bible,
    is_group,
    is_voice_only,
    scene_ids,
)
from shotcraft.storyboard.models import Character, Episode, Scene, Storyboard
from shotcraft.storyboard.pace import LINE_AIR, paced_seconds
from shotcraft.storyboard.prompts import NEGATIVE_PROMPT, compose_prompt
from shotcraft.storyboard.script import Element, ElementKind, Script, ScriptFormat, ScriptScene

MIN_SHOT_SECONDS = 1.5
DEFAULT_MAX_SHOT_SECONDS = 10.0
REACTION_SECONDS = 1.5
ACTION_BASE_SECONDS = 1.5
ACTION_WORDS_PER_SECOND = 3.5

DETAIL_ECU = ("eye", "eyes", "tear", "tears", "teardrop", "眼睛", "眼眶", "眼神", "泪", "大特写")
DETAIL_CU = (
    "hand", "hands", "finger", "fingers", "phone", "ring", "letter", "photo", "photograph",
    "close on", "close-up", "手机", "手指", "双手", "手心", "戒指", "信封", "信纸", "照片", "特写",
)
CROWD = (
    "crowd", "crowds", "enters", "enter", "arrives", "arrive", "bursts in",
    "人群", "众人", "围观", "赶到", "到来", "闯进", "走进",
)
MOVEMENT = (
    "walks", "walk", "walking", "runs", "run", "running", "rushes", "hurries", "strides",
    "chases", "follows", "走向", "走来", "走去", "走过", "走出", "走到", "走近", "跑", "冲", "奔", "追",
)
FIGHT = (
    "fight", "fights", "fighting", "punch", "punches", "struggle", "struggles", "brawl",
    "chaos", "scuffle", "扭打", "打斗", "搏斗", "混乱", "厮打", "打架",
)
CLOSE_ON = ("close on", "close-up", "特写")
EMOTION = (
    "tears", "cries", "sobs", "shock", "shocked", "trembles", "trembling",
    "泪", "哭", "震惊", "愣住", "颤抖", "崩溃",
)
REVEAL = (
    "reveals", "revealing", "turns to see", "appears", "discovers", "sees",
    "发现", "出现", "看见", "看到",
)
LOOK_UP = ("looks up", "up at", "抬头", "仰望", "仰头")
LOOK_DOWN = ("looks down", "down at", "低头", "俯视")
SLOW = ("slowly", "gently", "缓缓", "慢慢", "轻轻")
FAST = ("suddenly", "abruptly", "violently", "猛地", "突然", "忽然", "猛然")
EMOTIONAL_DELIVERY = (
    "cries", "crying", "sobs", "sobbing", "whispers", "whispering", "shouts", "screams",
    "yells", "tearful", "冷笑", "哭", "咬牙", "低声", "哽咽", "怒吼", "吼",
)
INNER_VOICE = ("内心", "心声", "独白")
REACTION = (
    "reacts", "stunned", "speechless", "frozen", "freezes", "shocked",
    "愣", "震惊", "脸色一变", "呆住", "怔住",
)

_CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD_RE = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")
_SENTENCE_END = re.compile(r"[。！？!?…]+[”’」』\"')）]*\s*|\.+[”’\"')]*(?:\s+|$)")
_CLAUSE_END = re.compile(r"[，,、；;：:—]+\s*")
_WORD_END = re.compile(r"\s+|[\u3400-\u9fff\uf900-\ufaff]")


def has_cue(text: str | None, cues: tuple[str, ...]) -> bool:
    """True when text holds a cue: Chinese cues anywhere, English cues as whole words."""
    if not text:
        return False
    return bool(_cue_pattern(cues).search(text))


@lru_cache(maxsize=64)
def _cue_pattern(cues: tuple[str, ...]) -> re.Pattern[str]:
    # one compiled pattern per cue list: breakdown asks about every element, many times
    chinese = [re.escape(c) for c in cues if _CJK_RE.search(c)]
    english = [re.escape(c) for c in cues if not _CJK_RE.search(c)]
    alternatives = []
    if english:
        alternatives.append(rf"(?<![a-z0-9])(?:{'|'.join(english)})(?![a-z0-9])")
    if chinese:
        alternatives.append("|".join(chinese))
    return re.compile("|".join(alternatives) or r"(?!)", re.IGNORECASE)


def speech_seconds(text: str) -> float:
    """How long a line's shot runs: the line at the short-drama pace, plus the air after it."""
    return paced_seconds(text) + LINE_AIR


def action_seconds(text: str) -> float:
    """How long an action reads on screen: a base plus one second per 3.5 words."""
    words = len(_WORD_RE.findall(text)) + len(_CJK_RE.findall(text)) / 2
    return ACTION_BASE_SECONDS + words / ACTION_WORDS_PER_SECOND


def _cut_after(text: str, pattern: re.Pattern[str]) -> list[str]:
    """Pieces of text cut after each match; joined they give the text back."""
    pieces: list[str] = []
    start = 0
    for match in pattern.finditer(text):
        if match.end() > start:
            pieces.append(text[start : match.end()])
            start = match.end()
    if start < len(text):
        pieces.append(text[start:])
    return pieces


_SPLIT_LEVELS = (_SENTENCE_END, _CLAUSE_END, _WORD_END)


def split_line(text: str, fits: Callable[[str], bool]) -> list[str]:
    """Split a line into parts that each `fits`: at sentence ends, then clauses, then words.

    The parts are stripped and never empty; joined, they are the line without whitespace.
    A single word that is still too long stays one part.
    """
    return [part.strip() for part in _split(text, fits, _SPLIT_LEVELS) if part.strip()]


def _split(text: str, fits: Callable[[str], bool], levels: tuple) -> list[str]:
    if fits(text.strip()) or not levels:
        return [text]
    parts: list[str] = []
    current = ""
    for piece in _cut_after(text, levels[0]):
        if fits((current + piece).strip()):
            current += piece
            continue
        if current.strip():
            parts.append(current)
        current = piece
        if not fits(piece.strip()):
            finer = _split(piece, fits, levels[1:])
            parts.extend(finer[:-1])
            current = finer[-1]
    if current.strip():
        parts.append(current)
    return parts


@dataclass
class _Draft:
    """A shot before it has an id, order, frames and prompt."""

    kind: ShotKind
    size: ShotSize
    seconds: float
    camera: CameraMove = field(default_factory=CameraMove)
    characters: list[str] = field(default_factory=list)
    action: str | None = None
    dialogue: list[DialogueLine] = field(default_factory=list)
    source_lines: list[int] = field(default_factory=list)
    notes: str | None = None
    said: dict[str, Any] = field(default_factory=dict)  # what the script said, for the hash


def _intensity(text: str) -> float:
    if has_cue(text, SLOW):
        return 0.3
    if has_cue(text, FAST):
        return 0.8
    return 0.5


def action_size(text: str, named: list[str]) -> ShotSize:
    """Shot size for an action paragraph (rule 3)."""
    if has_cue(text, DETAIL_ECU):
        return ShotSize.ECU
    if has_cue(text, DETAIL_CU):
        return ShotSize.CU
    if has_cue(text, CROWD):
        return ShotSize.WS
    if has_cue(text, MOVEMENT):
        return ShotSize.MS
    if len(named) == 1:
        return ShotSize.MCU
    return ShotSize.MS


def action_camera(text: str) -> CameraMove:
    """Camera move for an action paragraph (rule 3)."""
    if has_cue(text, FIGHT):
        move = Move.HANDHELD
    elif has_cue(text, CLOSE_ON):
        move = Move.ZOOM_IN
    elif has_cue(text, EMOTION):
        move = Move.DOLLY_IN
    elif has_cue(text, REVEAL):
        if has_cue(text, LOOK_UP):
            move = Move.TILT_UP
        elif has_cue(text, LOOK_DOWN):
            move = Move.TILT_DOWN
        else:
            move = Move.PAN_RIGHT
    elif has_cue(text, MOVEMENT):
        move = Move.TRUCK_RIGHT
    else:
        return CameraMove()
    return CameraMove(move=move, intensity=_intensity(text))


class _SceneBreakdown:
    """Turns one script scene into shot drafts; keeps who spoke last for OS/VO and reactions."""

    def __init__(
        self, scene: ScriptScene, names: NameIndex, fits: Callable[[str], bool], *, juben: bool
    ) -> None:
        self.scene = scene
        self.juben = juben
        self.names = names
        self.fits = fits
        self.characters = self._scene_characters()
        self.last_speaker: str | None = None
        self.drafts: list[_Draft] = []
        self.notes: list[str] = []

    def _scene_characters(self) -> list[str]:
        found: list[str] = []

        def keep(name: str | None) -> None:
            if name and name not in found:
                found.append(name)

        for name in self.scene.characters:
            keep(self.names.resolve(name))
        for element in self.scene.elements:
            if element.kind is ElementKind.DIALOGUE:
                keep(self.names.resolve(element.speaker))
            elif element.kind in (ElementKind.ACTION, ElementKind.CENTERED):
                for name in self.names.mentioned(element.text):
                    keep(name)
        return found

    def _inner_voice(self, element: Element) -> bool:
        """A 剧本 OS (or a cue marked 内心/心声/独白) is the speaker thinking, on screen."""
        if element.mode is not DialogueMode.OS:
            return False
        return self.juben or has_cue(element.speaker_cue, INNER_VOICE)

    def listener_for(self, speaker: str | None) -> str | None:
        """The last other speaker in the scene, else its first other character."""
        if self.last_speaker and self.last_speaker != speaker:
            return self.last_speaker
        return next((name for name in self.characters if name != speaker), None)

    def run(self) -> None:
        heading = self.scene.heading.strip()
        if heading:
            exterior = self.scene.interior is False
            self.drafts.append(
                _Draft(
                    kind=ShotKind.ESTABLISHING,
                    size=ShotSize.EWS if exterior else ShotSize.WS,
                    seconds=4.0 if exterior else 3.0,
                    camera=CameraMove(move=Move.PAN_RIGHT, intensity=0.3)
                    if exterior
                    else CameraMove(),
                    characters=list(self.characters),
                    said={},
                )
            )
        elements = self.scene.elements
        for position, element in enumerate(elements):
            if element.kind is ElementKind.ACTION:
                self._action(element)
            elif element.kind is ElementKind.DIALOGUE:
                self._dialogue(element, _next_shot_element(elements, position))
            elif element.kind is ElementKind.CENTERED:
                self.drafts.append(
                    _Draft(
                        kind=ShotKind.INSERT,
                        size=ShotSize.WS,
                        seconds=action_seconds(element.text),
                        action=element.text,
                        source_lines=[element.line],
                        said={"action": element.text},
                    )
                )
            elif element.kind in (ElementKind.NOTE, ElementKind.TRANSITION):
                if element.text.strip():
                    self.notes.append(element.text.strip())
            elif element.kind is ElementKind.LYRIC:
                if element.text.strip():
                    self.notes.append(f"lyric: {element.text.strip()}")
            # SECTION, SYNOPSIS and PAGE_BREAK are structure only (rule 8)

    def _action(self, element: Element) -> None:
        named = self.names.mentioned(element.text)
        self.drafts.append(
            _Draft(
                kind=ShotKind.ACTION,
                size=action_size(element.text, named),
                seconds=action_seconds(element.text),
                camera=action_camera(element.text),
                characters=named,
                action=element.text,
                source_lines=[element.line],
                said={"action": element.text},
            )
        )

    def _dialogue(self, element: Element, following: Element | None) -> None:
        speaker = self.names.resolve(element.speaker)
        written = (element.speaker or element.speaker_cue or "").strip()
        camera = CameraMove()
        if is_voice_only(written) or is_group(written) or not written:
            size, in_frame = ShotSize.WS, []  # a narrator or 系统音 is heard over the setting
        elif speaker is None or (element.mode is not None and not self._inner_voice(element)):
            listener = self.listener_for(speaker)
            size = ShotSize.MCU if listener else ShotSize.WS
            in_frame = [listener] if listener else []
        else:
            emotional = has_cue(element.parenthetical, EMOTIONAL_DELIVERY) or has_cue(
                element.text, EMOTIONAL_DELIVERY
            )
            size = ShotSize.CU if emotional else ShotSize.MCU
            in_frame = [speaker]
            if emotional:
                camera = CameraMove(move=Move.DOLLY_IN, intensity=0.3)
        parts = split_line(element.text, self.fits) or [element.text]
        for index, part in enumerate(parts):
            line = DialogueLine(
                speaker=speaker or written,
                text=part,
                parenthetical=element.parenthetical,
                mode=element.mode,
                line=element.line,
            )
            self.drafts.append(
                _Draft(
                    kind=ShotKind.DIALOGUE,
                    size=size,
                    seconds=speech_seconds(part),
                    camera=camera,
                    characters=list(in_frame),
                    dialogue=[line],
                    source_lines=[element.line],
                    notes=f"part {index + 1} of {len(parts)}" if len(parts) > 1 else None,
                    said={
                        "speaker": line.speaker,
                        "text": part,
                        "parenthetical": element.parenthetical,
                        "mode": element.mode.value if element.mode else None,
                        "part": index if len(parts) > 1 else None,
                    },
                )
            )
        self._reaction(speaker, element, following)
        if speaker:
            self.last_speaker = speaker

    def _reaction(self, speaker: str | None, element: Element, following: Element | None) -> None:
        if following is None:
            return
        listener: str | None = None
        if following.kind is ElementKind.ACTION and has_cue(following.text, REACTION):
            named = [n for n in self.names.mentioned(following.text) if n != speaker]
            listener = named[0] if named else self.listener_for(speaker)
        elif following.kind is ElementKind.DIALOGUE and has_cue(
            following.parenthetical, REACTION
        ):
            listener = self.names.resolve(following.speaker)
        if not listener or listener == speaker:
            return
        self.drafts.append(
            _Draft(
                kind=ShotKind.REACTION,
                size=ShotSize.CU,
                seconds=REACTION_SECONDS,
                characters=[listener],
                notes="reaction",
                said={"listener": listener, "after_line": element.text, "after": speaker},
            )
        )


def _next_shot_element(elements: list[Element], position: int) -> Element | None:
    """The next action or dialogue after `position` (notes and transitions are skipped)."""
    for element in elements[position + 1 :]:
        if element.kind in (ElementKind.ACTION, ElementKind.DIALOGUE):
            return element
    return None


def content_hash(said: dict[str, Any]) -> str:
    """sha1 of a canonical JSON of what the script said for a shot."""
    canonical = json.dumps(said, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha1(canonical.encode("utf-8")).hexdigest()


def breakdown(
    script: Script,
    *,
    fps: int = 30,
    aspect: str = "9:16",
    max_shot_frames: int | None = None,
    style: str | None = None,
) -> Storyboard:
    """Break a parsed script into a storyboard: scenes, shots and the character bible."""
    if fps <= 0:
        raise SpecError("must be a positive number of frames per second", field="fps")
    max_frames = max_shot_frames if max_shot_frames is not None else round(
        DEFAULT_MAX_SHOT_SECONDS * fps
    )
    if max_frames <= 0:
        raise SpecError("must be a positive number of frames", field="max_shot_frames")
    min_frames = min(round(MIN_SHOT_SECONDS * fps), max_frames)

    def frames(seconds: float) -> int:
        return max(1, min(max_frames, max(min_frames, round(seconds * fps))))

    def fits(text: str) -> bool:
        return round(speech_seconds(text) * fps) <= max_frames

    bible = build_bible(script)
    names = NameIndex(bible)
    seen: Counter[str] = Counter()
    ids = {id(scene): scene_id for scene_id, scene in scene_ids(script)}
    episodes: list[Episode] = []
    for script_episode in script.episodes:
        episode = Episode(number=script_episode.number, title=script_episode.title)
        order = 0
        for script_scene in script_episode.scenes:
            scene_id = ids.get(id(script_scene))
            if scene_id is None:
                continue
            work = _SceneBreakdown(
                script_scene, names, fits, juben=script.format == ScriptFormat.JUBEN
            )
            work.run()
            number = len(episode.scenes) + 1
            scene = Scene(
                id=scene_id,
                episode=episode.number,
                number=number,
                heading=script_scene.heading,
                location=script_scene.location,
                time=script_scene.time,
                interior=script_scene.interior,
                characters=work.characters,
                notes=work.notes,
            )
            for n, draft in enumerate(work.drafts, start=1):
                said = {
                    "kind": draft.kind.value,
                    "episode": episode.number,
                    "heading": script_scene.heading,
                    **draft.said,
                }
                key = content_hash(said)
                # identical shots stay distinguishable: the hash also counts earlier twins
                occurrence = seen[key]
                seen[key] += 1
                shot = Shot(
                    id=f"E{episode.number:02d}-S{number:02d}-{n:03d}",
                    episode=episode.number,
                    scene_id=scene_id,
                    order=order,
                    kind=draft.kind,
                    size=draft.size,
                    camera=draft.camera,
                    duration_frames=frames(draft.seconds),
                    characters=draft.characters,
                    action=draft.action,
                    dialogue=draft.dialogue,
                    notes=draft.notes,
                    source_lines=draft.source_lines,
                    content_hash=hashlib.sha1(f"{key}:{occurrence}".encode()).hexdigest(),
                    negative_prompt=NEGATIVE_PROMPT,
                )
                shot.prompt = compose_prompt(
                    shot, scene, _in_frame(bible, shot), style=style, language=script.language
                )
                scene.shots.append(shot)
                order += 1
            episode.scenes.append(scene)
        episodes.append(episode)
    return Storyboard(
        title=script.title,
        fps=fps,
        aspect=aspect,
        language=script.language,
        episodes=episodes,
        characters=bible,
    )


def _in_frame(bible: list[Character], shot: Shot) -> list[Character]:
    return [c for c in bible if c.name in shot.characters]
