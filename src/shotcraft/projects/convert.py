"""Rows ↔ domain models. The only place that knows both shapes."""

from __future__ import annotations

from typing import Any

from shotcraft.projects.db import CharacterRow, SceneRow, ShotRow, TakeRow
from shotcraft.shots.models import (
    Angle,
    Budget,
    CameraMove,
    DialogueLine,
    Keyframe,
    MadeBy,
    Move,
    RejectReason,
    Shot,
    ShotKind,
    ShotSize,
    Take,
    TakeKind,
    TakeOrigin,
    TakeStatus,
)
from shotcraft.storyboard.models import Character, Scene
from shotcraft.storyboard.voices import Voice

_MADE_BY = {value.value for value in MadeBy}

# Shot fields a director can edit; re-import keeps the edited ones
EDITABLE_SHOT_FIELDS = (
    "kind", "size", "camera", "angle", "duration_frames", "characters", "action", "dialogue",
    "prompt", "negative_prompt", "first_keyframe", "last_keyframe", "takes_wanted", "budget",
    "notes",
)


def shot_from_row(row: ShotRow) -> Shot:
    return Shot(
        id=row.id,
        episode=row.episode,
        scene_id=row.scene_id,
        order=row.order,
        kind=ShotKind(row.kind),
        size=ShotSize(row.size),
        camera=CameraMove(move=Move(row.camera_move), intensity=row.camera_intensity),
        angle=Angle(row.angle) if row.angle else None,
        duration_frames=row.duration_frames,
        characters=list(row.characters),
        action=row.action,
        dialogue=[DialogueLine(**d) for d in row.dialogue],
        prompt=row.prompt,
        negative_prompt=row.negative_prompt,
        first_keyframe=Keyframe(**row.first_keyframe) if row.first_keyframe else None,
        last_keyframe=Keyframe(**row.last_keyframe) if row.last_keyframe else None,
        takes_wanted=row.takes_wanted,
        budget=Budget(**row.budget) if row.budget else None,
        picked_take=row.picked_take,
        picked_by=MadeBy(row.picked_by) if row.picked_by in _MADE_BY else None,
        trim_in=row.trim_in,
        trim_out=row.trim_out,
        notes=row.notes,
        source_lines=list(row.source_lines),
        content_hash=row.content_hash,
        archived=row.archived,
        prompt_by_hand="prompt" in row.edited,
    )


def shot_columns(shot: Shot) -> dict[str, Any]:
    """Column values for a shot (everything but the id and bookkeeping columns)."""
    return {
        "episode": shot.episode,
        "scene_id": shot.scene_id,
        "order": shot.order,
        "kind": shot.kind.value,
        "size": shot.size.value,
        "camera_move": shot.camera.move.value,
        "camera_intensity": shot.camera.intensity,
        "angle": shot.angle.value if shot.angle else None,
        "duration_frames": shot.duration_frames,
        "characters": list(shot.characters),
        "action": shot.action,
        "dialogue": [d.model_dump(mode="json") for d in shot.dialogue],
        "prompt": shot.prompt,
        "negative_prompt": shot.negative_prompt,
        "first_keyframe": shot.first_keyframe.model_dump(mode="json") if shot.first_keyframe else None,
        "last_keyframe": shot.last_keyframe.model_dump(mode="json") if shot.last_keyframe else None,
        "takes_wanted": shot.takes_wanted,
        "budget": shot.budget.model_dump(mode="json") if shot.budget else None,
        "notes": shot.notes,
        "source_lines": list(shot.source_lines),
        "content_hash": shot.content_hash,
        "archived": shot.archived,
    }


def field_columns(field: str, shot: Shot) -> dict[str, Any]:
    """The columns that hold one editable shot field."""
    columns = shot_columns(shot)
    if field == "camera":
        return {"camera_move": columns["camera_move"], "camera_intensity": columns["camera_intensity"]}
    return {field: columns[field]}


def scene_from_row(row: SceneRow) -> Scene:
    return Scene(
        id=row.id, episode=row.episode, number=row.number, heading=row.heading,
        location=row.location, time=row.time, interior=row.interior,
        characters=list(row.characters), notes=list(row.notes),
    )


def character_from_row(row: CharacterRow) -> Character:
    return Character(
        name=row.name, aliases=list(row.aliases), appearance=row.appearance,
        biography=row.biography,
        references=list(row.references), first_scene=row.first_scene,
        first_line=row.first_line, voice=_voice(row.voice),
        ip_adapter_scale=row.ip_adapter_scale,
    )


def _voice(stored: dict[str, Any] | None) -> Voice | None:
    # a stored voice this version cannot read (hand-edited, a future engine's field) speaks in
    # the default rather than stopping the whole bible from loading; the row keeps it
    try:
        return Voice.model_validate(stored) if stored else None
    except ValueError:
        return None


def take_from_row(row: TakeRow) -> Take:
    return Take(
        shot_id=row.shot_id, number=row.number, kind=TakeKind(row.kind),
        origin=TakeOrigin(row.origin), engine=row.engine, engine_version=row.engine_version,
        seed=row.seed, params=dict(row.params), reference_hashes=dict(row.reference_hashes),
        downgrades=list(row.downgrades), status=TakeStatus(row.status), reason=row.reason,
        reject_reason=RejectReason(row.reject_reason) if row.reject_reason else None,
        rejected_by=MadeBy(row.rejected_by) if row.rejected_by in _MADE_BY else None,
        media_path=row.media_path, thumbnail_path=row.thumbnail_path,
        duration_frames=row.duration_frames, fps=row.fps, width=row.width, height=row.height,
        scores=dict(row.scores), score=row.score, cost_seconds=row.cost_seconds,
        cost_credits=row.cost_credits, provider=dict(row.provider),
        parent_take=row.parent_take, audio_hash=row.audio_hash, spec_hash=row.spec_hash,
        drawn_from=dict(row.drawn_from) if row.drawn_from else None, created_at=row.created_at,
    )
