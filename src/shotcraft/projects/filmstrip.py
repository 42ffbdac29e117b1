"""A take's filmstrip: its first, middle and last frames as small PNGs, for judging by eye.

Made when a take is scored (next to its thumbnail in `media/frames/`) and, for takes scored
before filmstrips existed, on first view. One ffmpeg decode picks the three frames by number and
scales them to `SHORT_SIDE` px on the short side: large enough to judge a face, small enough to
draw quickly. Each PNG is written under a temp name and renamed, so a crash leaves none half made.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel

from shotcraft.projects.paths import Layout
from shotcraft.shots.errors import MediaError
from shotcraft.shots.ffmpeg import FrameReader
from shotcraft.shots.files import atomic_target
from shotcraft.shots.media import MediaInfo, probe
from shotcraft.shots.models import TakeKind

if TYPE_CHECKING:
    import numpy as np

SHORT_SIDE = 360
POSITIONS = ("first", "middle", "last")


class StripFrame(BaseModel):
    """One frame of a filmstrip: where it sits in the take and its PNG."""

    position: str  # first, middle, last (or "still" for a keyframe take)
    frame: int  # frame number in the take, 0-based
    seconds: float  # when it shows, from the take's start
    path: Path


def strip_paths(layout: Layout, media: Path, *, still: bool) -> list[tuple[str, Path]]:
    """Where the filmstrip PNGs of a stored take live (whether made yet or not)."""
    positions = ("still",) if still else POSITIONS
    return [(p, layout.frames / f"{media.stem}-strip-{p}.png") for p in positions]


def frame_numbers(frames: int) -> list[int]:
    """First, middle and last frame numbers of a clip of `frames` frames."""
    last = max(0, frames - 1)
    return [0, last // 2, last]


def filmstrip(layout: Layout, media: Path, *, kind: TakeKind, fps: float | None,
              frames: int | None, info: MediaInfo | None = None,
              make: bool = True) -> list[StripFrame] | None:
    """The filmstrip of a stored take, made now if missing (None when missing and not `make`).

    `fps` and `frames` are the take's as stored; a clip whose frame count is unknown is probed.
    """
    still = kind is TakeKind.KEYFRAME or (info is not None and info.is_image) or (
        media.suffix.lower() in (".png", ".jpg", ".jpeg", ".webp"))
    paths = strip_paths(layout, media, still=still)
    if not frames and not still:
        info = info if info is not None and info.frames else probe(media, count_frames=True)
        frames, fps = info.frames, info.fps
    numbers = [0] if still else frame_numbers(frames or 1)
    rate = fps or 30.0
    strip = [StripFrame(position=p, frame=n, seconds=n / rate, path=path)
             for (p, path), n in zip(paths, numbers, strict=True)]
    if all(f.path.is_file() for f in strip):
        return strip
    if not make:
        return None
    _write(layout, media, strip, still=still)
    return strip


def _write(layout: Layout, media: Path, strip: list[StripFrame], *, still: bool) -> None:
    from PIL import Image

    images = [_decode_still(media)] if still else _decode_frames(media, [f.frame for f in strip])
    layout.frames.mkdir(parents=True, exist_ok=True)
    for frame, image in zip(strip, images, strict=True):
        # a full disk leaves half a PNG under the temp name only, and it is removed
        with atomic_target(frame.path) as temp:
            Image.fromarray(image).save(temp, format="PNG")


def _scaled(width: int, height: int) -> tuple[int, int]:
    short = min(width, height)
    scale = min(1.0, SHORT_SIDE / short) if short else 1.0
    # even sizes: ffmpeg's scaler and every image protocol are happier with them
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


def _decode_still(media: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(media) as image:
        rgb = image.convert("RGB")
        return np.asarray(rgb.resize(_scaled(rgb.width, rgb.height), Image.Resampling.LANCZOS))


def _decode_frames(media: Path, numbers: list[int]) -> list[np.ndarray]:
    """The frames `numbers` of a clip, in one decode, scaled to the filmstrip size."""
    info = probe(media, count_frames=False)
    width, height = _scaled(info.width, info.height)
    wanted = sorted(set(numbers))
    select = "+".join(f"eq(n\\,{n})" for n in wanted)
    args = ["-v", "error", "-nostdin", "-i", str(media), "-an",
            "-vf", f"select={select},scale={width}:{height}:flags=area",
            "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    reader = FrameReader(args, frame_size=width * height * 3,
                         what=f"decoding the filmstrip of {media.name}",
                         failed=f"could not decode the filmstrip of {media.name}")
    decoded = [np.frombuffer(chunk, dtype=np.uint8).reshape(height, width, 3) for chunk in reader]
    if not decoded:
        raise MediaError(f"{media.name} has no decodable frames.")
    # a clip shorter than its stored count repeats its last frame rather than losing a position
    by_number = {n: decoded[min(i, len(decoded) - 1)] for i, n in enumerate(wanted)}
    return [by_number[n] for n in numbers]
