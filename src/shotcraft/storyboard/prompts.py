"""Composed prompts: what an engine is asked to draw for a shot, in plain English words.

The prompt is built from the shot spec, in this order, joined with ", ":
style · framing (shot size, and over-the-shoulder / two-shot / insert) · camera angle · camera
move · shot content (establishing / action / who speaks and how / who thinks / who reacts) ·
interior or exterior, location, time of day · each character in frame with the bible's
appearance (never the biography). Words are English even for Chinese scripts (the engines read
English best); names, locations and action text are kept verbatim. The same shot always gives
the same prompt. It is composed again whenever the shot's spec changes, unless the director
wrote the prompt by hand (projects/prompting.py keeps that one).

Voices: a line spoken on screen is "X speaking"; an OS line with its speaker in frame is the
speaker thinking with lips closed (an inner voice moves no mouth); an off-screen or VO line is
the listener listening, or the setting, with the speaker heard.
"""

from __future__ import annotations

import re
from functools import lru_cache

from shotcraft.shots.models import Angle, DialogueMode, Move, Shot, ShotKind, ShotSize
from shotcraft.storyboard.models import Character, Scene

DEFAULT_STYLE = "cinematic vertical short drama, 9:16, photorealistic, film lighting"

NEGATIVE_PROMPT = (
    "blurry, low quality, distorted face, deformed hands, extra limbs, watermark, logo, "
    "on-screen text, subtitles, jpeg artifacts, oversaturated, flicker"
)

SIZE_WORDS = {
    ShotSize.EWS: "extreme wide shot",
    ShotSize.WS: "wide shot",
    ShotSize.MS: "medium shot",
    ShotSize.MCU: "medium close-up",
    ShotSize.CU: "close-up",
    ShotSize.ECU: "extreme close-up",
}

ANGLE_WORDS = {
    Angle.HIGH: "high-angle shot looking down",
    Angle.LOW: "low-angle shot looking up",
    Angle.OVERHEAD: "overhead top-down shot",
    Angle.POV: "point-of-view shot",
    Angle.DUTCH: "dutch angle, tilted horizon",
}

MOVE_WORDS = {
    Move.STATIC: "static camera",
    Move.PAN_LEFT: "pan left",
    Move.PAN_RIGHT: "pan right",
    Move.TILT_UP: "tilt up",
    Move.TILT_DOWN: "tilt down",
    Move.DOLLY_IN: "push-in",
    Move.DOLLY_OUT: "pull-out",
    Move.TRUCK_LEFT: "tracking shot moving left",
    Move.TRUCK_RIGHT: "tracking shot moving right",
    Move.ORBIT: "orbiting camera",
    Move.ZOOM_IN: "zoom in",
    Move.ZOOM_OUT: "zoom out",
    Move.HANDHELD: "handheld camera",
}

TIME_WORDS = {
    "日": "day",
    "白天": "day",
    "夜": "night",
    "晚": "night",
    "晨": "early morning",
    "早": "morning",
    "清晨": "early morning",
    "黄昏": "dusk",
    "傍晚": "evening",
    "下午": "afternoon",
    "中午": "noon",
    "午": "noon",
    "DAY": "day",
    "NIGHT": "night",
    "MORNING": "morning",
    "EVENING": "evening",
    "DUSK": "dusk",
    "DAWN": "dawn",
    "SUNSET": "sunset",
    "SUNRISE": "sunrise",
    "CONTINUOUS": "",
    "LATER": "",
}

# how a parenthetical or line is delivered, in words an image model can show
EMOTION_WORDS = [
    (("冷笑", "sneer", "smirk"), "sneering"),
    (("哭", "泣", "cries", "crying", "sobs", "sobbing", "tearful", "泪"), "crying"),
    (("低声", "whisper", "轻声", "小声"), "whispering"),
    (("咬牙", "through gritted teeth", "grits"), "gritting teeth"),
    (("怒", "吼", "shouts", "yells", "angry", "furious", "screams"), "angry, shouting"),
    (("笑", "laughs", "smiles", "smiling"), "smiling"),
    (("震惊", "shock", "stunned", "愣"), "shocked"),
    (("颤抖", "trembl", "shaking"), "trembling"),
]


@lru_cache(maxsize=256)
def time_words(time: str | None) -> str:
    """English words for a scene's time of day (日 → day, NIGHT → night); unknown kept as is."""
    if not time:
        return ""
    key = time.strip()
    if key.upper() in TIME_WORDS:
        return TIME_WORDS[key.upper()]
    # longest first so 傍晚 is evening, not 晚 (night)
    for word, english in sorted(TIME_WORDS.items(), key=lambda item: -len(item[0])):
        if word in key:
            return english
    return key.lower()


# each kind of delivery as one pattern over the lower-cased texts, in EMOTION_WORDS' order
_EMOTION_PATTERNS = [(re.compile("|".join(re.escape(cue.lower()) for cue in cues)), words)
                     for cues, words in EMOTION_WORDS]


def emotion_words(*texts: str | None) -> str | None:
    """The first delivery cue found in the texts, as English words, or None."""
    haystack = " ".join(t for t in texts if t).lower()
    if not haystack:
        return None
    for pattern, words in _EMOTION_PATTERNS:
        if pattern.search(haystack):
            return words
    return None


def camera_words(shot: Shot) -> str:
    """Camera move words with the speed from its intensity ("slow push-in")."""
    words = MOVE_WORDS[shot.camera.move]
    if shot.camera.move in (Move.STATIC, Move.HANDHELD):
        return words
    if shot.camera.intensity <= 0.35:
        return f"slow {words}"
    if shot.camera.intensity >= 0.75:
        return f"fast {words}"
    return words


def _framing_words(shot: Shot) -> str:
    size = SIZE_WORDS[shot.size]
    if shot.kind is ShotKind.OTS:
        face, shoulder = (shot.characters + ["", ""])[:2]
        past = f" past {shoulder}'s shoulder in the foreground" if shoulder else ""
        return f"over-the-shoulder {size}, {face or 'the speaker'} facing the camera{past}"
    if shot.kind is ShotKind.TWO_SHOT:
        return f"two-shot, {size}, {' and '.join(shot.characters) or 'two people'} together in frame"
    if shot.kind is ShotKind.INSERT:
        return f"insert {size}"
    return size


def _content_words(shot: Shot, scene: Scene, language: str) -> str:
    action = (shot.action or "").strip().rstrip("。.")
    if shot.kind is ShotKind.ESTABLISHING:
        words = f"establishing shot of {scene.location}" if scene.location else "establishing shot"
        words = f"{words}, {action}" if action else words
        return words if shot.characters else f"{words}, no people"
    if shot.kind is ShotKind.REACTION:
        who = " and ".join(shot.characters) or "listener"
        return f"{who} reacting silently, face in focus"
    if shot.kind is ShotKind.TITLE:
        return f"title card: {shot.action}" if shot.action else "title card"
    if shot.kind is ShotKind.INSERT and not shot.dialogue:
        what = f"close on {action}" if action else "close on the object"
        return f"{what}, hands and the object only, no faces"
    if shot.dialogue:
        line = shot.dialogue[0]
        tongue = " in Mandarin" if language == "zh" else ""
        if line.speaker in shot.characters and line.mode is DialogueMode.OS:
            # an inner voice: the thought is heard, the mouth does not move
            words = f"{line.speaker} silent with lips closed, lost in thought, inner voice heard"
        elif line.speaker in shot.characters and line.mode is not DialogueMode.VO:
            words = f"{line.speaker} speaking{tongue}"
            if shot.kind in (ShotKind.OTS, ShotKind.TWO_SHOT):
                others = [c for c in shot.characters if c != line.speaker]
                words += f" to {' and '.join(others)}" if others else ""
        elif shot.characters:
            words = (f"{' and '.join(shot.characters)} listening with lips closed, "
                     f"{line.speaker} heard off-screen")
        else:
            words = f"the setting, {line.speaker} heard in voice-over"
        emotion = emotion_words(line.parenthetical, line.text)
        return f"{words}, {emotion}" if emotion else words
    # a trailing full stop reads as a sentence break inside the comma-joined prompt
    return action


def _setting_words(scene: Scene) -> str:
    return _setting(scene.interior, scene.location, scene.time)


@lru_cache(maxsize=1024)
def _setting(interior: bool | None, location: str, time: str | None) -> str:
    """Interior or exterior, location, time of day (the same for every shot of a scene)."""
    parts: list[str] = []
    if interior is True:
        parts.append("interior")
    elif interior is False:
        parts.append("exterior")
    if location:
        parts.append(location)
    when = time_words(time)
    if when:
        parts.append(when)
    return " ".join(parts)


def _character_words(shot: Shot, characters: list[Character]) -> list[str]:
    by_name = {c.name: c for c in characters}
    words: list[str] = []
    for name in shot.characters:
        character = by_name.get(name)
        if character is not None and character.appearance:
            words.append(f"{name} ({character.appearance})")
        else:
            words.append(name)
    return words


def compose_prompt(
    shot: Shot,
    scene: Scene,
    characters: list[Character],
    *,
    style: str | None = None,
    language: str = "en",
) -> str:
    """The engine prompt for a shot: style, framing, camera, content, setting and characters."""
    parts = [
        style or DEFAULT_STYLE,
        _framing_words(shot),
        ANGLE_WORDS[shot.angle] if shot.angle else "",
        camera_words(shot),
        _content_words(shot, scene, language),
        _setting_words(scene),
        *_character_words(shot, characters),
    ]
    stripped = [part.strip() for part in parts if part]
    return ", ".join([part for part in stripped if part])


# ---------------------------------------------------------------------------------------------
# character sheets: one character alone, for the bible's reference pictures

SHEET_VIEWS = ("front view, facing the camera", "three-quarter view, head turned slightly")


def sheet_view(take_number: int) -> str:
    """The view a character-sheet take draws: odd takes face the camera, even ones turn 3/4."""
    return SHEET_VIEWS[(take_number - 1) % len(SHEET_VIEWS)]


def compose_sheet_prompt(character: Character, take_number: int, *, style: str | None = None) -> str:
    """The engine prompt for a character-sheet portrait: the character alone, from the bible."""
    who = f"{character.name} ({character.appearance})" if character.appearance else character.name
    parts = [
        style or DEFAULT_STYLE,
        "character portrait, head and shoulders",
        sheet_view(take_number),
        f"{who}, alone in frame",
        "neutral expression, even soft studio light, plain backdrop, sharp focus on the face",
    ]
    return ", ".join(part.strip() for part in parts if part and part.strip())
