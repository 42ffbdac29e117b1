"""OTIO timelines: `.otio` with media referenced relative to the file, `.otioz` with the media inside.

In `.otio` each `target_url` is the take's path relative to the folder the .otio file is in,
written the way OpenTimelineIO writes its own bundles (`url_utils.url_from_filepath`, e.g.
`../media/takes/ab/ab12….mp4`): the project folder can move and the timeline still opens.
Resolve one with `url_utils.filepath_from_url` against the .otio file's folder. With
`bundle`, the takes are copied into `<name>-media/` beside
the file and referenced there, so the two can be handed over together.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shotcraft.assembly.formats.base import ExportFormat, FormatOption
from shotcraft.assembly.staging import final_path
from shotcraft.assembly.timeline import Timeline
from shotcraft.shots.errors import AssemblyError
from shotcraft.shots.files import atomic_target

BUNDLE = FormatOption(name="bundle", type="bool", default=False,
                      help="Copy the media beside the side file, to hand both over together.")


def write_otio(timeline: Timeline, path: Path, *, bundle: bool = False) -> Path:
    """Write `timeline` as an .otio file whose media paths are relative to its folder."""
    import opentimelineio as otio

    from shotcraft.assembly.formats import otio_tree

    path = Path(path)
    folder = final_path(path.absolute()).parent  # where the file will be, not where it is staged
    media_dir = bundle_folder(path)

    def relative(media: Path) -> str:
        media = Path(media).absolute()
        if bundle:
            media = _copy_into(media, media_dir)
        where = final_path(media)
        return otio.url_utils.url_from_filepath(Path(os.path.relpath(where, folder)).as_posix())

    tree = otio_tree.build(timeline, relative)
    with atomic_target(path) as temp:
        otio.adapters.write_to_file(tree, str(temp), adapter_name="otio_json")
    return path


def bundle_folder(path: Path) -> Path:
    """Where `--bundle` copies the media of the side file at `path`."""
    path = Path(path).absolute()
    return path.with_name(f"{path.stem}-media")


def _copy_into(media: Path, folder: Path) -> Path:
    # take files are content-addressed, so a file of the same name and size is the same take
    target = folder / media.name
    if target.is_file() and target.stat().st_size == media.stat().st_size:
        return target
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_target(target) as temp:
        shutil.copyfile(media, temp)  # a copy, not a link: editing it must not change the take
    return target


class OtioFormat(ExportFormat):
    name = "otio"
    suffix = ".otio"
    description = "OpenTimelineIO timeline (media relative to the file)"
    options = (BUNDLE,)
    reads = (".otio",)
    reads_as = "OTIO"

    def read(self, path: Path, *, fps: int) -> Any:
        from shotcraft.assembly.formats import otio_tree

        return otio_tree.read_timeline(path, adapter="otio_json", what=self.reads_as)

    def targets(self, episode_output: Path, options: Mapping[str, Any]) -> list[tuple[Path, bool]]:
        path = self.path_for(episode_output)
        return [(path, False), *([(bundle_folder(path), True)] if options.get("bundle") else [])]

    def write(self, timeline: Timeline, path: Path, options: Mapping[str, Any]) -> list[Path]:
        bundle = bool(options.get("bundle"))
        written = [write_otio(timeline, path, bundle=bundle)]
        return [*written, bundle_folder(path)] if bundle else written


class OtiozFormat(ExportFormat):
    name = "otioz"
    suffix = ".otioz"
    description = "OpenTimelineIO bundle with the media inside (for another machine)"
    reads = (".otioz",)
    reads_as = "OTIO bundle"

    def read(self, path: Path, *, fps: int) -> Any:
        from shotcraft.assembly.formats import otio_tree

        return otio_tree.read_timeline(path, adapter="otioz", what=self.reads_as)

    def write(self, timeline: Timeline, path: Path, options: Mapping[str, Any]) -> list[Path]:
        import opentimelineio as otio

        from shotcraft.assembly.formats import otio_tree

        tree = otio_tree.build(timeline, lambda media: Path(media).absolute().as_uri())
        with atomic_target(Path(path)) as temp:
            temp.unlink()  # the otioz adapter refuses to overwrite even its own empty temp
            try:
                otio.adapters.write_to_file(tree, str(temp), adapter_name="otioz")
            except otio.exceptions.OTIOError as exc:
                raise AssemblyError(f"cannot bundle {Path(path).name}: {exc}") from exc
        return [Path(path)]
