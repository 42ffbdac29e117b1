"""An episode's current cut as a screen plays it: each shot's take (the pick, else what export
would use), where it starts on the episode and how long it plays, and the subtitle cues.

The same timeline `export` builds (projects/export.py), so what the review page plays is what an
export would cut, without encoding anything.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from shotcraft.assembly.subtitles import build_cues
from shotcraft.assembly.timeline import Cue
from shotcraft.projects.export import build_timeline
from shotcraft.projects.store import Store


class CutClip(BaseModel):
    shot_id: str
    scene_id: str
    take: int | None  # None: no take yet (a slate)
    source: str  # picked | auto | slate
    start_frame: int  # on the episode
    frames: int  # how long it plays
    source_start_frames: int = 0  # the take's first frame played (an editor's trim)
    still: bool = False  # a keyframe still held for the shot's length
    action: str | None = None


class Cut(BaseModel):
    episode: int
    fps: int
    clips: list[CutClip] = Field(default_factory=list)
    cues: list[Cue] = Field(default_factory=list)
    exported: Path | None = None  # the last exported MP4 of the episode, where there is one

    @property
    def duration_frames(self) -> int:
        return sum(clip.frames for clip in self.clips)


def episode_cut(store: Store, episode: int) -> Cut:
    """The cut of `episode` as it stands now (see the module docstring)."""
    timeline = build_timeline(store, episode)
    starts = timeline.clip_starts()
    clips = [
        CutClip(shot_id=clip.shot_id, scene_id=clip.scene_id, take=clip.take,
                source=clip.source.value, start_frame=start, frames=clip.duration_frames,
                source_start_frames=clip.source_start_frames,
                still=clip.media is not None and clip.media_frames is None, action=clip.action)
        for clip, start in zip(timeline.clips, starts, strict=True)
    ]
    language = "en" if store.language == "en" else "zh"
    exported = store.layout.exports / f"episode-{episode:02d}.mp4"
    return Cut(episode=episode, fps=timeline.fps, clips=clips,
               cues=build_cues(timeline, starts, language=language),
               exported=exported if exported.is_file() else None)
