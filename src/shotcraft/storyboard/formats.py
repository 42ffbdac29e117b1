"""Script formats as plugins: each reads one kind of script file into a `Script`.

A format is a `ScriptReader` declared as a `shotcraft.scripts` entry point (shots/plugins.py):
its name (`import --format NAME`), the file suffixes that are always it, how sure it is that a
text is written in it (`detect`), and `parse`. shotcraft's own are Fountain and the Chinese 剧本
(storyboard/readers.py); another distribution adds one without editing shotcraft.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from shotcraft.shots.plugins import PluginKind
from shotcraft.storyboard.script import Script


class ScriptReader(ABC):
    """One script format (see the module docstring)."""

    name: ClassVar[str]
    suffixes: ClassVar[tuple[str, ...]] = ()  # a file with one of these is this format
    description: ClassVar[str] = ""

    def detect(self, text: str) -> int:
        """How sure this format is that `text` is written in it: 0 not at all; the surest
        format reads the script (ties: the first listed)."""
        return 0

    @abstractmethod
    def parse(self, text: str, *, path: str | None = None) -> Script:
        """The script in `text` (newlines already LF; `path` for error messages); ScriptError
        naming the file and line for what cannot be read."""


SCRIPTS: PluginKind[ScriptReader] = PluginKind("shotcraft.scripts", "script format", ScriptReader,
                                               order=("fountain", "juben"))


def names() -> list[str]:
    """The installed script formats, shotcraft's own first."""
    return SCRIPTS.names()


def get(name: str) -> ScriptReader:
    """The script format called `name`; ConfigError listing what is installed."""
    return SCRIPTS.make(name)


def detect(text: str, suffix: str | None = None) -> str:
    """The name of the format a script needs: the one its suffix names, else the surest."""
    readers = [get(name) for name in names()]
    if suffix:
        for reader in readers:
            if suffix.lower() in reader.suffixes:
                return reader.name
    best = max(readers, key=lambda reader: reader.detect(text))  # first of the surest
    return best.name
