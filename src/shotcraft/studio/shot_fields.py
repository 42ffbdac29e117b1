"""A shot's editable fields as a director types them, for `shotcraft shot` and the studio's
shot editor alike: one parser per field (a bad value is a SpecError naming the field), and one
way of showing the shot (labels and units: `3.0 s (90 f)`)."""

from __future__ import annotations

import math
from typing import Any

from rich.text import Text

from shotcraft.shots.errors import SpecError
from shotcraft.shots.models import Angle, CameraMove, Move, Shot, ShotKind, ShotSize

KIND_NAMES = {"2s": ShotKind.TWO_SHOT, "two-shot": ShotKind.TWO_SHOT, "twoshot": ShotKind.TWO_SHOT,
              "ins": ShotKind.INSERT, "over-the-shoulder": ShotKind.OTS}
MOVE_NAMES = {"push_in": Move.DOLLY_IN, "pull_out": Move.DOLLY_OUT, "follow": Move.TRUCK_RIGHT,
              "tracking": Move.TRUCK_RIGHT}
ANGLE_WORDS = {None: "eye level", Angle.HIGH: "high angle", Angle.LOW: "low angle",
               Angle.OVERHEAD: "overhead", Angle.POV: "point of view", Angle.DUTCH: "dutch angle"}


def _key(text: str) -> str:
    return text.strip().lower().replace("-", "_").replace(" ", "_")


def parse_size(text: str) -> ShotSize:
    try:
        return ShotSize(text.strip().upper())
    except ValueError:
        raise SpecError(f"{text!r} is not a shot size; use one of "
                        f"{', '.join(s.value for s in ShotSize)}", field="size") from None


def parse_kind(text: str) -> ShotKind:
    key = _key(text)
    if key.replace("_", "-") in KIND_NAMES:
        return KIND_NAMES[key.replace("_", "-")]
    try:
        return ShotKind(key)
    except ValueError:
        raise SpecError(f"{text!r} is not a kind of shot; use one of "
                        f"{', '.join(k.value for k in ShotKind)} (or OTS, 2S, INS)",
                        field="kind") from None


def parse_camera(text: str, *, current: CameraMove | None = None) -> CameraMove:
    """`MOVE[:INTENSITY]` (`handheld`, `dolly_in:0.3`, `push-in:0.8`); the intensity defaults to
    the shot's own (or 0.5)."""
    move_text, _, intensity_text = text.partition(":")
    key = _key(move_text)
    move = MOVE_NAMES.get(key)
    if move is None:
        try:
            move = Move(key)
        except ValueError:
            raise SpecError(f"{move_text!r} is not a camera move; use one of "
                            f"{', '.join(m.value for m in Move)}, optionally with :INTENSITY "
                            "(0-1)", field="camera") from None
    intensity = current.intensity if current is not None else 0.5
    if intensity_text.strip():
        try:
            intensity = float(intensity_text)
        except ValueError:
            intensity = -1.0
        if not 0.0 <= intensity <= 1.0:
            raise SpecError(f"the intensity {intensity_text!r} is not a number from 0 to 1",
                            field="camera")
    return CameraMove(move=move, intensity=intensity)


def parse_angle(text: str) -> Angle | None:
    key = _key(text)
    if key in ("", "eye", "eye_level", "none"):
        return None
    try:
        return Angle(key)
    except ValueError:
        raise SpecError(f"{text!r} is not a camera angle; use eye, "
                        f"{', '.join(a.value for a in Angle)}", field="angle") from None


def parse_duration(text: str | float, fps: int) -> int:
    """Seconds (as typed) → whole frames at the episode's fps. What is no length (not a finite
    number, 0, negative) or less than one frame is refused, as update_shot refuses it, never
    rounded up to one frame."""
    try:
        seconds = float(text)
    except (TypeError, ValueError):
        seconds = float("nan")
    if not math.isfinite(seconds) or seconds <= 0:
        raise SpecError(f"{str(text).strip()!r} is not a number of seconds above 0",
                        field="duration")
    frames = round(seconds * fps)
    if frames < 1:
        raise SpecError(f"a shot lasts at least one frame (1/{fps} s), not {str(text).strip()} s",
                        field="duration")
    return frames


def parse_characters(text: str) -> list[str]:
    """`A,B` (or `A，B`, `A、B`) → the names, in order."""
    return [name.strip() for name in text.replace("，", ",").replace("、", ",").split(",")
            if name.strip()]


def duration_words(frames: int, fps: int) -> str:
    """`3.0 s (90 f)`: a duration a director reads."""
    return f"{frames / fps:.1f} s ({frames} f)"


def camera_words(camera: CameraMove) -> str:
    move = camera.move.value.replace("_", " ")
    return move if camera.move in (Move.STATIC,) else f"{move} {camera.intensity:g}"


def shot_lines(shot: Shot, fps: int, *, scene: Any = None, views: list[Any] | None = None,
               ) -> list[Text]:
    """The shot as labelled lines: what `shotcraft shot` prints and the editor's summary."""
    heading = f" · scene {shot.scene_id}" + (f" {scene.heading}" if scene is not None else "")
    lines = [Text.assemble((shot.id, "bold"), heading)]

    def row(label: str, value: str, style: str = "") -> None:
        lines.append(Text.assemble((f"{label:<11}", "dim"), (value, style)))

    row("framing", f"{shot.framing} ({shot.kind.value.replace('_', '-')}, {shot.size.value})")
    row("camera", camera_words(shot.camera))
    row("angle", ANGLE_WORDS[shot.angle])
    row("duration", duration_words(shot.duration_frames, fps))
    row("characters", ", ".join(shot.characters) or "nobody")
    if shot.action:
        row("action", shot.action)
    for line in shot.dialogue:
        mode = f" ({line.mode.value})" if line.mode else ""
        paren = f"（{line.parenthetical}）" if line.parenthetical else ""
        row("dialogue", f"{line.speaker}{mode}：{paren}{line.text}")
    row("prompt", "hand-written, kept as written" if shot.prompt_by_hand
        else "composed from the spec")
    lines.append(Text(f"  {shot.prompt}"))
    if shot.notes:
        row("notes", shot.notes)
    if views is not None:
        lines.append(takes_line(views))
    return lines


def takes_line(views: list[Any]) -> Text:
    """How many takes, which is picked, which are outdated (and by what)."""
    done = [v for v in views if v.take.status.value == "done"]
    picked = next((v for v in views if v.picked and v.take.kind.moving), None)
    stale = [v for v in views if v.outdated]
    said = f"{len(done)} done" + (f", take {picked.take.number} picked" if picked else "")
    text = Text.assemble((f"{'takes':<11}", "dim"), said)
    if stale:
        changed = sorted({what for v in stale for what in v.outdated})
        numbers = ", ".join(str(v.take.number) for v in stale)
        text.append(f"; outdated: take{'s' if len(stale) > 1 else ''} {numbers} "
                    f"({', '.join(changed)} changed since drawn)", style="yellow")
    return text
