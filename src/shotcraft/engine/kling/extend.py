"""Video extension (`/v1/videos/video-extend`): a shot longer than one Kling task, as one take.

Kling's reference (the official Chinese page, as copied in github.com/betasecond/KlingDemo
`APIDoc.md`, section 视频延长; the same fields at docs.kkiai.com and doc.ezmodel.cloud):

- one extension adds 4 to 5 s to a text2video / image2video result (or to an earlier
  extension); the model and mode cannot be chosen, they are the source video's;
- an extended video may be extended again, up to 3 minutes in all;
- the body is `video_id` (required), `prompt`, `negative_prompt`, `cfg_scale` [0, 1] and
  `callback_url`; there is no `external_task_id`;
- the result's `videos[0].id` is "the complete video after extension" and its `duration` the
  total length, so the last extension's video *is* the take: nothing is concatenated;
- a query of the task shows `task_info.parent_video` {id, url, duration}, and the list query
  `GET /v1/videos/video-extend?pageNum=&pageSize=` (pageSize up to 500) lists them.

Kling's videos of kling-v1-5 cannot be extended (github.com/DMXAPI/DMXAPI-docs,
docs/zh/models/kling/api/video-extend.md, a copy of the same page dated 2025-05-09).
Assumed (see the README): which other models can extend (EXTENDABLE) and what one costs.
"""

from __future__ import annotations

import math

from shotcraft.engine.kling.models import task_cost

ENDPOINT = "video-extend"
EXTEND_MIN_SECONDS = 4  # "单次可延长4~5s": one extension adds 4 to 5 seconds
EXTEND_MAX_SECONDS = 5
MAX_TOTAL_SECONDS = 180  # an extended video may not pass 3 minutes
# what may be extended: text2video and image2video results and earlier extensions (not
# multi-image2video results, which the reference does not list)
EXTENDS_FROM = frozenset({"text2video", "image2video", ENDPOINT})
# Which models' videos can be extended. Documented: not kling-v1-5 ("暂不支持对V1.5模型生成的
# 视频进行延长", github.com/DMXAPI/DMXAPI-docs docs/zh/models/kling/api/video-extend.md).
# ASSUMED: kling-v1 and kling-v1-6 can (the reference names no other exception); the 2.x
# models are left out until a document says they can (refusing costs nothing, an extension
# rejected after a paid clip would).
EXTENDABLE = frozenset({"kling-v1", "kling-v1-6"})


def extensions_needed(shot_seconds: float, clip_seconds: int) -> int:
    """How many extensions bring a `clip_seconds` clip to at least `shot_seconds`, counting
    each at its documented minimum (4 s) so the take is never short."""
    missing = shot_seconds - clip_seconds
    if missing <= 1e-6:
        return 0
    return math.ceil(missing / EXTEND_MIN_SECONDS - 1e-9)


def extension_cost(model: str, mode: str, overrides: dict[str, float]) -> float | None:
    """Kling units for one extension: `model/mode/extend` in the overrides, else (ASSUMED) the
    price of a 5 s task of the same model and mode."""
    key = f"{model}/{mode}/extend"
    if key in overrides:
        return overrides[key]
    return task_cost(model, mode, EXTEND_MAX_SECONDS, overrides)


def stitched_seconds(clip_seconds: int, extensions: int) -> tuple[float, float]:
    """The shortest and longest total a clip plus `extensions` extensions can come back as."""
    return (float(clip_seconds + extensions * EXTEND_MIN_SECONDS),
            float(clip_seconds + extensions * EXTEND_MAX_SECONDS))
