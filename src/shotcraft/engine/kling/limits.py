"""Kling's fixed limits on what a video, still or lip-sync task may be sent."""

from __future__ import annotations

MAX_PROMPT = 2500  # Kling's limit for prompt and negative_prompt, in characters
MAX_IMAGE_BYTES = 10 * 1024 * 1024  # Kling refuses reference images over 10 MB
# multi-image2video takes 1-4 images in image_list (kling-v1-6): Kling's multiImageToVideo page,
# as linked from docs.yutoai.net and repeated by doc.ezmodel.cloud and docs.anyfast.ai (README)
MAX_REFERENCES = 4
ASPECTS = ("16:9", "9:16", "1:1")
