"""The export formats shotcraft knows, by name; modules are imported only when asked for."""

from __future__ import annotations

from importlib import import_module

from shotcraft.assembly.formats.base import ExportFormat
from shotcraft.shots.errors import SpecError

# name → "module:Class", in the order the CLI help and the studio list them
_BUILTIN: dict[str, str] = {
    "otio": "shotcraft.assembly.formats.otio:OtioFormat",
    "otioz": "shotcraft.assembly.formats.otio:OtiozFormat",
    "fcpxml": "shotcraft.assembly.formats.fcpxml:FcpxmlFormat",
    "edl": "shotcraft.assembly.formats.edl:EdlFormat",
    "jianying": "shotcraft.assembly.formats.jianying:JianyingFormat",
    "srt": "shotcraft.assembly.formats.srt:SrtFormat",
    "sheet": "shotcraft.assembly.formats.sheet:SheetFormat",
}
_registered: dict[str, type[ExportFormat]] = {}


def register(format_class: type[ExportFormat]) -> type[ExportFormat]:
    """Add a format (usable as a class decorator); a later registration of a name replaces it."""
    _registered[format_class.name] = format_class
    return format_class


def names() -> list[str]:
    """Every known format name, built-in ones first."""
    return [*_BUILTIN, *(name for name in _registered if name not in _BUILTIN)]


def get(name: str) -> ExportFormat:
    """The format called `name`; an unknown name is a SpecError listing the known ones."""
    key = name.strip().lower()
    if key in _registered:
        return _registered[key]()
    if key not in _BUILTIN:
        raise SpecError(
            f"unknown export format {name!r}; the formats are {', '.join(names())}.",
            field="format",
        )
    module, _, attribute = _BUILTIN[key].partition(":")
    format_class: type[ExportFormat] = getattr(import_module(module), attribute)
    return format_class()


def formats() -> list[ExportFormat]:
    """Every known format, in listing order."""
    return [get(name) for name in names()]
