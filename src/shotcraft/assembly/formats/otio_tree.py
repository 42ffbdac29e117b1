"""The episode as an OpenTimelineIO tree, shared by the OTIO, OTIOZ, FCPXML and EDL formats.

Tracks, top to bottom in an editor:
- "Picture": one clip per shot, named by its shot id, pointing at the ORIGINAL take file (never a
  cache file) with `source_range` = the part of the take the shot uses; a slate (no take) is a
  generator clip, or a gap where the format has no generators. A take shorter than its shot
  plays to its end and is followed by "<shot id> hold": a still of its last frame for the rest
  of the shot (`metadata["shotcraft"]["hold"]`), as the MP4 holds it.
- "Alternates 1", "Alternates 2", …: disabled video tracks; each shot's other takes, in take order,
  at the same position as its picked take, named "<shot id> take <N>" (one shorter than the
  shot is followed by a gap: no file is asked for frames it does not have).
- "Dialogue", "Music", "Effects": audio tracks where the timeline has such sound.
A marker at each scene's first frame. `metadata["shotcraft"]` on every clip carries the shot id,
scene, take, how it was chosen and the alternates, so a conform can swap a take on its own.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Literal

import opentimelineio as otio

from shotcraft.assembly.timeline import Alternate, Clip, ClipSource, Timeline
from shotcraft.shots.errors import AssemblyError, MediaError, ProjectError
from shotcraft.shots.media import probe

MediaUrl = Callable[[Path], str]
AUDIO_TRACKS = {"dialogue": "Dialogue", "music": "Music", "effects": "Effects"}


def alternate_name(shot_id: str, take: int) -> str:
    return f"{shot_id} take {take}"


def build(
    timeline: Timeline,
    media_url: MediaUrl,
    *,
    markers: Literal["track", "clips"] = "track",
    slates: Literal["generator", "gap"] = "generator",
) -> otio.schema.Timeline:
    """The OTIO timeline of `timeline`; `media_url(path)` says how each file is referenced."""
    fps = timeline.fps
    frames = _media_frames(timeline)
    result = otio.schema.Timeline(name=timeline.title, global_start_time=_time(0, fps))
    result.metadata["shotcraft"] = {
        "episode": timeline.episode,
        "fps": fps,
        # the take each shot played when exported: reading an edit back, a shot whose pick
        # moved since is told apart from one the editor switched
        "picks": {clip.shot_id: clip.take for clip in timeline.clips},
        "subtitles": [cue.model_dump() for cue in timeline.subtitles],
    }
    picture = otio.schema.Track(name="Picture", kind=otio.schema.TrackKind.Video)
    result.tracks.append(picture)
    first_item: dict[int, int] = {}  # a clip's start frame → its first item on the track
    for clip, start in zip(timeline.clips, timeline.clip_starts(), strict=True):
        first_item[start] = len(picture)
        if _is_slate(clip) and slates == "gap":
            picture.append(otio.schema.Gap(name=clip.shot_id,
                                           source_range=_range(0, clip.duration_frames, fps)))
            continue
        picture.append(_picture_clip(clip, media_url, frames, fps))
        if clip.hold is not None and clip.held_frames:
            picture.append(_hold_clip(clip, media_url, fps))

    scene_starts = timeline.markers()
    if markers == "track":
        for marker in scene_starts:
            picture.markers.append(_marker(marker.name, marker.scene_id, marker.frame, fps))
    else:  # on the scene's first clip, in the clip's own (source) time
        for marker in scene_starts:
            item = picture[first_item[marker.frame]]
            if isinstance(item, otio.schema.Clip):
                at = item.source_range.start_time.to_frames()
                item.markers.append(_marker(marker.name, marker.scene_id, at, fps))

    for lane in range(max((len(_usable(c.alternates)) for c in timeline.clips), default=0)):
        track = otio.schema.Track(name=f"Alternates {lane + 1}", kind=otio.schema.TrackKind.Video)
        track.enabled = False  # the picked take plays; these wait for the editor
        for clip in timeline.clips:
            usable = _usable(clip.alternates)
            if lane < len(usable):
                alternate = _alternate_clip(clip, usable[lane], media_url, frames, fps)
                track.append(alternate)
                rest = clip.duration_frames - alternate.source_range.duration.to_frames()
                if rest > 0:
                    track.append(otio.schema.Gap(source_range=_range(0, rest, fps)))
            else:
                track.append(otio.schema.Gap(source_range=_range(0, clip.duration_frames, fps)))
        result.tracks.append(track)

    sound_frames: dict[Path, int] = {}  # a sound's length: the longest stretch used of it
    for sound in timeline.audio:
        path = Path(sound.path)
        sound_frames[path] = max(sound_frames.get(path, 0), sound.duration_frames)
    for kind, name in AUDIO_TRACKS.items():
        sounds = sorted((a for a in timeline.audio if a.kind == kind), key=lambda a: a.start_frame)
        if not sounds:
            continue
        track = otio.schema.Track(name=name, kind=otio.schema.TrackKind.Audio)
        at = 0
        for sound in sounds:
            if sound.start_frame < at:
                raise AssemblyError(f"two {kind} sounds overlap at frame {sound.start_frame}.")
            if sound.start_frame > at:
                track.append(otio.schema.Gap(source_range=_range(0, sound.start_frame - at, fps)))
            reference = otio.schema.ExternalReference(
                target_url=media_url(Path(sound.path)),
                available_range=_range(0, sound_frames[Path(sound.path)], fps),
            )
            track.append(otio.schema.Clip(
                name=sound.name or Path(sound.path).name, media_reference=reference,
                source_range=_range(0, sound.duration_frames, fps),
                metadata={"shotcraft": {"kind": kind}},
            ))
            at = sound.start_frame + sound.duration_frames
        result.tracks.append(track)
    return result


def _is_slate(clip: Clip) -> bool:
    return clip.source == ClipSource.SLATE or clip.media is None


def _usable(alternates: list[Alternate]) -> list[Alternate]:
    return [a for a in alternates if a.path]


def _picture_clip(clip: Clip, media_url: MediaUrl, frames: dict[Path, int],
                  fps: int) -> otio.schema.Clip:
    # a slate has no take to start inside: a trim only sets its length
    start = 0 if _is_slate(clip) else clip.source_start_frames
    played = clip.duration_frames if _is_slate(clip) or not clip.hold else clip.played_frames
    source_range = _range(start, played, fps)
    if _is_slate(clip):
        reference: otio.core.MediaReference = otio.schema.GeneratorReference(
            name="slate", generator_kind="slate", available_range=source_range,
            parameters={"shot_id": clip.shot_id, "action": clip.action or ""},
        )
    else:
        media = Path(clip.media or "")
        reference = otio.schema.ExternalReference(
            target_url=media_url(media),
            available_range=_range(0, frames.get(media, _needed(clip)), fps),
        )
    result = otio.schema.Clip(name=clip.shot_id, media_reference=reference,
                              source_range=source_range)
    result.metadata["shotcraft"] = {
        "shot_id": clip.shot_id,
        "scene_id": clip.scene_id,
        "take": clip.take,
        "source": "slate" if _is_slate(clip) else clip.source.value,
        # how the shot is framed: "OTS MCU", "2S MS", "INS CU" or the size, and the move
        "framing": clip.framing or clip.size,
        "camera": clip.camera,
        "takes": [alternate.model_dump() for alternate in clip.alternates],
    }
    if clip.speaks:  # a lip-sync take: its sound is the line the Dialogue track says
        result.metadata["shotcraft"]["mute_take_sound"] = True
    return result


def _hold_clip(clip: Clip, media_url: MediaUrl, fps: int) -> otio.schema.Clip:
    """The still of a short take's last frame, for the rest of its shot."""
    held = clip.held_frames
    reference = otio.schema.ExternalReference(target_url=media_url(Path(clip.hold or "")),
                                              available_range=_range(0, held, fps))
    result = otio.schema.Clip(name=f"{clip.shot_id} hold", media_reference=reference,
                              source_range=_range(0, held, fps))
    result.metadata["shotcraft"] = {"shot_id": clip.shot_id, "scene_id": clip.scene_id,
                                    "take": clip.take, "hold": True}
    return result


def _alternate_clip(clip: Clip, alternate: Alternate, media_url: MediaUrl,
                    frames: dict[Path, int], fps: int) -> otio.schema.Clip:
    media = Path(alternate.path or "")
    available = frames.get(media, _needed(clip))
    # the shot's trim where this take is long enough for it, else from its first frame
    start = clip.source_start_frames if available >= _needed(clip) else 0
    length = max(1, min(clip.duration_frames, available - start))  # never past its end
    result = otio.schema.Clip(
        name=alternate_name(clip.shot_id, alternate.take),
        media_reference=otio.schema.ExternalReference(
            target_url=media_url(media), available_range=_range(0, available, fps)),
        source_range=_range(start, length, fps),
    )
    result.metadata["shotcraft"] = {
        "shot_id": clip.shot_id, "scene_id": clip.scene_id, "take": alternate.take,
        "source": "alternate",
    }
    return result


def _needed(clip: Clip) -> int:
    return clip.source_start_frames + clip.duration_frames


def _media_frames(timeline: Timeline) -> dict[Path, int]:
    """Each media file's length in episode frames (a still lasts as long as its shot)."""
    known: dict[Path, int] = {}  # what the project probed when it stored the take
    wanted: dict[Path, int] = {}
    for clip in timeline.clips:
        paths = [] if _is_slate(clip) else [(Path(clip.media or ""), clip.media_frames)]
        paths += [(Path(a.path), a.frames) for a in _usable(clip.alternates) if a.path]
        for path, frames in paths:
            if frames:
                known[path] = frames
            wanted[path] = max(wanted.get(path, 0), _needed(clip))
    for path in known:
        del wanted[path]

    def measure(item: tuple[Path, int]) -> int:
        path, still_frames = item
        frames = _probed_frames(path, timeline.fps, _stamp(path))
        return still_frames if frames is None else frames

    # one ffprobe per file, a few at a time: process start-up dominates
    with ThreadPoolExecutor(max_workers=4) as pool:
        return {**known, **dict(zip(wanted, pool.map(measure, wanted.items()), strict=True))}


def _stamp(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
    except OSError:
        return (0, 0)  # probe says what is wrong
    return (stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=4096)
def _probed_frames(path: Path, fps: int, stamp: tuple[int, int]) -> int | None:
    """A file's length in frames at `fps` (None for a still); remembered while the file is
    unchanged, so writing several formats in one export probes each take once."""
    try:
        info = probe(path, count_frames=False)
    except MediaError as exc:
        raise AssemblyError(f"the media file {path} cannot be read: {exc}") from exc
    if info.is_image:
        return None
    if info.frames and abs(info.fps - fps) < 0.01:
        return info.frames
    return max(1, round(info.duration * fps))


def _marker(name: str, scene_id: str, frame: int, fps: int) -> otio.schema.Marker:
    return otio.schema.Marker(name=name, marked_range=_range(frame, 0, fps),
                              metadata={"shotcraft": {"scene_id": scene_id}})


def _time(frames: int, fps: int) -> otio.opentime.RationalTime:
    return otio.opentime.RationalTime(frames, fps)


def _range(start: int, duration: int, fps: int) -> otio.opentime.TimeRange:
    return otio.opentime.TimeRange(_time(start, fps), _time(duration, fps))


def read_timeline(path: Path, *, adapter: str, what: str, **options: object) -> otio.schema.Timeline:
    """The timeline in `path`, read by OpenTimelineIO's `adapter`; ProjectError in one sentence
    naming the file (`what` it should be: "an FCPXML") when it cannot be read or holds none."""
    path = Path(path)
    if not path.is_file():
        raise ProjectError(f"{path} does not exist.")
    try:
        read = otio.adapters.read_from_file(str(path), adapter_name=adapter, **options)
    except Exception as exc:  # adapters raise anything from XML, JSON, zip and parsing errors
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160].rstrip(".")
        raise ProjectError(f"{path} is not a readable {what} timeline ({reason}).") from exc
    if isinstance(read, otio.schema.SerializableCollection):
        timelines = list(read.find_children(descended_from_type=otio.schema.Timeline))
        read = timelines[0] if timelines else read
    if not isinstance(read, otio.schema.Timeline):
        raise ProjectError(f"{path} holds no timeline (it is a {type(read).__name__}).")
    return read
