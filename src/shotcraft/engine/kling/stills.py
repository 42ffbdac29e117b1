"""Keyframe stills through Kling's image generation, with a character's face as the reference.

`POST /v1/images/generations` (polled at `GET /v1/images/generations/{task_id}`; result
`task_result.images[].url`): `model_name`, `prompt`, `negative_prompt` (not with an image),
`image` (base64 without a data: prefix, or a URL), `image_reference` `subject` (the character)
or `face` (the face; the image must show exactly one, which the bible's face check guarantees
for a usable reference), `image_fidelity` [0, 1], `human_fidelity` [0, 1] (subject only),
`resolution` 1k/2k, `n` 1-9, `aspect_ratio`. kling-v1-5 is the model that takes
`image_reference` (and needs it whenever `image` is given). Sources: README, "kling (cloud)".
"""

from __future__ import annotations

import uuid
from typing import Any

from PIL import Image

from shotcraft.engine.kling.limits import ASPECTS
from shotcraft.engine.kling.planner import TaskPlan, encode_image, trim_prompt
from shotcraft.engine.kling.tasks import TaskRun
from shotcraft.engine.protocol import Progress, RenderedTake, RenderRequest
from shotcraft.providers.kling.settings import KlingSettings
from shotcraft.shots.errors import EngineError
from shotcraft.shots.media import sha256_file

STILL_ENDPOINT = "generations"  # under /v1/images
STILL_MODEL = "kling-v1-5"  # takes image_reference subject/face
STILL_REFERENCE = "face"
STILL_RESOLUTION = "1k"
DEFAULT_FIDELITY = 0.5
# ASSUMED: Kling publishes no pixel sizes for image generation; 1k is taken as 1024 px on the
# square and 720 lines on the long-side-1280 shapes. The fake server holds its own copy.
STILL_SIZES: dict[str, tuple[int, int]] = {"1:1": (1024, 1024), "16:9": (1280, 720),
                                           "9:16": (720, 1280)}


def plan_still(request: RenderRequest, settings: KlingSettings) -> TaskPlan:
    """The image-generation task for a keyframe request (one image per take)."""
    if request.aspect not in ASPECTS:
        raise EngineError(f"Kling cannot draw {request.aspect} stills; use 9:16, 16:9 or 1:1.")
    downgrades: list[str] = []
    body: dict[str, Any] = {"model_name": STILL_MODEL, "prompt": trim_prompt(request.prompt),
                            "resolution": STILL_RESOLUTION, "n": 1, "aspect_ratio": request.aspect}
    params: dict[str, Any] = {}
    cast = [c for c in request.characters if c.references]
    if cast:
        who = cast[0]
        image = who.references[0]
        fidelity = who.ip_adapter_scale if who.ip_adapter_scale is not None else DEFAULT_FIDELITY
        body.update(image=encode_image(image), image_reference=STILL_REFERENCE,
                    image_fidelity=fidelity)
        params.update(image_sha256=sha256_file(image), reference_character=who.name)
        if len(cast) > 1:
            downgrades.append(f"only {who.name}'s face sent: Kling's image generation takes one "
                              f"reference image ({', '.join(c.name for c in cast[1:])} left out)")
        if request.negative_prompt:
            downgrades.append("negative prompt left out: Kling takes none with a reference image")
    elif request.negative_prompt:
        body["negative_prompt"] = trim_prompt(request.negative_prompt)
    if settings.callback_url:
        body["callback_url"] = settings.callback_url
    params.update({k: v for k, v in body.items() if k not in ("image", "callback_url")},
                  endpoint=STILL_ENDPOINT, aspect_ratio=request.aspect)
    # costs of images are not in the cost table: unknown, never guessed
    return TaskPlan(STILL_ENDPOINT, body, params, downgrades, None, aspect=request.aspect)


class StillRun(TaskRun):
    """TaskRun for image tasks: same submit/resume/poll machinery, an image at the end."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.prefix = "/v1/images"

    def _new_state(self, take_number: int, state: dict[str, Any]) -> dict[str, Any]:
        ext = f"shotcraft-{self.request.shot_id}-k{take_number}-{uuid.uuid4().hex[:8]}"
        state.clear()
        state.update(external_task_id=ext, endpoint=self.plan.endpoint, state="submitting",
                     model_name=self.plan.body["model_name"])
        return state

    what = "still"

    def _draw(self, take_number: int, state: dict[str, Any],
              result: RenderedTake) -> RenderedTake:
        task = self._find_or_submit(take_number, state)
        result.params["external_task_id"] = state.get("external_task_id")
        result.provider = {"task_id": state["task_id"],
                           "external_task_id": state.get("external_task_id")}
        task = self._poll(take_number, state["endpoint"], state["task_id"], task)
        if task.get("task_status") == "failed":
            result.failed = f"Kling failed the task: {task.get('task_status_msg') or 'no reason given'}"
            return result
        images = (task.get("task_result") or {}).get("images") or [{}]
        if not images[0].get("url"):
            result.failed = "Kling reported success but sent no image URL."
            return result
        result.path = self._fetch_image(take_number, images[0]["url"])
        self.progress(Progress(take_number=take_number, done=1.0, message="kling: downloaded"))
        return result

    def _fetch_image(self, take_number: int, url: str) -> Any:
        """Download the image (a CDN link, no token) and keep it as PNG or JPEG, as sent."""
        stem = self.out_dir / f"{self.request.shot_id}-k{take_number}"
        got = self.api.download(url, stem.with_suffix(".image"),
                                what=f"still for take {take_number}",
                                name=f"still {take_number}", check=_not_an_image)
        with Image.open(got) as img:
            fmt = (img.format or "PNG").upper()
        return got.replace(stem.with_suffix(".jpg" if fmt == "JPEG" else ".png"))


def _not_an_image(path: Any) -> str | None:
    """None for a file PIL can read as an image, else what it should have been."""
    try:
        with Image.open(path) as img:
            img.verify()
    except Exception:  # noqa: BLE001 - PIL raises anything for a file that is not an image
        return "an image"
    return None
