"""剪映 (Jianying, CapCut China) drafts: the cut as a folder 剪映 opens, written by pyJianYingDraft.

A draft is a folder holding `draft_content.json` (tracks, segments, materials; times in
microseconds; also written as `draft_info.json`, the name 剪映 6 and newer read) and
`draft_meta_info.json` (what 剪映's draft list shows). This module builds one
from a `JianyingDraft` spec, which is deliberately independent of the rest of assembly: the
export plug-in turns an episode's timeline into a spec and calls `write_jianying_draft`.

- the picked takes go on the main video track, each trimmed to its shot (source range);
- dialogue goes on a text track in the episode's subtitle style (white, thin black outline,
  translucent black box, near the bottom, wrapped inside the middle 90% of the frame);
- dialogue, music and effects audio go on audio tracks of those names.

Media are linked by absolute path where they lie, or copied into `materials/` inside the draft
(`bundle=True`) and linked there. The draft is built in a temp folder beside its final place and
renamed into it, so a failed export leaves nothing half-written. An existing folder is replaced
only when shotcraft wrote it (a marker file holds the hash of what it wrote and the list of its
files) and 剪映 has not changed it since; otherwise the export stops with one sentence. Files in
it that shotcraft did not write (the director's notes, what 剪映 adds) move into the new draft;
one whose name the new draft also writes stops the export, named, before anything is written.

Versions: pyJianYingDraft (0.3.1) documents draft generation for 剪映 5.9 and for newer versions
checked on 10.8. 剪映 6 and newer save `draft_content.json` encrypted once a draft is edited in
the app; drafts written here are plain JSON and open fine, but reading back a draft the app has
re-saved needs a loader the library does not ship (`DraftFolder(..., fallback_loader=...)`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, Field

from shotcraft.shots.errors import AssemblyError
from shotcraft.shots.files import current_umask, temp_folder

MARKER = ".shotcraft-draft.json"  # in every draft folder shotcraft writes
# 5.9 reads draft_content.json; 6 and newer read draft_info.json (pyJianYingDraft PR #198,
# measured on 11.4): both get the same plain JSON
CONTENT_FILES = ("draft_content.json", "draft_info.json")
MATERIALS = "materials"  # where bundle=True copies the media, inside the draft folder
VIDEO_TRACK = "video"
TEXT_TRACK = "subtitles"
# characters Windows (where 剪映 runs) refuses in a folder name, and control characters
_UNSAFE_NAME_RE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')


class DraftVideoClip(BaseModel):
    """One take on the main video track: frames `source_start_frames ..` of `path`."""

    path: Path  # the take file (video or still), absolute
    linked_as: Path | None = None  # where the draft says it is, if not `path` (a staged export)
    source_start_frames: int = Field(default=0, ge=0)  # first frame used; > 0 for a trimmed head
    duration_frames: int = Field(gt=0)
    timeline_start_frames: int = Field(ge=0)
    name: str = ""  # what 剪映 shows for the material, e.g. "E01-S01-002 take 3"
    # 剪映's clip volume, 1.0 = 100 %; 0 for a lip-sync take, whose sound the dialogue track says
    volume: float = Field(default=1.0, ge=0.0)


class DraftText(BaseModel):
    """One subtitle: `text` on screen for frames `start_frames .. end_frames - 1`."""

    start_frames: int = Field(ge=0)
    end_frames: int = Field(gt=0)  # exclusive, as in subtitles.Cue
    text: str
    speaker: str | None = None  # kept for the integrator; the episode's subtitles show only words


class DraftAudioClip(BaseModel):
    path: Path  # an audio file (WAV, MP3, M4A…); 剪映 refuses a file with a video stream here
    linked_as: Path | None = None  # where the draft says it is, if not `path` (a staged export)
    start_frames: int = Field(ge=0)  # where it starts on the timeline
    duration_frames: int = Field(gt=0)
    source_start_frames: int = Field(default=0, ge=0)
    volume: float = Field(default=1.0, ge=0.0)  # 1.0 is 剪映's 100%


class DraftAudioTrack(BaseModel):
    name: Literal["dialogue", "music", "effects"]
    clips: list[DraftAudioClip] = Field(default_factory=list)


class DraftTextStyle(BaseModel):
    """How subtitles look; the defaults follow the burned subtitles of `subtitles.py`."""

    size: float = 8.0  # 剪映's own unit, relative to the canvas (its default text size)
    color: tuple[float, float, float] = (1.0, 1.0, 1.0)  # RGB 0–1: white, as fontcolor=white
    outline_color: tuple[float, float, float] = (0.0, 0.0, 0.0)  # bordercolor=black
    outline_width: float = 20.0  # 剪映's 0–100 slider; a thin edge like borderw=1
    box_color: str | None = "#000000"  # boxcolor=black@0.55; None for no box
    box_alpha: float = Field(default=0.55, ge=0.0, le=1.0)
    centre_y: float = Field(default=0.87, ge=0.0, le=1.0)  # burned baseline sits at 88% of height
    max_line_width: float = Field(default=0.9, gt=0.0, le=1.0)  # subtitles.SAFE_WIDTH


class JianyingDraft(BaseModel):
    """Everything a 剪映 draft of one episode holds, in integer frames at `fps`."""

    name: str  # the draft's name in 剪映 and its folder name, e.g. "E01 雨夜"
    width: int = Field(gt=0)
    height: int = Field(gt=0)
    fps: int = Field(gt=0)
    video: list[DraftVideoClip] = Field(default_factory=list)
    texts: list[DraftText] = Field(default_factory=list)
    audio_tracks: list[DraftAudioTrack] = Field(default_factory=list)
    text_style: DraftTextStyle = Field(default_factory=DraftTextStyle)


def frames_to_us(frames: int, fps: int) -> int:
    """Frame number → microseconds, rounded half up with integer maths."""
    return (frames * 1_000_000 * 2 + fps) // (2 * fps)


def draft_folder_name(name: str) -> str:
    """The folder name for a draft called `name`: what Windows refuses becomes `_`."""
    cleaned = _UNSAFE_NAME_RE.sub("_", " ".join(name.split())).strip(" .")
    return cleaned or "shotcraft draft"


def write_jianying_draft(
    spec: JianyingDraft,
    folder: Path,
    *,
    bundle: bool = False,
    progress: Callable[[int, int], None] | None = None,
    final_folder: Path | None = None,
) -> Path:
    """Write `spec` as a 剪映 draft folder inside `folder` and return the draft folder's path.

    `folder` is where drafts live (the project's exports/, or 剪映's drafts folder); it is
    created if missing. With `final_folder`, `folder` is a staging folder and the draft moves
    to `final_folder` later (assembly.staging): the draft is checked against, and names, the
    place it will be. With `bundle`, media are copied into the draft (hard-linked where the
    disk allows) and linked there; `progress(done, total)` follows the copies. Raises
    AssemblyError with one sentence for a missing or unusable media file, overlapping clips, or
    a folder of that name that shotcraft did not write or that 剪映 changed since.
    """
    folder = Path(folder)
    _check_spec(spec)
    where = Path(final_folder or folder)
    if where.exists() and not where.is_dir():
        raise AssemblyError(f"{where} is a file, not a folder to write 剪映 drafts into.")
    final = where / draft_folder_name(spec.name)
    theirs = _check_replaceable(final)
    folder.mkdir(parents=True, exist_ok=True)
    written_at = folder / final.name  # `final` itself unless the export is staged

    with temp_folder(written_at) as temp:
        content = _build(spec, temp, final, bundle=bundle, progress=progress)
        for name in CONTENT_FILES:
            _write_json(temp / name, content, indent=4)
        _write_meta(temp / "draft_meta_info.json", spec, final, content)
        written = sorted(_files_in(temp) | {MARKER})
        clash = [name for name in theirs if name in written or any(
            w.startswith(name + "/") or name.startswith(w + "/") for w in written)]
        if clash:
            raise AssemblyError(
                f"{final / clash[0]} was not written by shotcraft, and the new draft writes a "
                "file of that name; move it away, then export again.")
        _write_json(temp / MARKER, {
            "written_by": "shotcraft",
            "name": spec.name,
            "sha256": {name: _sha256(temp / name) for name in CONTENT_FILES},
            "files": written,
        })
        os.chmod(temp, 0o777 & ~current_umask())  # a temp folder's 0700 would hide it
        if written_at == final:
            _move_into_place(temp, final, keep=theirs)
        else:  # staged: the commit swaps whole folders, so the director's files come along now
            _copy_kept(final, temp, theirs)
            _move_into_place(temp, written_at, keep=[])
    return written_at


def _check_spec(spec: JianyingDraft) -> None:
    """Refuse what would make a broken draft, before anything is written."""
    clips: list[tuple[str, Path]] = [(f"video clip {c.name or i + 1}", c.path)
                                     for i, c in enumerate(spec.video)]
    for track in spec.audio_tracks:
        clips += [(f"{track.name} audio clip {i + 1}", c.path) for i, c in enumerate(track.clips)]
    for what, path in clips:
        if not Path(path).is_file():
            raise AssemblyError(f"{path}: media file not found ({what} of the 剪映 draft).")

    _check_no_overlap(
        "video clip", [(c.timeline_start_frames, c.timeline_start_frames + c.duration_frames,
                        c.name or str(i + 1)) for i, c in enumerate(spec.video)])
    for i, text in enumerate(spec.texts):
        if text.end_frames <= text.start_frames:
            raise AssemblyError(f"subtitle {i + 1} ({text.text[:20]!r}) ends at frame "
                                f"{text.end_frames}, not after its start {text.start_frames}.")
    _check_no_overlap("subtitle", [(t.start_frames, t.end_frames, repr(t.text[:20]))
                                   for t in spec.texts])
    names = [track.name for track in spec.audio_tracks]
    for name in set(names):
        if names.count(name) > 1:
            raise AssemblyError(f"the 剪映 draft has two audio tracks named {name!r}; merge their clips.")
    for track in spec.audio_tracks:
        _check_no_overlap(f"{track.name} audio clip", [
            (c.start_frames, c.start_frames + c.duration_frames, str(i + 1))
            for i, c in enumerate(track.clips)])


def _check_no_overlap(what: str, spans: list[tuple[int, int, str]]) -> None:
    ordered = sorted(spans)
    for (_, end, before), (start, _, after) in zip(ordered, ordered[1:], strict=False):
        if start < end:
            raise AssemblyError(f"{what} {after} starts at frame {start}, before {what} {before} "
                                f"ends at frame {end}: one 剪映 track cannot overlap clips.")


# what a draft written before the marker listed its files held (bundled media under materials/)
_OURS = (*CONTENT_FILES, "draft_meta_info.json", MARKER)


def _check_replaceable(final: Path) -> list[str]:
    """An existing draft folder may go only if shotcraft wrote it and 剪映 has not saved it
    since; returns the files in it shotcraft did not write (relative paths), which are kept."""
    if not final.exists() and not final.is_symlink():
        return []
    marker = final / MARKER
    if not final.is_dir() or final.is_symlink() or not marker.is_file():
        raise AssemblyError(f"{final} already exists and was not written by shotcraft; "
                            "move it away or export under another name.")
    try:
        recorded = json.loads(marker.read_text(encoding="utf-8"))
        written = recorded["sha256"]
        current = {name: _sha256(final / name) for name in CONTENT_FILES}
    except (OSError, ValueError, KeyError, TypeError):
        recorded, written, current = {}, {}, None
    if written != current:
        raise AssemblyError(f"{final} was changed in 剪映 since shotcraft wrote it; "
                            "move it away or export under another name to keep those edits.")
    files = recorded.get("files")
    if isinstance(files, list):
        ours = {str(name) for name in files}
    else:  # written before the marker listed its files
        ours = set(_OURS) | {name for name in _files_in(final)
                             if name.startswith(MATERIALS + "/")}
    return sorted(name for name in _files_in(final) if name not in ours)


def _files_in(folder: Path) -> set[str]:
    """Every file under `folder`, as paths relative to it (links are files here)."""
    found: set[str] = set()
    for root, dirs, files in os.walk(folder):
        base = Path(root).relative_to(folder)
        for name in files + [d for d in dirs if (Path(root) / d).is_symlink()]:
            found.add((base / name).as_posix())
    return found


def _build(spec: JianyingDraft, temp: Path, final: Path, *, bundle: bool,
           progress: Callable[[int, int], None] | None) -> dict[str, Any]:
    """The draft_content.json of `spec`, built by pyJianYingDraft (imported here: it is slow)."""
    import pyJianYingDraft as jy

    fps = spec.fps
    # the library's skeleton (draft_meta_info.json from its template) in our temp folder
    script = jy.DraftFolder(str(temp.parent)).create_draft(
        temp.name, spec.width, spec.height, fps, allow_replace=True)
    linked = _bundle_media(spec, temp, final, progress) if bundle else {}
    script.content["id"] = str(uuid.uuid4()).upper()  # the template's id is the same in every draft
    script.content["name"] = spec.name
    script.content["create_time"] = script.content["update_time"] = int(time.time())

    def span(start: int, frames: int) -> jy.Timerange:
        # both ends rounded, so clips that touch in frames touch in microseconds
        return jy.Timerange(frames_to_us(start, fps),
                            frames_to_us(start + frames, fps) - frames_to_us(start, fps))

    def source(start: int, target: jy.Timerange) -> jy.Timerange:
        # the same length as on the timeline: speed stays exactly 1
        return jy.Timerange(frames_to_us(start, fps), target.duration)

    if spec.video:
        script.append_track(jy.TrackSpec(jy.TrackType.video, VIDEO_TRACK))
        _add_media(script, jy.VideoMaterial, jy.VideoSegment, VIDEO_TRACK, [
            _Placed(c.path, c.name, span(c.timeline_start_frames, c.duration_frames),
                    c.source_start_frames, {"volume": c.volume} if c.volume != 1.0 else {},
                    f"video clip {c.name}" if c.name else "video clip", c.linked_as)
            for c in sorted(spec.video, key=lambda c: c.timeline_start_frames)
        ], source, linked, fps)

    if spec.texts:
        script.append_track(jy.TrackSpec(jy.TrackType.text, TEXT_TRACK))
        style = spec.text_style
        for text in sorted(spec.texts, key=lambda t: t.start_frames):
            segment = jy.TextSegment(
                text.text, span(text.start_frames, text.end_frames - text.start_frames),
                style=jy.TextStyle(size=style.size, color=style.color, align=1,
                                   auto_wrapping=True, max_line_width=style.max_line_width),
                border=jy.TextBorder(color=style.outline_color, width=style.outline_width),
                background=(jy.TextBackground(color=style.box_color, alpha=style.box_alpha)
                            if style.box_color else None),
                # transform_y counts half canvas heights up from the centre
                clip_settings=jy.ClipSettings(transform_y=1.0 - 2.0 * style.centre_y),
            )
            script.add_segment(segment, TEXT_TRACK)

    for track in spec.audio_tracks:
        if not track.clips:
            continue
        script.append_track(jy.TrackSpec(jy.TrackType.audio, track.name))
        _add_media(script, jy.AudioMaterial, jy.AudioSegment, track.name, [
            _Placed(c.path, "", span(c.start_frames, c.duration_frames), c.source_start_frames,
                    {"volume": c.volume}, f"{track.name} audio clip", c.linked_as)
            for c in sorted(track.clips, key=lambda c: c.start_frames)
        ], source, linked, fps)

    content: dict[str, Any] = json.loads(script.dumps())
    _count_text_ranges_in_utf16(content)
    return content


class _Placed(NamedTuple):
    """A media clip ready for a track: where it goes (target) and where it starts in its file."""

    path: Path
    name: str
    target: Any  # pyJianYingDraft Timerange
    source_start_frames: int
    options: dict[str, Any]
    what: str  # how an error names it
    linked_as: Path | None = None  # where the draft says the file is, if not `path`


def _add_media(script: Any, kind: Any, segment_kind: Any, track: str, placed: list[_Placed],
               source: Callable[[int, Any], Any], linked: dict[Path, Path], fps: int) -> None:
    """Add one segment per clip to `track`, one material per file, linked where it will lie."""
    materials: dict[Path, Any] = {}
    ranges = [source(p.source_start_frames, p.target) for p in placed]
    for p, src in zip(placed, ranges, strict=True):
        if p.path not in materials:
            material = _material(kind, p.path, p.name or None, p.what)
            material.path = str(linked.get(p.path, Path(p.linked_as or p.path).resolve()))
            materials[p.path] = material
        # before any segment copies the material: its length must cover every use of the file
        _fit_source(materials[p.path], src, fps, p.path, p.what)
    for p, src in zip(placed, ranges, strict=True):
        script.add_segment(segment_kind(materials[p.path], p.target, source_timerange=src,
                                        **p.options), track)


def _material(kind: Any, path: Path, name: str | None, what: str) -> Any:
    """pyJianYingDraft's material for `path`; its (Chinese) refusals become one sentence."""
    try:
        return kind(str(path), material_name=name)
    except (ValueError, TypeError, OSError) as error:
        audio = kind.__name__ == "AudioMaterial"
        if audio and "视频轨道" in str(error):
            reason = "it has a video stream, and a 剪映 audio track takes audio files only"
        else:
            reason = f"MediaInfo cannot read it as {'audio' if audio else 'video or a still'}"
        raise AssemblyError(f"{path}: {reason} ({what} of the 剪映 draft).") from error


def _fit_source(material: Any, src: Any, fps: int, path: Path, what: str) -> None:
    """Accept a source range up to one frame past the probed length (MediaInfo rounds to ms)."""
    if src.end <= material.duration:
        return
    if src.end - material.duration < frames_to_us(1, fps):
        material.duration = src.end
        return
    raise AssemblyError(
        f"{path}: the file lasts {material.duration / 1e6:.3f} s but the {what} needs "
        f"{src.start / 1e6:.3f}–{src.end / 1e6:.3f} s of it.")


def _bundle_media(spec: JianyingDraft, temp: Path, final: Path,
                  progress: Callable[[int, int], None] | None) -> dict[Path, Path]:
    """Copy every media file into `temp/materials`; map each source to its path in `final`."""
    sources: list[Path] = []
    for path in [c.path for c in spec.video] + [c.path for t in spec.audio_tracks for c in t.clips]:
        if path not in sources:
            sources.append(path)
    (temp / MATERIALS).mkdir()
    linked: dict[Path, Path] = {}
    taken: set[str] = set()
    for done, path in enumerate(sources, start=1):
        name, number = Path(path).name, 1
        while name.lower() in taken:  # two files of one name from different folders
            number += 1
            name = f"{Path(path).stem}-{number}{Path(path).suffix}"
        taken.add(name.lower())
        copy = temp / MATERIALS / name
        try:
            os.link(path, copy)  # takes are immutable: a hard link is a free copy
        except OSError:
            shutil.copy2(path, copy)
        linked[path] = final / MATERIALS / name
        if progress is not None:
            progress(done, len(sources))
    return linked


def _count_text_ranges_in_utf16(content: dict[str, Any]) -> None:
    """Style ranges count UTF-16 code units in 剪映/CapCut; the library counts code points.

    They differ for emoji and other characters outside the BMP, where a code-point range
    would leave the end of the subtitle unstyled.
    """
    for material in content.get("materials", {}).get("texts", []):
        inner = json.loads(material["content"])
        units = len(inner["text"].encode("utf-16-le")) // 2
        for style in inner.get("styles", []):
            style["range"] = [0, units]
        material["content"] = json.dumps(inner, ensure_ascii=False)


def _write_meta(path: Path, spec: JianyingDraft, final: Path, content: dict[str, Any]) -> None:
    """draft_meta_info.json from the library's template, filled with what 剪映's list shows."""
    meta = json.loads(path.read_text(encoding="utf-8"))
    now_us = int(time.time() * 1_000_000)
    meta.update({
        "draft_id": str(uuid.uuid4()).upper(),
        "draft_name": final.name,
        "draft_fold_path": str(final),
        "draft_root_path": str(final.parent),
        "tm_draft_create": now_us,
        "tm_draft_modified": now_us,
        "tm_duration": content.get("duration", 0),
    })
    _write_json(path, meta)


def _write_json(path: Path, data: Any, indent: int | None = None) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=indent), encoding="utf-8")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _copy_kept(old: Path, new: Path, keep: list[str]) -> None:
    """Copy the files of draft `old` that shotcraft did not write into draft `new` (hard links
    where the disk allows; a link stays a link); `old` is left as it is until the commit."""
    for name in keep:
        source, target = old / name, new / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            os.symlink(os.readlink(source), target)
            continue
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)


def _move_into_place(temp: Path, final: Path, *, keep: list[str]) -> None:
    """Rename the finished draft onto `final`; a shotcraft draft already there is swapped out,
    and the files in it that shotcraft did not write (`keep`) move into the new one."""
    if not final.exists():
        os.replace(temp, final)
        return
    old = final.with_name(f".{final.name}.{uuid.uuid4().hex[:8]}.old")
    os.replace(final, old)
    try:
        os.replace(temp, final)
    except BaseException:
        os.replace(old, final)
        raise
    for name in keep:
        target = final / name
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(old / name, target)
        except OSError as exc:  # never delete what is left of the director's files
            raise AssemblyError(f"{old / name} could not be moved into the new draft ({exc}); "
                                f"the rest of the old draft is kept in {old}.") from exc
    shutil.rmtree(old, ignore_errors=True)
