"""Export formats as plug-ins: each declares its name, suffix and options and writes a Timeline."""

from shotcraft.assembly.formats.base import ExportFormat, FormatOption
from shotcraft.assembly.formats.registry import formats, get, names, register

__all__ = ["ExportFormat", "FormatOption", "formats", "get", "names", "register"]
