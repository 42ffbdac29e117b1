"""Small renditions of a take for screens that stream it: a poster frame and a proxy clip.

Made once with ffmpeg and cached under `cache/review/`, named after the take's content hash
(its file in `media/takes/` is content-addressed, so a rendition never goes stale). A poster is
a JPEG of the take's middle frame, `POSTER_HEIGHT` px tall; a proxy is an H.264/AAC MP4 with
its index at the front (it starts playing before it has all arrived), `PROXY_HEIGHT` px tall,
that a phone plays as easily as a laptop. Each is written under a temp name and renamed, one
maker at a time per file (a lock), so a reader sees a whole file or none.
"""

from __future__ import annotations

import re
from pathlib import Path

from shotcraft.projects.paths import Layout
from shotcraft.shots import ffmpeg
from shotcraft.shots.errors import MediaError, ProjectError
from shotcraft.shots.files import atomic_target, file_lock
from shotcraft.shots.media import probe

POSTER_HEIGHT = 480
PROXY_HEIGHT = 640
KINDS = ("poster", "proxy")
_HASH = re.compile(r"^[0-9a-f]{16,128}$")
_IMAGES = {".png", ".jpg", ".jpeg", ".webp", ".bmp"}


def rendition_path(layout: Layout, media: Path, kind: str) -> Path:
    """Where the `kind` rendition ("poster" or "proxy") of a stored take lives."""
    if kind not in KINDS:
        raise ValueError(f"no rendition {kind!r}")
    if not _HASH.match(media.stem):
        raise ProjectError(f"{media.name} is not a stored take (its name is not a content hash).")
    suffix = ".jpg" if kind == "poster" else ".mp4"
    return layout.cache / "review" / f"{media.stem}-{kind}{suffix}"


def rendition(layout: Layout, media: Path, kind: str, *, make: bool = True) -> Path | None:
    """The `kind` rendition of the stored take `media`, made now if missing (None when missing
    and not `make`). A still's proxy is the still itself, as a poster-sized JPEG."""
    if media.suffix.lower() in _IMAGES:
        kind = "poster"
    path = rendition_path(layout, media, kind)
    if path.is_file():
        return path
    if not make:
        return None
    with file_lock(path.with_name(f".lock-{path.name}")):
        if not path.is_file():  # another maker finished it while this one waited
            with atomic_target(path) as temp:
                _make(media, kind, temp)
    return path


def _make(media: Path, kind: str, out: Path) -> None:
    common = ["-v", "error", "-nostdin", "-y"]
    if kind == "poster":
        info = probe(media, count_frames=False)
        seek = ["-ss", f"{info.duration / 2:.3f}"] if info.duration > 0 and not info.is_image else []
        args = [*common, *seek, "-i", str(media), "-frames:v", "1", "-an",
                "-vf", f"scale=-2:'min({POSTER_HEIGHT},ih)'", "-q:v", "5", "-f", "mjpeg", str(out)]
        what = f"making the poster of {media.name}"
    else:
        args = [*common, "-i", str(media), "-map", "0:v:0", "-map", "0:a:0?",
                "-vf", f"scale=-2:'min({PROXY_HEIGHT},ih)'", "-c:v", "libx264",
                "-preset", "veryfast", "-crf", "28", "-pix_fmt", "yuv420p",
                "-c:a", "aac", "-b:a", "64k", "-movflags", "+faststart", "-f", "mp4", str(out)]
        what = f"making the proxy of {media.name}"
    ffmpeg.run(args, what=what, error=MediaError)
    if out.stat().st_size == 0:
        raise MediaError(f"ffmpeg wrote nothing while {what}.")
