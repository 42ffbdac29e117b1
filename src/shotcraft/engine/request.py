"""Build a RenderRequest from a Shot, and check it against what the chosen engine can do.

This is the one place where the director's inputs (keyframes, character references, aspect,
duration) meet an engine's capabilities. An input the engine cannot honour is an EngineError that
says what to change, unless the caller allows downgrades; then the input is dropped and the
request carries a sentence saying so (`request.downgrades`), which ends up on the take.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from shotcraft.engine.protocol import Capabilities, CharacterRef, Engine, RenderRequest
from shotcraft.engine.settings import parse_aspect, render_size
from shotcraft.shots.errors import EngineError, SpecError
from shotcraft.shots.media import sha256_file
from shotcraft.shots.models import Keyframe, Shot, TakeKind
from shotcraft.storyboard.models import Character, Scene


def _inside(project_dir: Path, relative: str, *, field: str, what: str) -> Path:
    """`relative` resolved under `project_dir`; SpecError when it escapes or does not exist."""
    root = project_dir.resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root):
        raise SpecError(f"{what} {relative} points outside the project folder.", field=field)
    if not path.is_file():
        raise SpecError(f"{what} {relative} does not exist in the project folder.", field=field)
    return path


def _existing(path: Path, *, field: str, what: str) -> Path:
    if not Path(path).is_file():
        raise SpecError(f"{what} {path} does not exist.", field=field)
    return Path(path)


def _keyframe_path(
    shot: Shot, keyframe: Keyframe, *, field: str, project_dir: Path,
    previous_last_frame: Path | None, previous_frame_missing: str | None = None,
) -> Path | None:
    if keyframe.chain_previous:
        if field == "last_keyframe":
            raise SpecError(
                f"shot {shot.id} cannot end on the previous shot's last frame; give an image.",
                field=field,
            )
        if previous_last_frame is None:
            why = previous_frame_missing or "no last frame of it was given"
            raise SpecError(f"shot {shot.id} chains from the previous shot, but {why}.", field=field)
        return _existing(previous_last_frame, field=field, what="the previous shot's last frame")
    if keyframe.path:
        return _inside(project_dir, keyframe.path, field=field, what="keyframe image")
    return None


def _character_refs(
    shot: Shot, characters: Sequence[Character], project_dir: Path
) -> list[CharacterRef]:
    refs: list[CharacterRef] = []
    for name in shot.characters:
        entry = next((c for c in characters if c.name == name or name in c.aliases), None)
        if entry is None:
            refs.append(CharacterRef(name=name))
            continue
        paths = [
            _inside(project_dir, ref, field="references", what=f"{entry.name}'s reference image")
            for ref in entry.references
        ]
        refs.append(
            CharacterRef(
                name=entry.name,
                description=entry.description,
                references=paths,
                reference_hashes=[sha256_file(p) for p in paths],
                ip_adapter_scale=entry.ip_adapter_scale,
            )
        )
    return refs


def _default_prompt(shot: Shot, scene: Scene | None) -> str:
    # only used when the storyboard has not composed (or the director cleared) the prompt
    parts = [f"{shot.framing} shot"]
    if shot.characters:
        parts.append(", ".join(shot.characters))
    if shot.action:
        parts.append(shot.action)
    if scene is not None:
        parts.append(" ".join(x for x in (scene.location, scene.time or "") if x))
    return ", ".join(p for p in parts if p)


def _nearest_aspect(aspect: str, supported: list[str]) -> str:
    width, height = parse_aspect(aspect)
    wanted = math.log(width / height)

    def distance(candidate: str) -> float:
        w, h = parse_aspect(candidate)
        return abs(math.log(w / h) - wanted)

    return min(supported, key=distance)


class _Checker:
    """Collects downgrades, or raises, for inputs the engine cannot honour."""

    def __init__(self, engine: Engine, allow_downgrade: bool) -> None:
        self.engine_name = engine.name
        self.allow = allow_downgrade
        self.downgrades: list[str] = []

    def refuse(self, *, error: str, downgrade: str) -> None:
        if not self.allow:
            raise EngineError(f"{self.engine_name} {error}")
        self.downgrades.append(downgrade)


def build_request(
    shot: Shot,
    *,
    engine: Engine,
    kind: TakeKind,
    seeds: list[int],
    take_numbers: list[int],
    width: int,
    height: int,
    fps: int,
    aspect: str,
    project_dir: Path,
    scene: Scene | None = None,
    characters: Sequence[Character] = (),
    previous_last_frame: Path | None = None,
    previous_frame_missing: str | None = None,
    picked_keyframe: Path | None = None,
    allow_downgrade: bool = False,
    params: dict[str, Any] | None = None,
) -> RenderRequest:
    """The RenderRequest for `seeds` takes of `shot` on `engine`, checked against its capabilities.

    Raises SpecError for a bad spec (missing or escaping files, mismatched seeds) and
    EngineError for a director input the engine cannot use (unless `allow_downgrade`).
    `previous_frame_missing` says why `previous_last_frame` is None, finishing the sentence
    "shot X chains from the previous shot, but …" (e.g. "E01-S01-001 has no picked take yet").
    """
    if not seeds:
        raise SpecError(f"shot {shot.id}: at least one seed is needed to draw takes.", field="seeds")
    if len(seeds) != len(take_numbers):
        raise SpecError(
            f"shot {shot.id}: {len(seeds)} seeds but {len(take_numbers)} take numbers.", field="seeds"
        )
    if len(set(take_numbers)) != len(take_numbers) or min(take_numbers) < 1:
        raise SpecError(f"shot {shot.id}: take numbers must be distinct and start at 1.", field="take_numbers")
    if width <= 0 or height <= 0 or width % 2 or height % 2:
        raise SpecError(f"render size {width}×{height} must be positive and even.", field="size")
    if fps <= 0:
        raise SpecError(f"fps {fps} must be positive.", field="fps")
    parse_aspect(aspect)
    project_dir = Path(project_dir)

    caps: Capabilities = engine.capabilities(kind)
    check = _Checker(engine, allow_downgrade)
    if kind is TakeKind.KEYFRAME and not caps.keyframes:
        raise EngineError(f"{engine.name} cannot draw keyframe stills; draw video takes instead.")

    # keyframes: explicit ones are the director's; a picked keyframe take is only a suggestion
    first = last = None
    explicit_first = False
    if shot.first_keyframe is not None:
        first = _keyframe_path(
            shot, shot.first_keyframe, field="first_keyframe", project_dir=project_dir,
            previous_last_frame=previous_last_frame, previous_frame_missing=previous_frame_missing,
        )
        explicit_first = first is not None
    if first is None and kind is TakeKind.VIDEO and picked_keyframe is not None:
        first = _existing(Path(picked_keyframe), field="picked_keyframe", what="the picked keyframe")
    if shot.last_keyframe is not None and kind is TakeKind.VIDEO:
        last = _keyframe_path(
            shot, shot.last_keyframe, field="last_keyframe", project_dir=project_dir,
            previous_last_frame=previous_last_frame, previous_frame_missing=previous_frame_missing,
        )

    if first is not None and not (caps.image_to_video or caps.first_frame):
        if explicit_first:
            check.refuse(
                error="cannot start from a first keyframe; drop the first keyframe or pick an engine with image-to-video.",
                downgrade=f"first keyframe ignored: {engine.name} cannot start from an image",
            )
        else:
            check.downgrades.append(
                f"picked keyframe not used: {engine.name} cannot start from an image"
            )
        first = None
    if last is not None and not caps.last_frame:
        check.refuse(
            error="cannot use a last frame; drop the last keyframe or pick an engine that can.",
            downgrade=f"last keyframe ignored: {engine.name} cannot use a last frame",
        )
        last = None
    if kind is TakeKind.VIDEO and first is None and not caps.text_to_video:
        raise EngineError(
            f"{engine.name} needs a first frame for shot {shot.id}; set a first keyframe or "
            "pick a keyframe take first."
        )

    refs = _character_refs(shot, characters, project_dir)
    if any(ref.references for ref in refs) and not caps.character_references:
        check.refuse(
            error="cannot use character reference images; remove them from the bible or pick an engine that can.",
            downgrade=f"character references ignored: {engine.name} cannot use reference images",
        )
        refs = [ref.model_copy(update={"references": [], "reference_hashes": []}) for ref in refs]

    if aspect not in caps.aspects:
        nearest = _nearest_aspect(aspect, caps.aspects)
        check.refuse(
            error=f"cannot render {aspect}; use one of {', '.join(caps.aspects)}.",
            downgrade=f"aspect {aspect} changed to {nearest}: {engine.name} cannot render {aspect}",
        )
        width, height = render_size(nearest, long_side=max(width, height))
        aspect = nearest

    num_frames = 1 if kind is TakeKind.KEYFRAME else shot.duration_frames
    if caps.max_seconds is not None and num_frames > caps.max_seconds * fps:
        clamped = max(1, int(caps.max_seconds * fps))
        check.downgrades.append(
            f"duration cut to {clamped} frames ({clamped / fps:.3g} s): {engine.name} draws at most "
            f"{caps.max_seconds:.3g} s per take"
        )
        num_frames = clamped

    return RenderRequest(
        shot_id=shot.id,
        kind=kind,
        prompt=shot.prompt or _default_prompt(shot, scene),
        negative_prompt=shot.negative_prompt,
        width=width,
        height=height,
        fps=fps,
        num_frames=num_frames,
        aspect=aspect,
        size=shot.size,
        framing=shot.kind,
        angle=shot.angle,
        camera=shot.camera,
        characters=refs,
        dialogue=list(shot.dialogue),
        action=shot.action,
        location=scene.location if scene is not None else "",
        time_of_day=scene.time if scene is not None else None,
        interior=scene.interior if scene is not None else None,
        first_frame=first,
        last_frame=last,
        seeds=list(seeds),
        take_numbers=list(take_numbers),
        downgrades=check.downgrades,
        allow_downgrade=allow_downgrade,
        params=dict(params or {}),
    )
