"""Kling elements: a character's reference images kept by Kling as one reusable subject.

An element is made once through `POST /v1/general/advanced-custom-elements` (an async task,
polled at `GET /v1/general/advanced-custom-elements/{task_id}` until `task_status` is `succeed`;
the id is `data.task_result.elements[0].element_id`, a 64-bit integer) and then named by id in
any number of video tasks (`element_list` of `/v1/videos/omni-video`). Sources: README, "kling
(cloud)"; the project (not this module) keeps the ids and decides when to make one again.
"""

from __future__ import annotations

import base64
import hashlib
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from shotcraft.engine.protocol import CharacterRef
from shotcraft.providers.kling.auth import BearerToken
from shotcraft.providers.kling.settings import KlingSettings
from shotcraft.providers.kling.tasks import KlingApi, LostAnswer, Stop
from shotcraft.shots.errors import EngineError

try:  # the `kling` extra
    import httpx
except ImportError:  # pragma: no cover - exercised only on installs without the extra
    httpx = None  # type: ignore[assignment]

ELEMENTS_PATH = "/v1/general/advanced-custom-elements"
MAX_NAME = 20  # element_name "must not exceed 20 characters"
MAX_DESCRIPTION = 100  # element_description "must not exceed 100 characters"
# element_image_list: one frontal_image and 1 to 3 refer_images that differ from it
MIN_IMAGES, MAX_IMAGES = 2, 4
CHARACTER_TAG = "o_102"  # tag_list ids: o_102 is 人物 (character)


def element_images(character: CharacterRef) -> list[Path]:
    """The references an element is made from: the first four (the first is the frontal one)."""
    return list(character.references[:MAX_IMAGES])


def can_make_element(character: CharacterRef) -> bool:
    """Whether the character has enough references for an element (a frontal one and one more)."""
    return len(character.references) >= MIN_IMAGES


def region_of(base_url: str) -> str:
    """The API host an element was made on; elements belong to one account and region."""
    return urlsplit(base_url).hostname or base_url


def element_body(character: CharacterRef) -> dict[str, Any]:
    """The create-element request for a character (images as base64, without a data: prefix)."""
    images = [base64.b64encode(Path(p).read_bytes()).decode("ascii") for p in element_images(character)]
    digest = hashlib.sha256("".join(character.reference_hashes).encode()).hexdigest()[:12]
    return {
        "element_name": character.name[:MAX_NAME],
        "element_description": (character.description or character.name)[:MAX_DESCRIPTION],
        "reference_type": "image_refer",
        "element_image_list": {"frontal_image": images[0],
                               "refer_images": [{"image_url": i} for i in images[1:]]},
        "tag_list": [{"tag_id": CHARACTER_TAG}],
        "external_task_id": f"shotcraft-element-{digest}-{int(time.time())}",
    }


def make_elements(settings: KlingSettings, token: BearerToken,
                  characters: list[CharacterRef]) -> dict[str, str]:
    """Make one element per character that has enough references; `{name: element id}`.

    Raises EngineError (one sentence) when Kling refuses the keys or an element; elements are
    free to make and to use, so a lost answer is simply asked again.
    """
    made: dict[str, str] = {}
    with httpx.Client(timeout=settings.request_timeout) as client:
        api = KlingApi(settings, client, token=token)
        for character in characters:
            if not can_make_element(character):
                continue
            data = _call(api, "POST", ELEMENTS_PATH, element_body(character), who=character.name)
            task_id = str(data.get("task_id") or "")
            if not task_id:
                raise EngineError(f"Kling made no element task for {character.name}.")
            made[character.name] = _wait(api, task_id, character.name)
    return made


def _wait(api: KlingApi, task_id: str, who: str) -> str:
    try:
        data = api.poll(f"{ELEMENTS_PATH}/{task_id}", None)
    except Stop as stop:
        raise EngineError(f"Kling's element of {who} was not ready: {stop.message}") from None
    if data.get("task_status") == "failed":
        raise EngineError(f"Kling could not make an element of {who}: "
                          f"{data.get('task_status_msg') or 'no reason given'}.")
    elements = (data.get("task_result") or {}).get("elements") or []
    element = elements[0] if elements else {}
    if element.get("element_id") is None or element.get("status", "succeed") != "succeed":
        raise EngineError(f"Kling finished the element task of {who} without an element.")
    return str(element["element_id"])


def _call(api: KlingApi, method: str, path: str, body: dict[str, Any] | None, *,
          who: str) -> dict[str, Any]:
    """One call with bounded retries on 429/5xx/timeouts (an element is free: a lost answer
    is asked again); `data`, or EngineError in one sentence (a refused key: the same sentence
    as a refused video task, since elements are made first)."""
    try:
        return api.call(method, path, body, what=f"the element of {who}")
    except LostAnswer:
        return api.call(method, path, body, what=f"the element of {who}")
    except Stop as stop:
        raise EngineError(stop.message) from None
