"""The content-addressed take store: validate a file, then move it in under its hash."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from shotcraft.projects.paths import Layout
from shotcraft.shots.errors import MediaError
from shotcraft.shots.files import atomic_target
from shotcraft.shots.media import MediaInfo, extract_frame, probe, sha256_file


def validate_video(
    path: Path, *, width: int, height: int, fps: float, frames: int, tolerance: int = 1
) -> MediaInfo:
    """Probe a rendered clip and refuse it unless it is what the engine said it delivers."""
    info = probe(path)
    if info.is_image:
        raise MediaError(f"{path.name} is a still image, expected a video.")
    if (info.width, info.height) != (width, height):
        raise MediaError(f"{path.name} is {info.width}×{info.height}, expected {width}×{height}.")
    if abs(info.fps - fps) > 0.01:
        raise MediaError(f"{path.name} plays at {info.fps:g} fps, expected {fps:g}.")
    if abs(info.frames - frames) > tolerance:
        raise MediaError(f"{path.name} has {info.frames} frames, expected {frames}.")
    return info


def validate_still(path: Path, *, width: int, height: int) -> MediaInfo:
    info = probe(path)
    if not info.is_image:
        raise MediaError(f"{path.name} is not an image, expected a keyframe still.")
    if (info.width, info.height) != (width, height):
        raise MediaError(f"{path.name} is {info.width}×{info.height}, expected {width}×{height}.")
    return info


def store_file(layout: Layout, source: Path, *, move: bool) -> tuple[Path, str]:
    """Put a finished file into media/takes/<aa>/<sha256><suffix>; returns (path, sha256).

    The file lands under a temp name in the store and is renamed into place, so the store
    never holds a partial file under a content name.
    """
    digest = sha256_file(source)
    target = layout.takes / digest[:2] / f"{digest}{source.suffix.lower()}"
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        if move:
            source.unlink(missing_ok=True)
        return target, digest
    # a full disk leaves a partial copy under the temp name only, and it is removed
    with atomic_target(target) as temp:
        if move:
            try:
                os.replace(source, temp)
            except OSError:  # another filesystem
                shutil.copyfile(source, temp)
                source.unlink(missing_ok=True)
        else:
            shutil.copyfile(source, temp)
    return target, digest


def frame_of(layout: Layout, media: Path, position: str) -> Path:
    """The first/middle/last frame of a stored take as PNG, extracted once and cached."""
    out = layout.frames / f"{media.stem}-{position}.png"
    if not out.exists():
        with atomic_target(out) as temp:
            extract_frame(media, temp, position=position)
    return out
