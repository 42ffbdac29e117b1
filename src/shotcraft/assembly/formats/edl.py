"""CMX 3600 EDL, through otio-cmx3600-adapter.

An EDL has one video track: the picked takes, in order, one event per shot with its source
in/out (a slate is a black `BL` event; a take shorter than its shot is followed by a `HOLD`
event, a still of its last frame, named "<shot id> hold"). Reel names are 8 characters: the first 8 of the take's
content hash. What else survives as comments the adapter reads back: `* FROM CLIP NAME:` (the
shot id), `* FROM CLIP:` (the take's absolute file:// URL), `* LOC:` scene markers, and
`* ALTERNATE:` lines naming each other take and its file, and a `* SHOT:` line saying how the
shot is framed and moved (`SHOT: OTS MCU · static`). Audio tracks are not written.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shotcraft.assembly.formats.base import ExportFormat
from shotcraft.assembly.staging import final_path
from shotcraft.assembly.timeline import Timeline
from shotcraft.shots.files import atomic_target


class EdlFormat(ExportFormat):
    name = "edl"
    suffix = ".edl"
    description = "CMX 3600 EDL (picture track; alternates as comments)"
    reads = (".edl",)
    reads_as = "EDL"

    def read(self, path: Path, *, fps: int) -> Any:
        # an EDL carries timecode only: read it at the project's frame rate
        from shotcraft.assembly.formats import otio_tree

        return otio_tree.read_timeline(path, adapter="cmx_3600", what=self.reads_as, rate=fps)

    def write(self, timeline: Timeline, path: Path, options: Mapping[str, Any]) -> list[Path]:
        import opentimelineio as otio

        from shotcraft.assembly.formats import otio_tree

        def url(media: Path) -> str:
            return final_path(Path(media).absolute()).as_uri()

        tree = otio_tree.build(timeline.model_copy(update={"audio": []}), url, markers="clips")
        picture = tree.tracks[0]
        for track in list(tree.tracks)[1:]:
            tree.tracks.remove(track)  # alternates become comments on their shot's event
        owners = [clip for clip in timeline.clips
                  for _ in range(2 if clip.hold is not None and clip.held_frames else 1)]
        for item, clip in zip(picture, owners, strict=True):
            meta = item.metadata.setdefault("cmx_3600", {})
            if item.metadata.get("shotcraft", {}).get("hold"):
                meta["reel"] = "HOLD"  # a still of the take's last frame: its file in FROM CLIP
                continue
            if isinstance(item.media_reference, otio.schema.GeneratorReference):
                item.media_reference = otio.schema.MissingReference()
                meta["reel"] = "BL"  # a slate: black, with the shot's name
                continue
            if clip.media_hash:
                meta["reel"] = clip.media_hash[:8].upper()
            meta["comments"] = [
                f"ALTERNATE: {otio_tree.alternate_name(clip.shot_id, alt.take)} {url(Path(alt.path))}"
                for alt in clip.alternates if alt.path
            ] + ([f"SHOT: {clip.framing} · {clip.camera.replace('_', ' ')}"] if clip.framing else [])
        text = otio.adapters.write_to_string(tree, adapter_name="cmx_3600")
        with atomic_target(Path(path)) as temp:
            temp.write_text(text, encoding="utf-8")
        return [Path(path)]
