"""The export formats installed, by name: the `shotcraft.formats` entry points (shots/plugins.py).

Each is an adapter that writes a timeline and, where the format can be read back, reads an
editor's edit of it (`ExportFormat.reads`, `read`), declared together as OpenTimelineIO's
adapters are, so export and import-edit cannot drift apart. Modules are imported only when
their format is asked for.
"""

from __future__ import annotations

from pathlib import Path

from shotcraft.assembly.formats.base import ExportFormat
from shotcraft.shots.errors import ConfigError, ProjectError, SpecError
from shotcraft.shots.plugins import PluginKind

# shotcraft's own, in the order the CLI help and the studio list them; others follow
FORMATS: PluginKind[ExportFormat] = PluginKind(
    "shotcraft.formats", "export format", ExportFormat,
    order=("otio", "otioz", "fcpxml", "edl", "jianying", "srt", "sheet"))


def register(format_class: type[ExportFormat]) -> type[ExportFormat]:
    """Add a format in code, as its entry point would (usable as a class decorator)."""
    FORMATS.add(format_class.name, format_class)
    return format_class


def names() -> list[str]:
    """Every installed format name, shotcraft's own first."""
    return FORMATS.names()


def get(name: str) -> ExportFormat:
    """The format called `name`; an unknown name is a SpecError (the `format` field) listing
    what is installed."""
    try:
        return FORMATS.make(name.strip().lower())
    except ConfigError as exc:
        raise SpecError(exc.message, field="format") from exc


def formats() -> list[ExportFormat]:
    """Every installed format, in listing order."""
    return [get(name) for name in names()]


def reader_for(path: Path) -> ExportFormat:
    """The format that reads `path` back (by its suffix); ProjectError naming the suffixes the
    installed formats read when none does."""
    suffix = Path(path).suffix.lower()
    readers = [fmt for fmt in formats() if fmt.reads]
    for fmt in readers:
        if suffix in fmt.reads:
            return fmt
    known = [s for fmt in readers for s in fmt.reads]
    listed = ", ".join(known[:-1]) + f" or {known[-1]}" if len(known) > 1 else "".join(known)
    raise ProjectError(f"{path} is not a timeline shotcraft reads back: use an {listed} file.")
