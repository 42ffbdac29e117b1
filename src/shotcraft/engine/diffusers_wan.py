"""Wan 2.x: image-to-video (WanImageToVideoPipeline, incl. first+last frame with an FLF2V
checkpoint) and VACE (WanVACEPipeline: character references plus keyframes as masked frames).

I2V batching trap: `num_videos_per_prompt>1` crashes; a list of N prompts and N generators draws
N takes, and take i equals a single run of its seed. VACE takes one generator only, so it draws
one take per call.

VACE keyframes: the conditioning video holds the keyframe at its frame and mid-grey elsewhere;
the mask is 0 (keep) on keyframe frames and 1 (generate) everywhere else.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from shotcraft.engine.diffusers_common import VideoJob, generators, to_uint8


def last_frame_supported(model: str | None) -> bool:
    """True for an FLF2V checkpoint (its transformer config sets pos_embed_seq_len)."""
    if not model:
        return False
    config = Path(model) / "transformer" / "config.json"
    try:
        return json.loads(config.read_text(encoding="utf-8")).get("pos_embed_seq_len") is not None
    except (OSError, ValueError):
        return False


def draw_i2v(pipe: Any, job: VideoJob) -> np.ndarray:
    """(B, F, H, W, 3) uint8 from the first frame (and the last one, when given)."""
    n = len(job.seeds)
    assert job.first is not None, "Wan I2V needs a first frame"
    kwargs = job.common_kwargs()
    if job.last is not None:
        kwargs["last_image"] = job.last
    out = pipe(
        image=job.first, prompt=[job.prompt] * n, negative_prompt=[job.negative] * n,
        generator=generators(job.seeds, job.device), **kwargs,
    )
    return to_uint8(out.frames)


def vace_inputs(job: VideoJob) -> tuple[list[Image.Image], list[Image.Image]]:
    """The conditioning video and mask for VACE: keyframes kept, all other frames generated."""
    size = (job.width, job.height)
    grey = Image.new("RGB", size, (127, 127, 127))
    video = [grey] * job.frames
    mask = [Image.new("L", size, 255)] * job.frames
    keep = Image.new("L", size, 0)
    for index, image in ((0, job.first), (job.frames - 1, job.last)):
        if image is not None:
            video[index], mask[index] = image, keep
    return video, mask


def draw_vace(pipe: Any, job: VideoJob) -> np.ndarray:
    """(1, F, H, W, 3) uint8 for the single seed of `job`."""
    assert len(job.seeds) == 1, "WanVACE draws one take per call"
    video, mask = vace_inputs(job)
    out = pipe(
        video=video, mask=mask, reference_images=job.references or None, prompt=job.prompt,
        negative_prompt=job.negative or None, generator=generators(job.seeds, job.device)[0],
        **job.common_kwargs(),
    )
    return to_uint8(out.frames)
