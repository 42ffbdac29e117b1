"""Normalise one clip to the episode format, once: cached by the hash of what it is made of.

The cache key covers the take's content hash (or the slate text), the preset, the length, the
fit, the burned subtitles and the split points, so re-exporting after one pick changes
re-encodes one clip. Files are written under a temporary name in the cache folder, probed
(video stream, size, exact frame count) and only then renamed into place, with a manifest
`clip-KEY.json` recording each segment's size and frames. A cached clip is reused only when its
size still matches the manifest; anything else (truncated by a full disk, damaged, no manifest
and failing a probe) is discarded and rebuilt. One lock per key (`.lock-KEY`) makes concurrent
exports that need the same clip encode it once.
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
from shotcraft.shots.errors import AssemblyError, MediaError
from shotcraft.shots.files import atomic_target, file_lock, remove_stale_temps, temp_folder
from shotcraft.shots.media import cjk_font, probe, sha256_file

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
    if clip.source_start_frames and clip.media is not None:
        recipe["start"] = clip.source_start_frames  # only when trimmed: older cache keys hold
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
    bounds = [0, *split_at, clip.duration_frames]
    frames = [end - start for start, end in zip(bounds, bounds[1:], strict=False)]
    manifest = cache_dir / f"clip-{key}.json"
    try:
        with file_lock(cache_dir / f".lock-{key}", cancel=cancel):
            if verified_cache_hit(finals, frames, manifest, preset):
                if stats:
                    stats.count(hit=True)
                return finals
            if stats:
                stats.count(hit=False)
            _encode(clip, preset, cache_dir, key, finals, frames, manifest, fit, subtitle_fragment,
                    split_at, cancel)
    except InterruptedError:
        raise AssemblyError(f"export cancelled while waiting to normalise shot {clip.shot_id}.") from None
    return finals


def _encode(clip, preset, cache_dir, key, finals, frames, manifest, fit, fragment, split_at,
            cancel) -> None:
    """Encode every segment, verify each, then rename them into place and write the manifest."""
    for stale in (*finals, manifest):
        stale.unlink(missing_ok=True)
        remove_stale_temps(stale)
    # unique per writer, so parallel exports sharing a cache never collide
    with temp_folder(cache_dir / f"clip-{key}") as tmp:
        out = tmp / ("part-%d.mp4" if split_at else "part-0.mp4")
        args = _clip_args(clip, preset, out, tmp, fit, fragment, split_at)
        run(args, what=f"normalising shot {clip.shot_id}", total_frames=clip.duration_frames,
            cancel=cancel)
        parts = [tmp / f"part-{i}.mp4" for i in range(len(finals))]
        if any(not p.is_file() for p in parts):
            raise AssemblyError(f"ffmpeg did not write every segment of shot {clip.shot_id}.")
        for part, expected in zip(parts, frames, strict=True):
            problem = clip_problem(part, preset, frames=expected)
            if problem:
                raise AssemblyError(f"normalising shot {clip.shot_id} went wrong: {problem}.")
        for part, final in zip(parts, finals, strict=True):
            os.replace(part, final)
        write_manifest(manifest, finals, frames)


def clip_problem(path: Path, preset: Preset, *, frames: int, audio: bool = False) -> str | None:
    """What is wrong with a normalised clip (or episode) at `path`, or None when it is sound.

    Sound means: ffprobe reads it, it has a video stream of the preset's size whose packet count
    is exactly `frames` and whose duration matches, and an audio stream exactly when `audio`.
    """
    try:
        info = probe(path)
    except MediaError as exc:
        return str(exc).rstrip(".")
    if (info.width, info.height) != (preset.width, preset.height):
        return f"it is {info.width}×{info.height}, not {preset.width}×{preset.height}"
    if info.frames != frames:
        return f"it has {info.frames} of {frames} frames"
    if abs(info.duration - frames / preset.fps) > 1.5 / preset.fps:
        return f"it lasts {info.duration:.3f} s, not {frames / preset.fps:.3f} s"
    if info.has_audio != audio:
        return "its audio track is missing" if audio else "it has an unexpected audio track"
    return None


def verified_cache_hit(finals: list[Path], frames: list[int], manifest: Path, preset: Preset) -> bool:
    """Whether the cached files are the ones verified when written; a damaged entry is deleted.

    Cheap: sizes against the manifest written after verification (no probe); only an entry
    without a readable manifest is probed.
    """
    if not all(path.is_file() for path in finals):
        return False
    try:
        recorded = json.loads(manifest.read_text(encoding="utf-8"))["segments"]
        sound = [(s["size"], s["frames"]) for s in recorded] == [
            (p.stat().st_size, f) for p, f in zip(finals, frames, strict=True)
        ] and all(p.stat().st_size > 0 for p in finals)
    except (OSError, ValueError, KeyError, TypeError):
        # no readable manifest (an older cache): one probe per segment decides
        sound = all(clip_problem(p, preset, frames=f) is None
                    for p, f in zip(finals, frames, strict=True))
        if sound:
            write_manifest(manifest, finals, frames)
    if not sound:
        for stale in (*finals, manifest):
            stale.unlink(missing_ok=True)
    return sound


def write_manifest(manifest: Path, finals: list[Path], frames: list[int]) -> None:
    """Record the verified files' sizes and frame counts (atomically, after they are in place)."""
    record = {"v": CACHE_VERSION, "segments": [
        {"name": p.name, "size": p.stat().st_size, "frames": f}
        for p, f in zip(finals, frames, strict=True)
    ]}
    with atomic_target(manifest) as temp:
        temp.write_text(json.dumps(record), encoding="utf-8")


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
        split_at=split_at, start_frame=0 if still else clip.source_start_frames,
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
