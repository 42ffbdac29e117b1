"""A render request as one Kling task: endpoint, body, recorded params and downgrades."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from shotcraft.engine.kling.camera import APPROXIMATED, camera_control_for, move_words
from shotcraft.engine.kling.extend import (
    EXTENDABLE,
    MAX_TOTAL_SECONDS,
    extension_cost,
    extensions_needed,
)
from shotcraft.engine.kling.limits import ASPECTS, MAX_IMAGE_BYTES, MAX_PROMPT, MAX_REFERENCES
from shotcraft.engine.kling.models import ModelCaps, task_cost
from shotcraft.engine.protocol import RenderRequest
from shotcraft.providers.kling.settings import KlingSettings
from shotcraft.shots.errors import EngineError
from shotcraft.shots.media import sha256_file
from shotcraft.shots.models import Move, TakeKind


def trim_prompt(text: str, limit: int = MAX_PROMPT) -> str:
    """`text` cut to `limit` characters at the last sentence end (or word) that fits."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    ends = [m.end() for m in re.finditer(r"[.!?。！？…](\s|$)", head)]
    if ends and ends[-1] > limit // 2:
        return head[: ends[-1]].rstrip()
    cut = head.rfind(" ")
    return (head[:cut] if cut > limit // 2 else head).rstrip()


@dataclass
class TaskPlan:
    """What one take of a request sends to Kling (minus the per-take external id)."""

    endpoint: str  # text2video | image2video | multi-image2video
    body: dict[str, Any]
    params: dict[str, Any]  # recorded on the take: the body with images as hashes
    downgrades: list[str] = field(default_factory=list)
    cost: float | None = None
    aspect: str = "9:16"  # the shape Kling draws: the request's, or for image2video the image's
    extensions: int = 0  # video-extend tasks after the clip, for a shot longer than one task
    extend_body: dict[str, Any] = field(default_factory=dict)  # each one's body, less video_id


def plan_task(request: RenderRequest, settings: KlingSettings, caps: ModelCaps) -> TaskPlan:
    """The Kling request for `request`: endpoint, body, recorded params and downgrades.

    Raises EngineError, in one sentence, if the model+mode cannot draw it.
    """
    s = settings
    model, mode = s.model_name, s.mode
    who = f"{model} {mode}"
    if request.kind is not TakeKind.VIDEO:
        raise EngineError("Kling draws video takes only; draw keyframes with another engine.")
    if request.aspect not in ASPECTS:
        raise EngineError(f"Kling cannot draw {request.aspect}; use 9:16, 16:9 or 1:1.")
    downgrades: list[str] = []
    first, last = request.first_frame, request.last_frame
    refs, left_out = reference_order(request)

    drop = request.allow_downgrade  # --allow-downgrade: leave out what cannot be used, say so

    if (first or last) and not caps.image:
        if not drop:
            raise EngineError(f"{who} cannot start from a keyframe; drop the keyframes.")
        downgrades.append(f"keyframes ignored: {who} cannot start from an image")
        first = last = None
    if last is not None and not any(m == mode for m, _ in caps.last_frame):
        if not drop:
            fix = "pick pro mode" if any(True for _ in caps.last_frame) else "pick another model"
            raise EngineError(f"{who} cannot use a last frame; {fix} or drop the last keyframe.")
        downgrades.append(f"last keyframe ignored: {who} cannot use a last frame")
        last = None
    use_multi = bool(refs) and first is None and last is None
    if use_multi and not any(m == mode for m, _ in caps.multi_image):
        if not drop:
            raise EngineError(f"{who} cannot use character reference images; pick kling-v1-6 "
                              "or drop the references.")
        downgrades.append(f"character references ignored: {who} has no multi-image input")
        use_multi = False
    elif refs and not use_multi:
        downgrades.append("character references ignored: the keyframe already sets the look")
    if not (first or last or use_multi) and not caps.text:
        raise EngineError(f"{who} cannot draw from text alone; give the shot a first keyframe.")

    if last is not None:
        durations = sorted({d for m, d in caps.last_frame if m == mode})
    elif use_multi:
        durations = sorted({d for m, d in caps.multi_image if m == mode})
    else:
        durations = sorted(caps.durations)
    seconds = request.num_frames / request.fps
    duration = next((d for d in durations if d >= seconds - 1e-6), durations[-1])
    extensions = 0
    if seconds > duration + 1e-6:
        why = _cannot_extend(model, who, duration, last is not None, use_multi, seconds)
        if why is None:
            extensions = extensions_needed(seconds, duration)
        elif not drop:
            raise EngineError(f"Shot is {seconds:.1f} s but {why}; shorten the shot or pass "
                              "--allow-downgrade to draw it at that length.")
        else:
            downgrades.append(f"shot is {seconds:.1f} s; {who} draws at most {duration} s here")

    prompt = request.prompt
    camera = None
    if request.camera.move is not Move.STATIC:
        wanted = camera_control_for(request.camera)
        if wanted is not None and last is not None:
            downgrades.append(
                "camera move ignored: Kling cannot combine image_tail with camera_control"
            )
        elif wanted is not None and not use_multi and (mode, duration) in caps.camera:
            camera = wanted
            if request.camera.move in APPROXIMATED:
                downgrades.append(APPROXIMATED[request.camera.move])
        else:
            if wanted is not None:
                downgrades.append(
                    f"camera move put into the prompt: {who} has no camera control here"
                )
            prompt = prompt.rstrip()
            joiner = " " if not prompt or prompt[-1] in ".!?。！？…" else ". "
            prompt = f"{prompt}{joiner}{move_words(request.camera)}.".lstrip()
    trimmed = trim_prompt(prompt)
    if trimmed != prompt:
        downgrades.append(f"prompt trimmed from {len(prompt)} to {len(trimmed)} characters")
    negative = trim_prompt(request.negative_prompt)
    if negative != request.negative_prompt:
        downgrades.append("negative prompt trimmed to 2500 characters")

    endpoint = "multi-image2video" if use_multi else "image2video" if first or last else "text2video"
    body: dict[str, Any] = {"model_name": model, "prompt": trimmed, "mode": mode,
                            "duration": str(duration)}
    if negative:
        body["negative_prompt"] = negative
    if caps.cfg_scale and endpoint != "multi-image2video":
        body["cfg_scale"] = s.cfg_scale
    if endpoint != "image2video":
        body["aspect_ratio"] = request.aspect  # image2video takes the image's shape
    if camera is not None:
        body["camera_control"] = camera
    if caps.sound and endpoint != "multi-image2video":
        if s.sound == "on" and mode not in caps.sound:
            if not drop:
                raise EngineError(f"{who} has no native sound; set SHOTCRAFT_KLING_SOUND=off or "
                                  "pick a mode that has it.")
            downgrades.append(f"native sound left out: {who} has none")
        body["sound"] = "on" if s.sound == "on" and mode in caps.sound else "off"
    elif s.sound == "on":
        if not drop:
            raise EngineError(f"{who} has no native sound; set SHOTCRAFT_KLING_SOUND=off or pick "
                              "kling-v2-6 pro or kling-v3.")
        downgrades.append(f"native sound left out: {who} has none")
    if s.callback_url:
        body["callback_url"] = s.callback_url
    params = {k: v for k, v in body.items() if k != "callback_url"}
    params.update(endpoint=endpoint, duration=duration, aspect_ratio=request.aspect,
                  shot_seconds=round(seconds, 3), seed_used=False)
    if first is not None:
        body["image"] = encode_image(first)
        params["image_sha256"] = sha256_file(first)
    if last is not None:
        body["image_tail"] = encode_image(last)
        params["image_tail_sha256"] = sha256_file(last)
    if use_multi:
        if left_out:
            downgrades.append(
                f"only {len(refs)} of {len(refs) + len(left_out)} references sent (Kling's "
                f"multi-image2video takes at most {MAX_REFERENCES}): left out {', '.join(left_out)}")
        body["image_list"] = [{"image": encode_image(p)} for p in refs]
        params["image_list_sha256"] = [sha256_file(p) for p in refs]
    cost = task_cost(model, mode, duration, s.cost_table, sound=body.get("sound") == "on")
    extend_body: dict[str, Any] = {}
    if extensions:
        # the extension takes the clip's model and mode; only these fields are documented
        extend_body = {k: body[k] for k in ("prompt", "negative_prompt", "cfg_scale",
                                            "callback_url") if k in body}
        step = extension_cost(model, mode, s.cost_table)
        cost = None if cost is None or step is None else cost + extensions * step
        params["extensions"] = extensions
    return TaskPlan(endpoint, body, params, downgrades, cost,
                    aspect=drawn_aspect(first or last) if endpoint == "image2video" else request.aspect,
                    extensions=extensions, extend_body=extend_body)


def _cannot_extend(model: str, who: str, duration: int, tail: bool, multi: bool,
                   seconds: float) -> str | None:
    """Why a too-long shot cannot be drawn as a clip plus extensions, or None when it can."""
    if model not in EXTENDABLE:
        return f"{who} draws at most {duration} s and cannot extend a video"
    if tail:
        return "a take that must end on the last keyframe cannot be extended past it"
    if multi:
        return "Kling extends text2video and image2video videos, not multi-image2video ones"
    if seconds > MAX_TOTAL_SECONDS:
        return f"Kling extends a video to {MAX_TOTAL_SECONDS} s at most"
    return None


def reference_order(request: RenderRequest) -> tuple[list[Path], list[str]]:
    """The reference images multi-image2video gets, and the ones left out ("lin's 3rd").

    Which images fit under MAX_REFERENCES is chosen fairly — every character's first before
    anyone's second — so a crowded shot loses extra angles, never a whole character; those sent
    are ordered by the characters in frame (the shot's order), each character's together.
    """
    cast = [c for c in request.characters if c.references]
    kept = [0] * len(cast)
    budget = MAX_REFERENCES
    for depth in range(max((len(c.references) for c in cast), default=0)):
        for index, c in enumerate(cast):
            if depth < len(c.references) and budget:
                kept[index] += 1
                budget -= 1
    chosen = [p for c, n in zip(cast, kept, strict=True) for p in c.references[:n]]
    left_out = [f"{c.name}'s {_ordinal(i + 1)}" for c, n in zip(cast, kept, strict=True)
                for i in range(n, len(c.references))]
    return chosen, left_out


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def drawn_aspect(image: Path | None) -> str:
    """The aspect Kling draws image2video at: the image's orientation (it takes no aspect_ratio)."""
    if image is None:
        return "9:16"
    with Image.open(image) as img:
        width, height = img.size
    return "16:9" if width > height else "9:16" if width < height else "1:1"

# --- drawing --------------------------------------------------------------------------


def encode_image(path: Path) -> str:
    """Base64 of an image file, without a data: prefix (as Kling wants it)."""
    path = Path(path)
    if not path.is_file():
        raise EngineError(f"Keyframe image {path.name} is missing.")
    if path.stat().st_size > MAX_IMAGE_BYTES:
        raise EngineError(f"Keyframe image {path.name} is over Kling's 10 MB limit.")
    return base64.b64encode(path.read_bytes()).decode("ascii")
