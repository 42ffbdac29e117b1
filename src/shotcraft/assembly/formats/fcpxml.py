"""FCPXML for Final Cut Pro, DaVinci Resolve and Premiere, through otio-fcpx-xml-adapter.

FCPXML has auditions, but the adapter cannot write them, so alternates are connected clips on
lanes above the picked take (lane N = "Alternates N"), switched off (`enabled="0"`): they sit
exactly over their shot, ready to be swapped in. Media are absolute `file://` URLs (FCPXML
requires them). The sequence format states the episode's size (width/height), not a named
preset. Slates (no take) are gaps; scene markers sit on each scene's first clip.
Audio tracks are connected audio below the spine.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shotcraft.assembly.formats.base import ExportFormat
from shotcraft.assembly.staging import final_path
from shotcraft.assembly.timeline import Timeline
from shotcraft.shots.files import atomic_target

# a connected clip on a lane above the spine: one of the alternates
_ALTERNATE_CLIP = re.compile(r'(<clip [^>]*?lane="[1-9][0-9]*")')
_FORMAT_NAME = re.compile(r'(<format id="[^"]*" frameDuration="[^"]*") name="[^"]*"')


class FcpxmlFormat(ExportFormat):
    name = "fcpxml"
    suffix = ".fcpxml"
    description = "FCPXML for Final Cut Pro, DaVinci Resolve and Premiere"
    reads = (".fcpxml",)
    reads_as = "FCPXML"

    def read(self, path: Path, *, fps: int) -> Any:
        from shotcraft.assembly.formats import otio_tree

        return otio_tree.read_timeline(path, adapter="fcpx_xml", what=self.reads_as)

    def write(self, timeline: Timeline, path: Path, options: Mapping[str, Any]) -> list[Path]:
        import opentimelineio as otio

        from shotcraft.assembly.formats import otio_tree

        tree = otio_tree.build(timeline, lambda media: final_path(Path(media).absolute()).as_uri(),
                               markers="clips", slates="gap")
        text = otio.adapters.write_to_string(tree, adapter_name="fcpx_xml")
        text = _ALTERNATE_CLIP.sub(r'\1 enabled="0"', text)
        if timeline.width and timeline.height:
            # the adapter names the format after the first take's size and calls anything
            # 1920 tall "1080p" (landscape); a vertical episode needs its own size stated
            size = f'width="{timeline.width}" height="{timeline.height}"'
            text = _FORMAT_NAME.sub(lambda m: f"{m[1]} {size}", text)
        with atomic_target(Path(path)) as temp:
            temp.write_text(text, encoding="utf-8")
        return [Path(path)]
