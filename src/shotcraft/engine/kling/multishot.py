"""Several shots as one kling-v3 task: `multi_shot` with a custom `multi_prompt` shot list.

Each shot is given whole seconds (at least 1: Kling's shot durations are whole numbers), rounded
so the cuts fall as near the planned boundaries as whole seconds allow; the task's `duration` is
their sum (3-15 s). Sources and what was assumed: the stand-in's docstring
(tests/engine/kling_server.py, "Multi-shot").
"""

from __future__ import annotations

from typing import Any

from shotcraft.engine.kling.camera import move_words
from shotcraft.engine.kling.limits import ASPECTS
from shotcraft.engine.kling.models import ModelCaps, task_cost
from shotcraft.engine.kling.planner import TaskPlan, drawn_aspect, encode_image, trim_prompt
from shotcraft.engine.protocol import RenderRequest
from shotcraft.providers.kling.settings import KlingSettings
from shotcraft.shots.errors import EngineError
from shotcraft.shots.media import sha256_file
from shotcraft.shots.models import Move

MULTI_SHOT_MODELS = frozenset({"kling-v3"})
MAX_SHOTS = 6
MAX_SHOT_PROMPT = 512  # ASSUMED per-shot prompt limit


def shot_seconds(frames: list[int], fps: int) -> list[int]:
    """Whole seconds per shot: each boundary rounded to the nearest second, at least 1 apart."""
    out, at, done = [], 0, 0
    for count in frames:
        at += count
        end = max(done + 1, round(at / fps))
        out.append(end - done)
        done = end
    return out


def plan_multi_shot(request: RenderRequest, s: KlingSettings, caps: ModelCaps) -> TaskPlan:
    """The kling-v3 task drawing `request.sequence` as one clip; EngineError in one sentence."""
    model, mode = s.model_name, s.mode
    if model not in MULTI_SHOT_MODELS:
        raise EngineError(f"{model} draws one shot per task; set SHOTCRAFT_KLING_MODEL_NAME="
                          "kling-v3 to draw a sequence.")
    if request.aspect not in ASPECTS:
        raise EngineError(f"Kling cannot draw {request.aspect}; use 9:16, 16:9 or 1:1.")
    parts = request.sequence
    if len(parts) > MAX_SHOTS:
        raise EngineError(f"Kling draws at most {MAX_SHOTS} shots as one clip; this sequence has "
                          f"{len(parts)}.")
    if request.last_frame is not None:
        raise EngineError("Kling's multi-shot cannot end on a last keyframe; drop it from the "
                          "last shot of the sequence.")
    seconds = shot_seconds([p.num_frames for p in parts], request.fps)
    total = sum(seconds)
    if total > 15:
        raise EngineError(f"the sequence is {total} s; Kling's multi-shot draws at most 15 s.")
    if total < 3:
        seconds[-1] += 3 - total
        total = 3
    downgrades: list[str] = []
    shots: list[dict[str, Any]] = []
    for index, (part, length) in enumerate(zip(parts, seconds, strict=True), 1):
        text = part.prompt.rstrip()
        if part.camera.move is not Move.STATIC:
            text = f"{text}. {move_words(part.camera)}."
        cut = trim_prompt(text, MAX_SHOT_PROMPT)
        if cut != text:
            downgrades.append(f"shot {part.shot_id}'s prompt trimmed to {MAX_SHOT_PROMPT} characters")
        shots.append({"index": index, "prompt": cut, "duration": str(length)})
        planned = part.num_frames / request.fps
        if abs(length - planned) >= 0.5:
            downgrades.append(f"shot {part.shot_id} drawn at {length} s (planned {planned:.1f} s): "
                              "Kling's shots are whole seconds")
    body: dict[str, Any] = {"model_name": model, "mode": mode, "duration": str(total),
                            "multi_shot": True, "shot_type": "customize", "multi_prompt": shots}
    if request.negative_prompt:
        body["negative_prompt"] = trim_prompt(request.negative_prompt)
    endpoint = "text2video"
    params: dict[str, Any] = {}
    if request.first_frame is not None:
        endpoint = "image2video"
        body["image"] = encode_image(request.first_frame)
        params["image_sha256"] = sha256_file(request.first_frame)
    else:
        body["aspect_ratio"] = request.aspect
    if caps.sound:
        body["sound"] = "on" if s.sound == "on" and mode in caps.sound else "off"
    if s.callback_url:
        body["callback_url"] = s.callback_url
    fps = 24  # kling-v3 (models.NATIVE)
    ends = [sum(seconds[: i + 1]) for i in range(len(seconds))]
    params.update({k: v for k, v in body.items() if k not in ("image", "callback_url")},
                  endpoint=endpoint, duration=total, aspect_ratio=request.aspect,
                  sequence=[p.shot_id for p in parts], cuts=[e * fps for e in ends[:-1]],
                  shot_seconds=seconds, seed_used=False)
    cost = task_cost(model, mode, total, s.cost_table, sound=body.get("sound") == "on")
    aspect = drawn_aspect(request.first_frame) if endpoint == "image2video" else request.aspect
    return TaskPlan(endpoint, body, params, downgrades, cost, aspect=aspect)
