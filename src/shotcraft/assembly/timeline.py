"""What assembly consumes: an episode as an ordered list of clips, in integer frames.

Built by projects/ from the storyboard and the picks; assembly never reads the database.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, Field

from shotcraft.shots.models import DialogueLine


class ClipSource(StrEnum):
    PICKED = "picked"  # the director's pick
    AUTO = "auto"  # no pick: the top-ranked take
    SLATE = "slate"  # no take at all: a slate card (shot id + action)


class Alternate(BaseModel):
    take: int
    path: str | None = None
    score: float | None = None
    seed: int | None = None
    engine: str | None = None


class Clip(BaseModel):
    shot_id: str
    scene_id: str
    scene_heading: str = ""
    duration_frames: int = Field(gt=0)  # the shot's length on the timeline
    # the take's frame the clip starts on (an editor's trim-in), at the timeline's fps
    source_start_frames: int = Field(default=0, ge=0)
    media: Path | None = None  # absolute path of the take (video or still); None → slate
    media_hash: str | None = None  # content hash of the take file, the cache key
    take: int | None = None
    source: ClipSource = ClipSource.PICKED
    size: str = ""  # shot size, for the contact sheet
    camera: str = ""  # camera move, for the contact sheet
    action: str | None = None
    dialogue: list[DialogueLine] = Field(default_factory=list)
    alternates: list[Alternate] = Field(default_factory=list)


class Timeline(BaseModel):
    title: str
    episode: int
    fps: int = 30
    clips: list[Clip] = Field(default_factory=list)

    @property
    def duration_frames(self) -> int:
        return sum(clip.duration_frames for clip in self.clips)
