"""The breakdown: a parsed Script becomes a Storyboard of shots, by rules a director can read.

Rules (deterministic; the same script always gives the same storyboard). The coverage rules
(sizes, moves, dialogue framings, inserts) are in storyboard/coverage.py and the writer's own
notes in storyboard/notes.py; docs/guide/breakdown.md lists them all in a director's words.

1. Ids. Scenes are "E-S" (episode number, 1-based scene order in the episode). Shots are
   `E{ep:02d}-S{scene:02d}-{n:03d}`, n 1-based within the scene in script order (the hook's
   flash-forward, a teaser before the scene, is n = 0); `order` is the 0-based position
   within the episode. Text before the first heading is a scene without a heading
   (and without an establishing shot) only if it holds action, dialogue or a centered line.
2. Establishing shot. Every scene with a heading has one, even with an empty body: exterior
   EWS with a slow pan right for 4 s; interior (or unknown) WS with a slow push-in, 3 s. In
   frame: the characters there when the scene opens — not those who enter later, speak only
   off-screen or in voice-over, or first appear inside a flashback (【闪回】…【闪回结束】).
3. The writer's notes win. A size, move, angle or framing the script writes (`（全景）`,
   `【特写】`, `【跟拍】`, `镜头：…`, `【镜头语言：…】`, `CLOSE ON`, …) sets the shot's, overrides
   every rule below, and is taken out of the action text. A camera note standing alone (a
   whole-line note, the 剧本 reader's `运镜：`/`【镜头语言：…】` notes, a line of notes only)
   applies to the next shot; one the reader took out of a line (`△…【镜头语言：推进】…`, a
   note on the same script line) to that line's shot. The notes as written go to the shot's
   notes; a camera note that sets nothing a shot has stays a scene note.
4. Action. Each action paragraph / △ line is a shot (sized and moved by the coverage rules); a
   walk followed by a look is two shots; a prop beat is followed by a 1.5 s insert close-up.
   In frame: the characters named in the text; "she"/"他" is the last one named alone, and a
   direction without a subject (`坐起。`) is done by whoever the last action named (or the
   last speaker).
5. Dialogue. Two people talking: a two-shot opens the exchange (and re-opens it every fourth
   line), then over-the-shoulder shots on the speaker past the listener; in a group, once a
   pair has been shown together, a new pair opens over the shoulder. An emotional line is a
   close-up single with a slow push-in. Someone talking alone (nobody else there) is a single.
   Voices: an OS line is the speaker off-screen, shot on the listener (MCU), or on the setting
   (WS) when nobody listens; a VO line never shows its speaker; narrators (旁白, NARRATOR),
   voices without a face (系统音, 广播) and crowds (众人, 全员) are always on the setting; a
   line over the setting, nobody in frame, is a slow pan. In a 剧本, OS is the speaker's inner
   voice (as are cues marked 内心/心声/独白): a close-up of the speaker, mouth closed, slowly
   pushed in. The listener is the last other speaker still in the scene, else the one other
   character present.
6. Long lines. A line longer than the longest shot is split at sentence ends (。！？.!?), then
   at commas (，,、；;：:), then between words, into consecutive shots that each carry their part;
   the parts put together are the line, each part once.
7. Reactions. When the listener reacts (the next action or the next line's parenthetical says
   愣, 震惊, 脸色一变…), the reaction is played on the listener's face in the next shot that
   shows it alone, which becomes a close-up with a push-in; a separate 1.5 s reaction close-up
   is cut only when the next shot shows more people than the listener. Never two shots of the
   same face in the same framing back to back: the second steps a size.
8. The hook. The first three seconds of an episode are its first scene's most intense beat:
   the scene opens on it when it is its first beat (the establishing wide follows), else a
   3 s close-up flash-forward of it opens the episode.
9. Durations. Speech: the short-drama pace (storyboard.pace: 5.0 Chinese characters or 2.7
   English words a second) plus 0.35 s of air after the last word. Action: 1.5 s plus
   one second per 3.5 words (a Chinese word counted as 2 characters). At least 1.5 s, at most
   the longest shot (`max_shot_frames`, default 10 s); stored as whole frames at the fps.
10. Never shots: transitions and notes go to the scene's notes as written; lyrics go there as
   "lyric: ..."; a centered line (> THE END <) becomes a title card (kind TITLE, WS, static);
   sections, synopses and page breaks are structure only and are dropped.
11. Content hash. sha1 of what the script said for the shot (the element it comes from:
   establishing, action, dialogue or a centered line; episode, scene heading, action text as
   written, speaker, line, parenthetical, mode, part) and how many identical shots came before
   it — never ids, order, framing or prompt — so an unchanged line keeps its hash when the
   script around it, or the coverage rules, change.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable
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
from shotcraft.storyboard.coverage import (
    ARRIVAL,
    ENTRANCE,
    EXIT,
    FACE,
    INNER_VOICE,
    LOOK_DOWN,
    LOOK_UP,
    MOVEMENT,
    PROP,
    PUSH,
    REACTION,
    RISE,
    SIT,
    SLOW_PUSH,
    STILL,
    TURN,
    Draft,
    Exchange,
    action_camera,
    action_size,
    emotional,
    has_cue,
    hook,
    prop_clause,
    scenery_camera,
    split_walk_and_look,
    step_repeated_faces,
    tighter,
)
from shotcraft.storyboard.models import Character, Episode, Scene, Storyboard
from shotcraft.storyboard.notes import ShotNotes, camera_note, is_camera_note, read_notes
from shotcraft.storyboard.pace import LINE_AIR, paced_seconds
from shotcraft.storyboard.prompts import NEGATIVE_PROMPT, compose_prompt
from shotcraft.storyboard.script import Element, ElementKind, Script, ScriptFormat, ScriptScene
from shotcraft.storyboard.text import CJK_RE

MIN_SHOT_SECONDS = 1.5
DEFAULT_MAX_SHOT_SECONDS = 10.0
REACTION_SECONDS = 1.5
INSERT_SECONDS = 1.5
ACTION_BASE_SECONDS = 1.5
ACTION_WORDS_PER_SECOND = 3.5

_PRONOUN = re.compile(r"\s*(?:(?:she|he)\b|[她他](?![们])|它)", re.IGNORECASE)
FLASHBACK_START = ("闪回", "回忆", "插叙", "flashback")
FLASHBACK_END = ("闪回结束", "回忆结束", "插叙结束", "回到现实", "end flashback", "back to present")

_WORD_RE = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")
_SENTENCE_END = re.compile(r"[。！？!?…]+[”’」』\"')）]*\s*|\.+[”’\"')]*(?:\s+|$)")
_CLAUSE_END = re.compile(r"[，,、；;：:—]+\s*")
_WORD_END = re.compile(r"\s+|[\u3400-\u9fff\uf900-\ufaff]")


@lru_cache(maxsize=8192)
def speech_seconds(text: str) -> float:
    """How long a line's shot runs: the line at the short-drama pace, plus the air after it.
    (Cached: a line is measured for its framing, for whether it fits, and for its shot.)"""
    return paced_seconds(text) + LINE_AIR


def action_seconds(text: str) -> float:
    """How long an action reads on screen: a base plus one second per 3.5 words."""
    words = len(_WORD_RE.findall(text)) + len(CJK_RE.findall(text)) / 2
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


def _apply_notes(draft: Draft, notes: ShotNotes) -> Draft:
    """The writer's notes win over every rule: size, move, angle, framing, nobody in frame."""
    if not notes.found:
        return draft
    if notes.kind is not None and draft.kind not in (ShotKind.ESTABLISHING, ShotKind.TITLE):
        draft.kind = notes.kind
        draft.written.add("kind")
        if notes.kind is ShotKind.INSERT:
            draft.characters = []
    if notes.size is not None:
        draft.size = notes.size
        draft.written.add("size")
    if notes.move is not None:
        draft.camera = CameraMove(move=notes.move, intensity=notes.intensity
                                  if notes.intensity is not None else draft.camera.intensity)
        draft.written.add("camera")
    elif notes.intensity is not None and draft.camera.move is not Move.STATIC:
        draft.camera = CameraMove(move=draft.camera.move, intensity=notes.intensity)
    if notes.angle is not None:
        draft.angle = notes.angle
        draft.written.add("angle")
    if notes.empty:
        draft.characters = []
        draft.written.add("characters")
        if "size" not in draft.written:
            draft.size = ShotSize.WS
    draft.notes.append("writer: " + " ".join(notes.said))
    return draft


def _bodily(text: str) -> bool:
    """A stage direction with no subject that a body does (坐起, 走到饭厅边, 要去开抽屉)."""
    return any(has_cue(text, cues) for cues in (RISE, SIT, MOVEMENT, EXIT, ENTRANCE, TURN, PROP,
                                                 FACE, LOOK_UP, LOOK_DOWN))


def _flashback_marker(text: str) -> bool | None:
    """True at 【闪回】, False at 【闪回结束】, None for any other note."""
    word = text.strip().strip("（）()【】[]").strip().lower()
    if any(word.startswith(end) for end in FLASHBACK_END):
        return False
    if any(word.startswith(start) for start in FLASHBACK_START):
        return True
    return None


class _SceneBreakdown:
    """Turns one script scene into shot drafts; keeps who is present and who spoke last."""

    def __init__(
        self, scene: ScriptScene, names: NameIndex, fits: Callable[[str], bool], *, juben: bool
    ) -> None:
        self.scene = scene
        self.juben = juben
        self.names = names
        self.fits = fits
        self.characters = self._scene_characters()
        self.present = self._present_at_opening()
        self.last_speaker: str | None = None
        self.drafts: list[Draft] = []
        self.notes: list[str] = []
        self.pending = ShotNotes()  # a whole-line camera note, for the next shot
        self.exchange = Exchange()
        self.moved: set[str] = set()  # who came, went or moved since the last line
        self.reacting: str | None = None  # the next shot on this face plays a reaction
        self.last_named: str | None = None  # who "she" / "他" is: the last one named alone
        self.last_action_named: list[str] = []  # who the last action named, or the last speaker
        self.last_arrived: str | None = None  # who came in last: whom the next line is to

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

    def _present_at_opening(self) -> list[str]:
        """The scene's characters there when it opens: not those who first enter, first speak
        off-screen or in voice-over, or first appear inside a flashback."""
        absent: set[str] = set()
        seen: set[str] = set()
        flashback = False
        for element in self.scene.elements:
            if element.kind is ElementKind.NOTE:
                marker = _flashback_marker(element.text)
                flashback = marker if marker is not None else flashback
                continue
            if element.kind is ElementKind.DIALOGUE:
                speaker = self.names.resolve(element.speaker)
                named = [speaker] if speaker else []
                away = flashback or element.mode is DialogueMode.VO or (
                    element.mode is DialogueMode.OS and not self._inner_voice(element))
            elif element.kind in (ElementKind.ACTION, ElementKind.CENTERED):
                named = self.names.mentioned(element.text)
                away = flashback or has_cue(element.text, ENTRANCE) or has_cue(
                    element.text, ARRIVAL)
            else:
                continue
            for name in named:
                if name not in seen:
                    seen.add(name)
                    if away:
                        absent.add(name)
        return [name for name in self.characters if name not in absent]

    def _inner_voice(self, element: Element) -> bool:
        """A 剧本 OS (or a cue marked 内心/心声/独白) is the speaker thinking, on screen."""
        if element.mode is not DialogueMode.OS:
            return False
        return self.juben or has_cue(element.speaker_cue, INNER_VOICE)

    def listener_for(self, speaker: str | None) -> str | None:
        """The last other speaker still here, else who came in last, else the first other
        character present."""
        if self.last_speaker and self.last_speaker != speaker and self.last_speaker in self.present:
            return self.last_speaker
        if self.last_arrived and self.last_arrived != speaker and self.last_arrived in self.present:
            return self.last_arrived
        others = [name for name in self.present if name != speaker]
        return others[0] if others else None

    def add(self, draft: Draft, notes: ShotNotes | None = None) -> Draft:
        """Add a draft with the writer's notes (its own, over a pending camera note) applied."""
        if self.pending.found:
            notes = (notes or ShotNotes()).over(self.pending)
            self.pending = ShotNotes()
        self.drafts.append(_apply_notes(draft, notes) if notes is not None else draft)
        return draft

    def run(self) -> None:
        heading = self.scene.heading.strip()
        if heading:
            exterior = self.scene.interior is False
            self.drafts.append(Draft(
                kind=ShotKind.ESTABLISHING,
                size=ShotSize.EWS if exterior else ShotSize.WS,
                seconds=4.0 if exterior else 3.0,
                camera=CameraMove(move=Move.PAN_RIGHT if exterior else Move.DOLLY_IN,
                                  intensity=0.3),
                characters=list(self.present),
                said={},
            ))
        elements = self.scene.elements
        inline = _inline_camera_notes(elements)
        for position, element in enumerate(elements):
            if element.kind is ElementKind.ACTION:
                self._action(element, inline.get(id(element)))
            elif element.kind is ElementKind.DIALOGUE:
                self._dialogue(element, _next_shot_element(elements, position),
                               inline.get(id(element)))
            elif element.kind is ElementKind.CENTERED:
                self.add(Draft(
                    kind=ShotKind.TITLE, size=ShotSize.WS, seconds=action_seconds(element.text),
                    action=element.text, source_lines=[element.line],
                    said={"kind": ShotKind.INSERT.value, "action": element.text},
                ))
            elif id(element) in inline:
                continue  # a camera note written inside the line before: read with it
            elif _is_camera(element) and self.camera_note(element.text):
                continue
            elif element.kind in (ElementKind.NOTE, ElementKind.TRANSITION):
                if element.text.strip():
                    self.notes.append(element.text.strip())
            elif element.kind is ElementKind.LYRIC:
                if element.text.strip():
                    self.notes.append(f"lyric: {element.text.strip()}")
            # SECTION, SYNOPSIS and PAGE_BREAK are structure only (rule 10)
        step_repeated_faces(self.drafts)

    def camera_note(self, text: str) -> bool:
        """A camera note standing alone (a whole-line 【镜头语言：…】, or a parser's camera
        note): it sets the next shot of the scene. False when it sets nothing a shot has
        (`【镜头语言：情绪压抑】`): the note is then kept as a scene note."""
        notes = camera_note(text)
        if not notes.found:
            return False
        self.pending = notes.over(self.pending)
        return True

    def _action(self, element: Element, inline: ShotNotes | None = None) -> None:
        notes = read_notes(element.text)
        if inline is not None:
            notes = notes.over(inline)
        if notes.found and not notes.text.strip():
            # a line of notes alone (`镜头：中景`, `CLOSE ON:`): no shot, it sets the next one
            self.pending = notes.over(self.pending)
            return
        text = notes.text or element.text
        named = self.names.mentioned(text)
        if not named and self.last_named and _PRONOUN.match(text):
            named = [self.last_named]  # "She slumps onto a bench": the one last named alone
        elif not named and self.last_action_named and _bodily(text):
            # "坐起。", "边吃边聊，偶尔大笑": the ones the last action named do it
            named = list(self.last_action_named)
        elif len(named) == 1:
            self.last_named = named[0]
        if named:
            self.last_action_named = named
        beats = split_walk_and_look(text) if not notes.found else [text]
        inserted = False
        for index, beat in enumerate(beats):
            in_frame = self.names.mentioned(beat) or named
            draft = Draft(
                kind=ShotKind.ACTION,
                size=action_size(beat, in_frame),
                seconds=action_seconds(beat),
                camera=scenery_camera(action_camera(beat), in_frame),
                characters=in_frame,
                action=beat,
                source_lines=[element.line],
                said={"action": element.text, **({"part": index} if index else {})},
            )
            if self.reacting and in_frame == [self.reacting] and index == 0:
                draft.size, draft.notes = ShotSize.CU, ["reaction"]
                draft.camera = PUSH
            self.add(draft, notes)
            prop = prop_clause(beat)
            if prop and not inserted and not notes.found and draft.size not in (
                    ShotSize.CU, ShotSize.ECU):
                # the prop beat: cut in on the hands and the object, right after the beat
                inserted = True
                self.drafts.append(Draft(
                    kind=ShotKind.INSERT, size=ShotSize.CU, seconds=INSERT_SECONDS,
                    camera=SLOW_PUSH, action=prop,
                    source_lines=[element.line], notes=["insert: the prop"],
                    said={"insert": element.text},
                ))
        self.reacting = None
        self._presence(text, named)

    def _presence(self, text: str, named: list[str]) -> None:
        """Who is here after an action: entrances join, exits leave, movers are noted."""
        if has_cue(text, EXIT):
            self.present = [name for name in self.present if name not in named]
            self.moved.update(named)
        elif has_cue(text, ENTRANCE) or has_cue(text, ARRIVAL) or has_cue(text, MOVEMENT):
            self.present += [name for name in named if name not in self.present]
            self.moved.update(named)
            if named and (has_cue(text, ENTRANCE) or has_cue(text, ARRIVAL)):
                self.last_arrived = named[-1]

    def _dialogue(
        self, element: Element, following: Element | None, inline: ShotNotes | None = None
    ) -> None:
        speaker = self.names.resolve(element.speaker)
        written = (element.speaker or element.speaker_cue or "").strip()
        notes = read_notes(element.parenthetical)
        if inline is not None:
            notes = notes.over(inline)
        parenthetical = (notes.text or None) if notes.found else element.parenthetical
        inner = self._inner_voice(element)
        heated = emotional(parenthetical, element.text)
        if speaker and not inner and element.mode is None and speaker not in self.present:
            self.present.append(speaker)  # someone who speaks on screen is here
        kind, camera = ShotKind.DIALOGUE, STILL
        if is_voice_only(written) or is_group(written) or not written:
            size, in_frame = ShotSize.WS, []  # a narrator, 系统音 or crowd is heard over the setting
        elif speaker is None or (element.mode is not None and not inner):
            listener = self.listener_for(speaker)  # off-screen or voice-over: on the listener
            size = ShotSize.MCU if listener else ShotSize.WS
            in_frame = [listener] if listener else []
        elif inner:
            # a thought: the thinker's face, mouth closed, the camera drawing closer
            size, in_frame = ShotSize.MCU, [speaker]
            camera = SLOW_PUSH
        elif self.reacting == speaker:
            # the reaction in their parenthetical opens their own line, close
            size, in_frame = ShotSize.CU, [speaker]
            camera = PUSH
        else:
            kind, size, camera, in_frame = self.exchange.framing(
                speaker, self.listener_for(speaker), moved=self.moved, heated=heated,
                seconds=speech_seconds(element.text), present=self.present)
        if not in_frame:
            camera = scenery_camera(camera, in_frame)  # a voice over the place: it drifts
        self.moved = set()
        self.reacting = None
        parts = split_line(element.text, self.fits) or [element.text]
        for index, part in enumerate(parts):
            line = DialogueLine(
                speaker=speaker or written, text=part, parenthetical=parenthetical,
                mode=element.mode, line=element.line,
            )
            part_kind, part_size, part_camera = kind, size, camera
            if index and kind is ShotKind.TWO_SHOT:
                # the two-shot opens the line; its rest goes over the shoulder
                part_kind, part_size = ShotKind.OTS, ShotSize.MCU
            if len(parts) > 1 and in_frame:
                # a long speech: the camera moves in on it, part by part
                part_size = tighter(part_size, index)
                part_camera = SLOW_PUSH
            self.add(Draft(
                kind=part_kind,
                size=part_size,
                seconds=speech_seconds(part),
                camera=part_camera,
                characters=list(in_frame),
                dialogue=[line],
                source_lines=[element.line],
                notes=[f"part {index + 1} of {len(parts)}"] if len(parts) > 1 else [],
                said={
                    "speaker": line.speaker,
                    "text": part,
                    "parenthetical": element.parenthetical,
                    "mode": element.mode.value if element.mode else None,
                    "part": index if len(parts) > 1 else None,
                },
            ), notes)
        self._reaction(speaker, following)
        if speaker and (element.mode is None or inner):
            self.last_speaker = speaker
            self.last_named = speaker
            self.last_action_named = [speaker]

    def _reaction(self, speaker: str | None, following: Element | None) -> None:
        """A listener's reaction after a line: played in the next shot of that face alone,
        or cut as a close-up of its own when the next shot shows more than that face."""
        if following is None:
            return
        listener: str | None = None
        named: list[str] = []
        if following.kind is ElementKind.ACTION and has_cue(following.text, REACTION):
            named = self.names.mentioned(read_notes(following.text).text or following.text)
            others = [n for n in named if n != speaker]
            listener = others[0] if others else None
        elif following.kind is ElementKind.DIALOGUE and has_cue(
            following.parenthetical, REACTION
        ):
            listener = self.names.resolve(following.speaker)
            named = [listener] if listener else []
        if not listener or listener == speaker:
            return
        if named == [listener]:
            self.reacting = listener  # the next shot is that face alone: it plays the reaction
            return
        if self.drafts and self.drafts[-1].face() == listener:
            return  # the line was already on the listener's face
        self.drafts.append(Draft(
            kind=ShotKind.REACTION, size=ShotSize.CU, seconds=REACTION_SECONDS,
            camera=PUSH, characters=[listener],
            notes=["reaction"], said={"listener": listener, "after": speaker,
                                      "before": following.text},
        ))


def _is_camera(element: Element) -> bool:
    """A writer's camera note: one the parser says is (剧本 【镜头语言：…】, 运镜：…), or a note
    of no known kind that is all camera words (`【特写】`, Fountain `[[CLOSE ON]]`)."""
    if element.kind is not ElementKind.NOTE:
        return False
    if element.note_kind is not None:
        return element.note_kind == "camera"
    return is_camera_note(element.text)


def _inline_camera_notes(elements: list[Element]) -> dict[int, ShotNotes]:
    """Camera notes the parser took out of an action or a line (`△沈念推门【镜头语言：推进】…`
    reads as the action, then the note, on the same script line): they set that line's shot,
    not the next one. Keyed by id() of the action or dialogue element, and of each note."""
    found: dict[int, ShotNotes] = {}
    owner: Element | None = None
    for element in elements:
        if element.kind in (ElementKind.ACTION, ElementKind.DIALOGUE):
            owner = element
            continue
        if owner is None or element.kind is not ElementKind.NOTE or element.line != owner.line:
            owner = None
            continue
        if not _is_camera(element):
            continue
        notes = camera_note(element.text)
        if notes.found:
            found[id(owner)] = notes.over(found.get(id(owner), ShotNotes()))
            found[id(element)] = notes
    return found


def _next_shot_element(elements: list[Element], position: int) -> Element | None:
    """The next action or dialogue after `position` (notes and transitions are skipped)."""
    for element in elements[position + 1 :]:
        if element.kind in (ElementKind.ACTION, ElementKind.DIALOGUE):
            return element
    return None


# json.dumps(said, sort_keys=True, ensure_ascii=False, separators=(",", ":")), one encoder
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def content_hash(said: dict[str, Any]) -> str:
    """sha1 of a canonical JSON of what the script said for a shot."""
    return hashlib.sha1(_CANONICAL.encode(said).encode("utf-8")).hexdigest()


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

    def fits_hook(text: str) -> bool:
        return speech_seconds(text) <= 3.0

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
            drafts = work.drafts
            # ids follow the script; the hook may reorder the opening and its flash-forward,
            # a teaser before shot 1, is shot 0
            numbers = {id(draft): n for n, draft in enumerate(drafts, start=1)}
            if not episode.scenes:  # the episode's first three seconds
                drafts = hook(drafts, fits_hook, split_line)
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
            for draft in drafts:
                n = numbers.get(id(draft), 0)
                said = {
                    "kind": _said_kind(draft),
                    "episode": episode.number,
                    "heading": script_scene.heading,
                    **{k: v for k, v in draft.said.items() if k != "kind"},
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
                    angle=draft.angle,
                    duration_frames=frames(draft.seconds),
                    characters=draft.characters,
                    action=draft.action,
                    dialogue=draft.dialogue,
                    notes="; ".join(draft.notes) or None,
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


def _said_kind(draft: Draft) -> str:
    """The element a shot comes from, for its hash: framing is coverage, not what was said."""
    if "kind" in draft.said:
        return str(draft.said["kind"])
    if draft.kind is ShotKind.ESTABLISHING:
        return ShotKind.ESTABLISHING.value
    if "hook" in draft.said:
        return "hook"
    if "insert" in draft.said:
        return ShotKind.INSERT.value
    if draft.kind is ShotKind.REACTION and "listener" in draft.said:
        return ShotKind.REACTION.value
    return ShotKind.DIALOGUE.value if draft.dialogue else ShotKind.ACTION.value


def _in_frame(bible: list[Character], shot: Shot) -> list[Character]:
    return [c for c in bible if c.name in shot.characters]
