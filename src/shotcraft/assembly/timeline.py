"""What assembly consumes: an episode as an ordered list of clips, in integer frames.

Built by projects/ from the storyboard and the picks; assembly never reads the database.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from shotcraft.shots.models import DialogueLine


class ClipSource(StrEnum):
    PICKED = "picked"  # the director's pick
    AUTO = "auto"  # no pick: the top-ranked take
    SLATE = "slate"  # no take at all: a slate card (shot id + action)


class Alternate(BaseModel):
    take: int
    path: str | None = None
    frames: int | None = None  # the take's length in episode frames, as probed; None: a still
    score: float | None = None
    seed: int | None = None
    engine: str | None = None


class Cue(BaseModel):
    """One subtitle on the episode timeline; `end_frame` is exclusive."""

    index: int
    start_frame: int
    end_frame: int  # exclusive
    speaker: str
    text: str
    mode: str | None = None  # "OS" (inner voice) or "VO" (voice-over); None: spoken in the scene


class AudioClip(BaseModel):
    """A sound file on one of the episode's audio tracks (the takes' own sound rides with them)."""

    kind: Literal["dialogue", "music", "effects"]
    path: Path
    start_frame: int = Field(default=0, ge=0)  # on the timeline
    duration_frames: int = Field(gt=0)
    name: str = ""


class Marker(BaseModel):
    """A named frame on the timeline: each scene's first shot."""

    name: str
    frame: int
    scene_id: str


class Clip(BaseModel):
    shot_id: str
    scene_id: str
    scene_heading: str = ""
    duration_frames: int = Field(gt=0)  # the shot's length on the timeline
    # the take's frame the clip starts on (an editor's trim-in), at the timeline's fps
    source_start_frames: int = Field(default=0, ge=0)
    media: Path | None = None  # absolute path of the take (video or still); None → slate
    media_hash: str | None = None  # content hash of the take file, the cache key
    media_frames: int | None = None  # the take's length in episode frames; None: unknown/still
    # a still of the take's last frame, shown for the rest of the shot where the take is
    # shorter than it (a take kept when `fit` lengthened its shot): every format holds it
    hold: Path | None = None
    take: int | None = None
    # the take's own sound is the shot's lines (a lip-sync take): the dialogue track speaks them,
    # so the mix leaves this sound out rather than say every line twice
    speaks: bool = False
    source: ClipSource = ClipSource.PICKED
    size: str = ""  # shot size, for the contact sheet
    framing: str = ""  # "OTS MCU", "2S MS", "INS CU" or the size: the sheet, slates, metadata
    camera: str = ""  # camera move, for the contact sheet
    action: str | None = None
    dialogue: list[DialogueLine] = Field(default_factory=list)
    alternates: list[Alternate] = Field(default_factory=list)

    @property
    def played_frames(self) -> int:
        """Frames of the take the shot plays: all it asks for, or what the take has from its
        first frame (`source_start_frames`) on, whichever is fewer."""
        if self.media_frames is None or self.media is None:
            return self.duration_frames
        return max(1, min(self.duration_frames, self.media_frames - self.source_start_frames))

    @property
    def held_frames(self) -> int:
        """Frames after the take ends for which its last frame holds (0: it lasts the shot)."""
        return self.duration_frames - self.played_frames


class Timeline(BaseModel):
    title: str
    episode: int
    fps: int = 30
    width: int | None = None  # the picture size the episode is exported at, where known
    height: int | None = None
    clips: list[Clip] = Field(default_factory=list)
    subtitles: list[Cue] = Field(default_factory=list)  # filled for exports (subtitles.build_cues)
    audio: list[AudioClip] = Field(default_factory=list)  # dialogue, music and effects tracks
    # where the subtitle block's bottom edge sits (share of the height) and its font size (px
    # on a 1080 short side), as burned: editors' text tracks put theirs there too
    subtitle_bottom: float | None = None
    subtitle_size: float | None = None

    @property
    def duration_frames(self) -> int:
        return sum(clip.duration_frames for clip in self.clips)

    def clip_starts(self) -> list[int]:
        """Each clip's first frame on the timeline, cut to cut."""
        starts, at = [], 0
        for clip in self.clips:
            starts.append(at)
            at += clip.duration_frames
        return starts

    def markers(self) -> list[Marker]:
        """A marker at the first frame of each scene, named by its heading."""
        found: list[Marker] = []
        previous: str | None = None
        for clip, start in zip(self.clips, self.clip_starts(), strict=True):
            if clip.scene_id != previous:
                found.append(Marker(name=clip.scene_heading or clip.scene_id, frame=start,
                                    scene_id=clip.scene_id))
                previous = clip.scene_id
        return found
