"""The contract every export format keeps: a name, a file suffix, options, `write` — and, for
a format an editor's changes can come back in, the suffixes it `reads` and `read`.

A format is declared once, as an adapter (OpenTimelineIO's `adapters/adapter.py`: suffixes,
`read_from_file` and `write_to_file` together); the CLI flags (`export --format NAME`, one flag
per option), the studio's export screen and `import-edit` are built from these declarations,
never from per-format code. A format is a `shotcraft.formats` entry point.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel

from shotcraft.assembly.timeline import Timeline


class FormatOption(BaseModel):
    """One option a format takes; `name` is a Python identifier, its CLI flag `--name-with-dashes`."""

    name: str
    type: Literal["bool", "path"]
    default: Any = None
    help: str

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


class ExportFormat(ABC):
    """One export format. Subclasses set the class attributes and implement `write`."""

    name: ClassVar[str]
    suffix: ClassVar[str]  # appended to the episode's stem: ".otio", "-sheet.png"
    description: ClassVar[str]  # a few words for the CLI help and the studio's checkbox
    # True when it reads the encoded MP4: `options["video"]` is then its path, and
    # --no-video refuses the format
    needs_video: ClassVar[bool] = False
    options: ClassVar[tuple[FormatOption, ...]] = ()

    # the suffixes of files this format reads back for import-edit (empty: write only)
    reads: ClassVar[tuple[str, ...]] = ()
    reads_as: ClassVar[str] = ""  # what a sentence calls such a file: "FCPXML"

    @abstractmethod
    def write(self, timeline: Timeline, path: Path, options: Mapping[str, Any]) -> list[Path]:
        """Write `timeline` to `path` (complete or not at all); return every file written.

        An export writes every file into staging folders first (assembly.staging): `path`, the
        timeline's dialogue WAVs and `options["video"]` are where they are now; a file that
        names another file names it where it will be, `staging.final_path(path)`."""

    def read(self, path: Path, *, fps: int) -> Any:
        """An editor's edit of this format as an OpenTimelineIO timeline (`fps`: the project's,
        for formats that carry only timecode); ProjectError in one sentence naming the file
        when it cannot be read. Only formats with `reads` implement it."""
        raise NotImplementedError(f"the {self.name} format is not read back")

    def path_for(self, episode_output: Path) -> Path:
        """Where this format goes for an episode exported to `episode_output` (named after it)."""
        stem = Path(episode_output).with_suffix("")
        return stem.with_name(f"{stem.name}{self.suffix}")

    def targets(self, episode_output: Path, options: Mapping[str, Any]) -> list[tuple[Path, bool]]:
        """Every path `write` may create for an episode exported to `episode_output`, each
        with whether it is a folder; checked (the output guard) before anything is written."""
        return [(self.path_for(episode_output), False)]

    def option_values(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """This format's options: what the user gave, defaults for the rest."""
        return {o.name: given[o.name] if given.get(o.name) is not None else o.default
                for o in self.options}
