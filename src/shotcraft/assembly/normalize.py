"""Normalise one clip to the episode format, once: cached by the hash of what it is made of.

The cache key covers the take's content hash (or the slate text), the preset, the length, the
fit, the burned subtitles and the split points, so re-exporting after one pick changes
re-encodes one clip. Files are written under a temporary name in the cache folder and renamed
into place, so a killed export never leaves a half-written clip that looks finished.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import textwrap
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from shotcraft.assembly import graph
from shotcraft.assembly.presets import Preset
from shotcraft.assembly.runner import run
from shotcraft.assembly.timeline import Clip
from shotcraft.shots.errors import AssemblyError
from shotcraft.shots.media import cjk_font, sha256_file

CACHE_VERSION = 1
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp"}


@dataclass
class CacheStats:
    """Counts of clips found in the cache (hits) and encoded now (misses); thread-safe."""

    hits: int = 0
    misses: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count(self, *, hit: bool) -> None:
        with self._lock:
            if hit:
                self.hits += 1
            else:
                self.misses += 1


def slate_text(clip: Clip) -> tuple[str, str]:
    """The slate's title (shot id, take state) and body (scene heading and action)."""
    title = clip.shot_id
    body = "\n".join(part for part in (clip.scene_heading, clip.action or "") if part)
    return title, body or "(no take yet)"


def cache_key(
    clip: Clip,
    preset: Preset,
    *,
    fit: str,
    subtitle_fragment: str | None,
    split_at: Sequence[int],
) -> str:
    """The content hash a normalised clip is stored under."""
    source: dict[str, object]
    if clip.media is not None:
        source = {"media": clip.media_hash or sha256_file(clip.media)}
    else:
        source = {"slate": slate_text(clip)}
    recipe = {
        "v": CACHE_VERSION,
        **source,
        "preset": preset.model_dump(),
        "frames": clip.duration_frames,
        "fit": fit,
        "subtitles": subtitle_fragment or "",
        "subtitle_files": _referenced_file_hashes(subtitle_fragment),
        "split": list(split_at),
    }
    blob = json.dumps(recipe, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(blob).hexdigest()[:32]


def _referenced_file_hashes(fragment: str | None) -> list[str]:
    # a fragment may draw text from files; their content is part of what the clip looks like
    if not fragment:
        return []
    hashes = []
    for match in re.finditer(r"textfile='?((?:[^:'\\]|\\.)+)", fragment):
        path = Path(re.sub(r"\\(.)", r"\1", match.group(1)))
        hashes.append(sha256_file(path) if path.is_file() else str(path))
    return hashes


def normalize_clip(
    clip: Clip,
    preset: Preset,
    cache_dir: Path,
    *,
    fit: str = "pad",
    subtitle_fragment: str | None = None,
    stats: CacheStats | None = None,
    cancel: threading.Event | None = None,
) -> Path:
    """The clip as exactly `duration_frames` frames of the preset (video only), from the cache."""
    return normalize_segments(
        clip, preset, cache_dir, fit=fit, subtitle_fragment=subtitle_fragment, stats=stats,
        cancel=cancel,
    )[0]


def normalize_segments(
    clip: Clip,
    preset: Preset,
    cache_dir: Path,
    *,
    split_at: Sequence[int] = (),
    fit: str = "pad",
    subtitle_fragment: str | None = None,
    stats: CacheStats | None = None,
    cancel: threading.Event | None = None,
) -> list[Path]:
    """The normalised clip cut at `split_at` frames into separately playable segments.

    One encode produces every segment (keyframes forced at the cuts); a crossfade export uses
    them to re-render only the frames that overlap a neighbour.
    """
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    key = cache_key(clip, preset, fit=fit, subtitle_fragment=subtitle_fragment, split_at=split_at)
    count = len(split_at) + 1
    finals = [cache_dir / f"clip-{key}.mp4"] if not split_at else [
        cache_dir / f"clip-{key}-{i}.mp4" for i in range(count)
    ]
    if all(path.is_file() for path in finals):
        if stats:
            stats.count(hit=True)
        return finals
    if stats:
        stats.count(hit=False)
    # unique per process and thread, so parallel exports sharing a cache never collide
    tmp = cache_dir / f".tmp-{key}-{os.getpid()}-{threading.get_ident()}"
    tmp.mkdir(exist_ok=True)
    try:
        out = tmp / ("part-%d.mp4" if split_at else "part-0.mp4")
        args = _clip_args(clip, preset, out, tmp, fit, subtitle_fragment, split_at)
        run(args, what=f"normalising shot {clip.shot_id}", total_frames=clip.duration_frames,
            cancel=cancel)
        parts = [tmp / f"part-{i}.mp4" for i in range(count)]
        missing = [p.name for p in parts if not p.is_file()]
        if missing:
            raise AssemblyError(f"ffmpeg did not write every segment of shot {clip.shot_id}.")
        for part, final in zip(parts, finals, strict=True):
            os.replace(part, final)
    finally:
        for leftover in tmp.glob("*"):
            leftover.unlink(missing_ok=True)
        tmp.rmdir()
    return finals


def _clip_args(
    clip: Clip,
    preset: Preset,
    out: Path,
    tmp: Path,
    fit: str,
    fragment: str | None,
    split_at: Sequence[int],
) -> list[str]:
    frames = clip.duration_frames
    if clip.media is None:
        title, body = slate_text(clip)
        title_file, body_file = tmp / "title.txt", tmp / "body.txt"
        title_file.write_text(title, encoding="utf-8")
        body_file.write_text(_wrap(body, preset.width), encoding="utf-8")
        return graph.slate_args(
            title_file, body_file, out, preset, frames=frames, font=cjk_font(),
            subtitle_fragment=fragment, split_at=split_at,
        )
    media = Path(clip.media)
    if not media.is_file():
        raise AssemblyError(f"the take for shot {clip.shot_id} is missing: {media} does not exist.")
    still = media.suffix.lower() in IMAGE_SUFFIXES
    return graph.normalize_args(
        media, out, preset, frames=frames, fit=fit, still=still, subtitle_fragment=fragment,
        split_at=split_at,
    )


def _wrap(text: str, width_px: int) -> str:
    """Wrap slate text to the card: CJK by characters, other scripts by words."""
    size = max(10, width_px // 24)
    wide = any(unicodedata.east_asian_width(ch) in "WF" for ch in text)
    columns = max(8, int(width_px * 0.8 / size) if wide else int(width_px * 0.8 / (size * 0.55)))
    lines: list[str] = []
    for paragraph in text.splitlines():
        if wide:
            lines += [paragraph[i : i + columns] for i in range(0, len(paragraph), columns)] or [""]
        else:
            lines += textwrap.wrap(paragraph, columns) or [""]
    return "\n".join(lines[:8])
