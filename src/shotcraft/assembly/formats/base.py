"""The contract every export format keeps: a name, a file suffix, options, and `write`.

A format is declared once; the CLI flags (`export --format NAME`, one flag per option) and the
studio's export screen are built from these declarations, never from per-format code.
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

    @abstractmethod
    def write(self, timeline: Timeline, path: Path, options: Mapping[str, Any]) -> list[Path]:
        """Write `timeline` to `path` (complete or not at all); return every file written.

        An export writes every file into staging folders first (assembly.staging): `path`, the
        timeline's dialogue WAVs and `options["video"]` are where they are now; a file that
        names another file names it where it will be, `staging.final_path(path)`."""

    def path_for(self, episode_output: Path) -> Path:
        """Where this format goes for an episode exported to `episode_output` (named after it)."""
        stem = Path(episode_output).with_suffix("")
        return stem.with_name(f"{stem.name}{self.suffix}")

    def option_values(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """This format's options: what the user gave, defaults for the rest."""
        return {o.name: given[o.name] if given.get(o.name) is not None else o.default
                for o in self.options}
