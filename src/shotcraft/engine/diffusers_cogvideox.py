"""CogVideoX image-to-video (CogVideoXImageToVideoPipeline): first frame → clip.

First frame only: the pipeline has no last-frame input, so the engine declares
`last_frame=False` and build_request refuses a last keyframe before any work starts.
Batching trap: `num_videos_per_prompt=N` silently returns one video; a list of N prompts with a
list of N images and N generators draws N takes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from shotcraft.engine.diffusers_common import VideoJob, generators, to_uint8


def draw(pipe: Any, job: VideoJob) -> np.ndarray:
    """(B, F, H, W, 3) uint8, one clip per seed of `job`."""
    n = len(job.seeds)
    assert job.first is not None, "CogVideoX I2V needs a first frame"
    out = pipe(
        image=[job.first] * n, prompt=[job.prompt] * n, negative_prompt=[job.negative] * n,
        generator=generators(job.seeds, job.device), **job.common_kwargs(),
    )
    return to_uint8(out.frames)
