"""OpenTimelineIO export: the cut as an editor sees it, with the takes that were not picked.

One video track, one clip per shot pointing at its normalised media; slates (shots with no take)
are generator clips; a marker at each scene's first frame; `metadata["shotcraft"]` carries the
shot id, the take, how it was chosen and the alternates, so a conform in another editor can swap
a take without asking shotcraft.
"""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio

from shotcraft.assembly.timeline import Clip, ClipSource, Timeline
from shotcraft.shots.errors import AssemblyError
from shotcraft.shots.files import atomic_target
from shotcraft.shots.media import probe


def write_otio(timeline: Timeline, clip_media: list[Path], path: Path) -> Path:
    """Write `timeline` as an .otio file; `clip_media[i]` is the media file of clip i.

    Slates (no take) need no media: their entry may be anything, it is not read.
    """
    if len(clip_media) != len(timeline.clips):
        raise AssemblyError(
            f"write_otio needs one media file per clip: got {len(clip_media)} for "
            f"{len(timeline.clips)} clips."
        )
    fps = timeline.fps
    result = otio.schema.Timeline(
        name=timeline.title, global_start_time=otio.opentime.RationalTime(0, fps)
    )
    result.metadata["shotcraft"] = {"episode": timeline.episode, "fps": fps}
    track = otio.schema.Track(name="Picture", kind=otio.schema.TrackKind.Video)
    result.tracks.append(track)

    start = 0
    previous_scene: str | None = None
    for clip, media in zip(timeline.clips, clip_media, strict=True):
        track.append(_otio_clip(clip, media, fps))
        if clip.scene_id != previous_scene:
            track.markers.append(
                otio.schema.Marker(
                    name=clip.scene_heading or clip.scene_id,
                    marked_range=otio.opentime.TimeRange(
                        otio.opentime.RationalTime(start, fps), otio.opentime.RationalTime(0, fps)
                    ),
                    metadata={"shotcraft": {"scene_id": clip.scene_id}},
                )
            )
            previous_scene = clip.scene_id
        start += clip.duration_frames

    path = Path(path)
    with atomic_target(path) as temp:
        otio.adapters.write_to_file(result, str(temp), adapter_name="otio_json")
    return path


def _is_slate(clip: Clip) -> bool:
    return clip.source == ClipSource.SLATE or clip.media is None


def _otio_clip(clip: Clip, media: Path, fps: int) -> otio.schema.Clip:
    duration = otio.opentime.RationalTime(clip.duration_frames, fps)
    # a trimmed shot starts at its trim-in frame of the take
    start = 0 if _is_slate(clip) else clip.source_start_frames
    source_range = otio.opentime.TimeRange(otio.opentime.RationalTime(start, fps), duration)
    if _is_slate(clip):
        reference: otio.core.MediaReference = otio.schema.GeneratorReference(
            name="slate",
            generator_kind="slate",
            available_range=source_range,
            parameters={"shot_id": clip.shot_id, "action": clip.action or ""},
        )
    else:
        media = Path(media).resolve()
        reference = otio.schema.ExternalReference(
            target_url=media.as_uri(),
            available_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, fps),
                otio.opentime.RationalTime(_media_frames(media, clip, fps), fps),
            ),
        )
    result = otio.schema.Clip(name=clip.shot_id, media_reference=reference, source_range=source_range)
    result.metadata["shotcraft"] = {
        "shot_id": clip.shot_id,
        "scene_id": clip.scene_id,
        "take": clip.take,
        "source": "slate" if _is_slate(clip) else clip.source.value,
        "takes": [alternate.model_dump() for alternate in clip.alternates],
    }
    return result


def _media_frames(media: Path, clip: Clip, fps: int) -> int:
    """The media's length in episode frames; a still lasts as long as its shot."""
    info = probe(media, count_frames=False)
    if info.is_image:
        return clip.duration_frames
    if info.frames and abs(info.fps - fps) < 0.01:
        return info.frames
    return max(1, round(info.duration * fps))
