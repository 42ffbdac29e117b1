"""A shot whose characters are Kling elements, as one `omni-video` task (model kling-video-o1).

`POST /v1/videos/omni-video` takes `element_list: [{"element_id": <int64>}]` and names each
element in the prompt as `<<<element_N>>>` (1-based, in list order); characters that have
references but no element go in `image_list: [{"image_url": <url or base64>}]` as
`<<<image_N>>>`. Elements and images together: at most 7 (no reference video). The omni
endpoint has no `negative_prompt`, `cfg_scale` or `camera_control` field; the camera move goes
into the prompt in words. Sources: README, "kling (cloud)".
"""

from __future__ import annotations

from typing import Any

from shotcraft.engine.kling.camera import move_words
from shotcraft.engine.kling.limits import ASPECTS, MAX_PROMPT
from shotcraft.engine.kling.models import FRAME_SIZES, task_cost
from shotcraft.engine.kling.planner import TaskPlan, encode_image, trim_prompt
from shotcraft.engine.protocol import RenderRequest
from shotcraft.providers.kling.settings import KlingSettings
from shotcraft.shots.errors import EngineError
from shotcraft.shots.media import sha256_file
from shotcraft.shots.models import Move

OMNI_ENDPOINT = "omni-video"
OMNI_MODEL = "kling-video-o1"  # the only model_name omni-video takes
OMNI_DURATIONS = (5, 10)  # 3-10 s in general, but text- and first-frame-to-video only 5 and 10
MAX_INPUTS = 7  # elements + images, without a reference video
OMNI_FPS = 24  # ASSUMED: no published frame rate for kling-video-o1
OMNI_LINES = {"std": 720, "pro": 1080}  # std: 720p, pro: 1080p


def wants_omni(request: RenderRequest) -> bool:
    """Whether the shot goes through omni-video: a character in frame has an element and no
    keyframe sets the look (keyframed shots keep image2video)."""
    return (any(c.element_id for c in request.characters)
            and request.first_frame is None and request.last_frame is None)


def plan_omni(request: RenderRequest, settings: KlingSettings) -> TaskPlan:
    """The omni-video TaskPlan for `request`; EngineError in one sentence if it cannot be drawn."""
    if request.aspect not in ASPECTS:
        raise EngineError(f"Kling cannot draw {request.aspect}; use 9:16, 16:9 or 1:1.")
    mode = settings.mode
    downgrades: list[str] = []
    seconds = request.num_frames / request.fps
    duration = next((d for d in OMNI_DURATIONS if d >= seconds - 1e-6), OMNI_DURATIONS[-1])
    if seconds > duration + 1e-6:
        downgrades.append(f"shot is {seconds:.1f} s; {OMNI_MODEL} draws at most {duration} s")

    elements: list[dict[str, Any]] = []
    images: list[dict[str, Any]] = []
    image_hashes: list[str] = []
    cast: list[str] = []
    for character in request.characters:
        if len(elements) + len(images) >= MAX_INPUTS:
            downgrades.append(f"{character.name} left out of the references: omni-video takes "
                              f"at most {MAX_INPUTS} elements and images")
            continue
        if character.element_id:
            elements.append({"element_id": int(character.element_id)})
            cast.append(f"{character.name} is <<<element_{len(elements)}>>>")
        elif character.references:
            images.append({"image_url": encode_image(character.references[0])})
            image_hashes.append(sha256_file(character.references[0]))
            cast.append(f"{character.name} is <<<image_{len(images)}>>>")

    prompt = request.prompt.rstrip()
    if request.camera.move is not Move.STATIC:
        joiner = " " if not prompt or prompt[-1] in ".!?。！？…" else ". "
        prompt = f"{prompt}{joiner}{move_words(request.camera)}.".lstrip()
        downgrades.append("camera move put into the prompt: omni-video has no camera control")
    tail = (" " + "; ".join(cast) + ".") if cast else ""
    trimmed = trim_prompt(prompt, MAX_PROMPT - len(tail))
    if trimmed != prompt:
        downgrades.append(f"prompt trimmed from {len(prompt)} to {len(trimmed)} characters")
    if request.negative_prompt:
        downgrades.append("negative prompt left out: omni-video has no negative_prompt field")

    body: dict[str, Any] = {"model_name": OMNI_MODEL, "prompt": trimmed + tail, "mode": mode,
                            "duration": str(duration), "aspect_ratio": request.aspect,
                            "element_list": elements}
    if images:
        body["image_list"] = images
    if settings.callback_url:
        body["callback_url"] = settings.callback_url
    params = {k: v for k, v in body.items() if k not in ("callback_url", "image_list")}
    params.update(endpoint=OMNI_ENDPOINT, duration=duration, aspect_ratio=request.aspect,
                  shot_seconds=round(seconds, 3), seed_used=False,
                  element_ids=[str(e["element_id"]) for e in elements])
    if image_hashes:
        params["image_list_sha256"] = image_hashes
    return TaskPlan(OMNI_ENDPOINT, body, params, downgrades,
                    task_cost(OMNI_MODEL, mode, duration, settings.cost_table), aspect=request.aspect)


def omni_format(mode: str, aspect: str) -> tuple[int, int, int]:
    """(width, height, fps) of an omni-video result: 720p in std, 1080p in pro."""
    width, height = FRAME_SIZES[OMNI_LINES[mode]][aspect]
    return width, height, OMNI_FPS
