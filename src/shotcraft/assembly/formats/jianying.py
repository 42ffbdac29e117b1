"""剪映 drafts as an export format: the episode's timeline turned into a `JianyingDraft` spec.

The draft folder is named after the episode's output (`<stem>-jianying`) and written under
exports/ beside the other side files, or into the folder given with `--jianying-drafts` (剪映's
drafts folder, e.g. `…/JianyingPro Drafts`), where 剪映 lists it on its home page.

- picked (or top-ranked) takes go on the video track in order, each from its trim-in frame for
  its shot's length; a take shorter than its shot plays to its end and a still of its last
  frame ("<shot> hold") fills the rest; a slate (a shot with no take) has no media and is left
  as a gap the length of the shot, so every later clip keeps its place;
- the episode's dialogue cues go on the text track in the episode's subtitle style;
- the timeline's audio (dialogue, music, effects) goes on audio tracks of those names;
- `--bundle` copies the media into the draft (for another machine).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shotcraft.assembly.formats.base import ExportFormat, FormatOption
from shotcraft.assembly.formats.otio import BUNDLE
from shotcraft.assembly.jianying import (
    DraftAudioClip,
    DraftAudioTrack,
    DraftText,
    DraftTextStyle,
    DraftVideoClip,
    JianyingDraft,
    draft_folder_name,
    write_jianying_draft,
)
from shotcraft.assembly.staging import final_path, staged_folder
from shotcraft.assembly.timeline import Timeline

DRAFTS = FormatOption(
    name="jianying_drafts", type="path", default=None,
    help="Write the 剪映 draft into this folder (剪映's drafts folder) instead of exports/.")


def draft_spec(timeline: Timeline, name: str) -> Any:
    """The `JianyingDraft` of a timeline: what the draft writer needs, nothing from projects."""
    video, start = [], 0
    for clip in timeline.clips:
        if clip.media is not None:
            take = f" take {clip.take}" if clip.take is not None else ""
            held = clip.held_frames if clip.hold is not None else 0
            video.append(DraftVideoClip(
                path=Path(clip.media).absolute(), linked_as=final_path(Path(clip.media).absolute()),
                source_start_frames=clip.source_start_frames,
                duration_frames=clip.duration_frames - held, timeline_start_frames=start,
                name=f"{clip.shot_id}{take}", volume=0.0 if clip.speaks else 1.0))
            if held and clip.hold is not None:  # the take's last frame for the rest of the shot
                video.append(DraftVideoClip(
                    path=Path(clip.hold).absolute(), linked_as=final_path(Path(clip.hold).absolute()),
                    duration_frames=held, timeline_start_frames=start + clip.duration_frames - held,
                    name=f"{clip.shot_id} hold"))
        start += clip.duration_frames
    texts = [DraftText(start_frames=cue.start_frame, end_frames=cue.end_frame, text=cue.text,
                       speaker=cue.speaker or None) for cue in timeline.subtitles]
    tracks: dict[str, list[Any]] = {}
    for audio in timeline.audio:
        tracks.setdefault(audio.kind, []).append(DraftAudioClip(
            path=Path(audio.path).absolute(), linked_as=final_path(Path(audio.path).absolute()),
            start_frames=audio.start_frame,
            duration_frames=audio.duration_frames))
    width, height = timeline.width or 1080, timeline.height or 1920
    style = DraftTextStyle()
    if timeline.subtitle_bottom is not None and timeline.subtitle_size is not None:
        # 剪映's default size 8 is our 60 px on a 1080 short side; a line's centre sits
        # about 0.7 of a font size above the block's bottom edge
        px = timeline.subtitle_size * min(width, height) / 1080
        style = DraftTextStyle(size=round(8.0 * timeline.subtitle_size / 60, 2),
                               centre_y=max(0.0, timeline.subtitle_bottom - 0.7 * px / height))
    return JianyingDraft(
        name=name, width=width, height=height, fps=timeline.fps, video=video, texts=texts,
        text_style=style,
        audio_tracks=[DraftAudioTrack(name=kind, clips=clips)  # type: ignore[arg-type]
                      for kind, clips in tracks.items()])


class JianyingFormat(ExportFormat):
    name = "jianying"
    suffix = "-jianying"  # a folder: <episode stem>-jianying/
    description = "剪映 (Jianying) draft folder"
    options = (BUNDLE, DRAFTS)

    def targets(self, episode_output: Path, options: Mapping[str, Any]) -> list[tuple[Path, bool]]:
        path = self.path_for(episode_output)
        drafts = options.get("jianying_drafts")
        folder = Path(drafts).expanduser() if drafts else path.parent
        return [(folder, True), (folder / draft_folder_name(path.name), True)]

    def write(self, timeline: Timeline, path: Path, options: Mapping[str, Any]) -> list[Path]:
        path = Path(path)
        drafts = options.get("jianying_drafts")
        final_folder = Path(drafts).expanduser().absolute() if drafts else final_path(path.parent)
        # 剪映's drafts folder gets a staging folder of its own: the draft moves in with the rest
        folder = staged_folder(final_folder) if drafts else path.parent
        spec = draft_spec(timeline, path.name)
        return [write_jianying_draft(spec, folder, bundle=bool(options.get("bundle")),
                                     final_folder=final_folder)]
