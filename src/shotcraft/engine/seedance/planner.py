"""A render request as one Seedance task: the create body, what is recorded, and the refusals.

Seedance takes text, a first frame, a first and last frame, or reference images (the
character bible's sheets and references), never references together with keyframes. A
multi-shot request (`request.sequence`) becomes one prompt that names each shot and its time
span ("Shot 2 [2.5s-6.0s]: ..."); the clip is checked for those cuts after it is drawn.
"""

from __future__ import annotations

import base64
import math
import mimetypes
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shotcraft.engine.protocol import RenderRequest
from shotcraft.engine.seedance.models import (
    FPS,
    MAX_SHOTS,
    MODELS,
    RATIOS,
    frame_size,
    task_cost,
)
from shotcraft.providers.ark.settings import SeedanceSettings
from shotcraft.shots.errors import EngineError
from shotcraft.shots.media import sha256_file
from shotcraft.shots.models import CameraMove, Move, TakeKind

MAX_IMAGE_BYTES = 30 * 1024 * 1024


@dataclass
class SeedancePlan:
    body: dict[str, Any]  # the create body, less the per-take seed
    params: dict[str, Any]  # recorded on the take: the body with images as hashes
    width: int
    height: int
    seconds: int
    cuts: list[int] = field(default_factory=list)  # frames (24 fps) where shots 2.. start
    downgrades: list[str] = field(default_factory=list)
    cost: float | None = None


def camera_words(camera: CameraMove) -> str:
    """A shot's camera move in words (Seedance 2.0 takes camera moves from the prompt)."""
    if camera.move is Move.STATIC:
        return "static camera"
    if camera.move is Move.HANDHELD:
        return "handheld camera, subtle shake"
    speed = "slow" if camera.intensity < 0.4 else "fast" if camera.intensity > 0.7 else "steady"
    return f"{speed} camera {camera.move.value.replace('_', ' ')}"


def shot_prompt(request: RenderRequest) -> tuple[str, list[int], int]:
    """The prompt, the cut frames and the whole seconds to draw: one shot, or a shot list."""
    if not request.sequence:
        seconds = request.num_frames / request.fps
        text = request.prompt.rstrip()
        joiner = " " if not text or text[-1] in ".!?。！？" else ". "
        return f"{text}{joiner}{camera_words(request.camera)}.", [], math.ceil(seconds - 1e-6)
    starts, at = [], 0
    for part in request.sequence:
        starts.append(at)
        at += part.num_frames
    total = math.ceil(at / request.fps - 1e-6)
    ends = [*starts[1:], None]
    lines = ["Multiple shots, hard cuts between them, the same characters and light throughout."]
    for index, (part, start, end) in enumerate(zip(request.sequence, starts, ends, strict=True)):
        begin = start / request.fps
        finish = total if end is None else end / request.fps
        lines.append(f"Shot {index + 1} [{begin:.1f}s-{finish:.1f}s]: {part.prompt.rstrip()} "
                     f"({camera_words(part.camera)}).")
    cuts = [round(s / request.fps * FPS) for s in starts[1:]]
    return " ".join(lines), cuts, total


def image_url(path: Path) -> str:
    """A local image as the `data:image/<fmt>;base64,` URL Ark takes."""
    path = Path(path)
    if not path.is_file():
        raise EngineError(f"Image {path.name} is missing.")
    if path.stat().st_size > MAX_IMAGE_BYTES:
        raise EngineError(f"Image {path.name} is over Seedance's 30 MB limit.")
    kind = (mimetypes.guess_type(path.name)[0] or "image/png").split("/")[-1]
    return f"data:image/{kind};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def fair_references(request: RenderRequest, limit: int) -> tuple[list[Path], list[str]]:
    """Reference images to send (every character's first before anyone's second), and those
    left out in words ("lin's 3rd")."""
    cast = [c for c in request.characters if c.references]
    kept = [0] * len(cast)
    budget = limit
    for depth in range(max((len(c.references) for c in cast), default=0)):
        for index, who in enumerate(cast):
            if depth < len(who.references) and budget:
                kept[index] += 1
                budget -= 1
    chosen = [p for c, n in zip(cast, kept, strict=True) for p in c.references[:n]]
    left = [f"{c.name}'s #{i + 1}" for c, n in zip(cast, kept, strict=True)
            for i in range(n, len(c.references))]
    return chosen, left


def plan_task(request: RenderRequest, s: SeedanceSettings) -> SeedancePlan:
    """The Seedance task for `request`; EngineError in one sentence when it cannot be drawn."""
    model = s.model
    if model not in MODELS:
        raise EngineError(f"Seedance model {model!r} is unknown; use one of {', '.join(MODELS)}.")
    facts = MODELS[model]
    drop = request.allow_downgrade
    downgrades: list[str] = []
    if request.kind is not TakeKind.VIDEO:
        raise EngineError("Seedance draws video takes only; draw keyframes with another engine.")
    if request.aspect not in RATIOS:
        raise EngineError(f"Seedance cannot draw {request.aspect}; use one of {', '.join(RATIOS)}.")
    if request.sequence and not facts.v2:
        raise EngineError(f"{model} draws one shot per task; use Seedance 2.0 for a sequence.")
    if len(request.sequence) > MAX_SHOTS:
        raise EngineError(f"Seedance draws at most {MAX_SHOTS} shots as one clip; "
                          f"this sequence has {len(request.sequence)}.")
    if s.resolution not in facts.resolutions:
        raise EngineError(f"{model} cannot draw {s.resolution}; set SHOTCRAFT_SEEDANCE_RESOLUTION "
                          f"to one of {', '.join(facts.resolutions)}.")
    if s.audio and not facts.audio:
        raise EngineError(f"{model} has no native sound; set SHOTCRAFT_SEEDANCE_AUDIO=false.")

    first, last = request.first_frame, request.last_frame
    if first is not None and not facts.first_frame:
        if not drop:
            raise EngineError(f"{model} cannot start from a keyframe; drop the first keyframe.")
        downgrades.append(f"first keyframe ignored: {model} cannot start from an image")
        first = None
    if last is not None and not (facts.last_frame and first is not None):
        why = "without a first frame" if facts.last_frame else "at all"
        if not drop:
            raise EngineError(f"{model} cannot end on a last keyframe {why}; drop the last "
                              "keyframe.")
        downgrades.append(f"last keyframe ignored: {model} cannot use one {why}")
        last = None
    refs: list[Path] = []
    wanted = [c for c in request.characters if c.references]
    if wanted and (first is not None or last is not None):
        downgrades.append("character references ignored: Seedance takes them only without "
                          "keyframes, and the keyframe already sets the look")
    elif wanted and not facts.references:
        if not drop:
            raise EngineError(f"{model} cannot use character reference images; use Seedance 2.0 "
                              "or drop the references.")
        downgrades.append(f"character references ignored: {model} takes none")
    elif wanted:
        refs, left = fair_references(request, facts.references)
        if left:
            downgrades.append(f"only {len(refs)} reference images sent (Seedance takes at most "
                              f"{facts.references}): left out {', '.join(left)}")
    if first is None and not refs and not facts.text:
        raise EngineError(f"{model} cannot draw from text alone; give the shot a first keyframe.")

    prompt, cuts, seconds = shot_prompt(request)
    low, high = facts.durations
    if seconds > high:
        if not drop:
            raise EngineError(f"Shot is {request.num_frames / request.fps:.1f} s but {model} draws "
                              f"at most {high} s; shorten it or pass --allow-downgrade.")
        downgrades.append(f"drawn at {high} s, the longest {model} draws")
        seconds = high
        cuts = [c for c in cuts if c < high * FPS]
    seconds = max(low, seconds)

    content: list[dict[str, Any]] = [{"type": "text", "text": prompt}]
    params: dict[str, Any] = {}
    for role, path in (("first_frame", first), ("last_frame", last)):
        if path is not None:
            content.append({"type": "image_url", "image_url": {"url": image_url(path)},
                            "role": role})
            params[f"{role}_sha256"] = sha256_file(path)
    for path in refs:
        content.append({"type": "image_url", "image_url": {"url": image_url(path)},
                        "role": "reference_image"})
    if refs:
        params["reference_sha256"] = [sha256_file(p) for p in refs]
    body: dict[str, Any] = {"model": model, "content": content, "ratio": request.aspect,
                            "resolution": s.resolution, "duration": seconds,
                            "watermark": s.watermark}
    if facts.audio:
        body["generate_audio"] = s.audio
    width, height = frame_size(model, s.resolution, request.aspect)
    params.update(model=model, prompt=prompt, ratio=request.aspect, resolution=s.resolution,
                  duration=seconds, generate_audio=bool(body.get("generate_audio")),
                  shot_seconds=round(request.num_frames / request.fps, 3), region=s.region)
    if request.sequence:
        params["sequence"] = [p.shot_id for p in request.sequence]
        params["cuts"] = cuts
    cost = task_cost(model, s.resolution, request.aspect, seconds, bool(body.get("generate_audio")),
                     s.cost_table)
    return SeedancePlan(body, params, width, height, seconds, cuts, downgrades, cost)
