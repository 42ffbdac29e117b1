"""LTX-Video (LTXConditionPipeline): text and keyframes → clip.

Keyframes become `LTXVideoCondition(image=..., frame_index=...)`: the first at frame 0, the last
at the clip's last frame (a multiple of 8, which LTX's 8k+1 frame rule guarantees). Without any
keyframe it draws from the text alone. One take per call: with conditions, a list of prompts
fails inside the pipeline, and a batched take would not equal a single run of the same seed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from shotcraft.engine.diffusers_common import VideoJob, generators, to_uint8


def conditions(job: VideoJob) -> list[Any] | None:
    """The keyframe conditions of `job`: first at 0, last at frames-1."""
    from diffusers.pipelines.ltx.pipeline_ltx_condition import LTXVideoCondition

    found = []
    if job.first is not None:
        found.append(LTXVideoCondition(image=job.first, frame_index=0))
    if job.last is not None:
        found.append(LTXVideoCondition(image=job.last, frame_index=job.frames - 1))
    return found or None


def draw(pipe: Any, job: VideoJob) -> np.ndarray:
    """(1, F, H, W, 3) uint8 for the single seed of `job`."""
    assert len(job.seeds) == 1, "LTXCondition draws one take per call"
    out = pipe(
        conditions=conditions(job), prompt=job.prompt, negative_prompt=job.negative or None,
        generator=generators(job.seeds, job.device)[0], **job.common_kwargs(),
    )
    return to_uint8(out.frames)
