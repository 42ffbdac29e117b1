"""One error hierarchy for the whole product.

Every error a user can cause carries one clear sentence; the CLI prints it and exits 1, the
studio shows it as a notification. Lives in the lowest layer so every package can raise it.
"""

from __future__ import annotations

from pathlib import Path


class ShotcraftError(Exception):
    """Base error: a message a director can act on, and a short title for dialogs."""

    title = "shotcraft error"

    def __init__(self, message: str, *, title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if title is not None:
            self.title = title

    def __str__(self) -> str:
        return self.message


class ScriptError(ShotcraftError):
    """A script that cannot be parsed; names the file and the line."""

    title = "Script error"

    def __init__(self, message: str, *, file: str | Path | None = None, line: int | None = None) -> None:
        self.file = str(file) if file is not None else None
        self.line = line
        where = ""
        if self.file and line is not None:
            where = f"{self.file}, line {line}: "
        elif self.file:
            where = f"{self.file}: "
        elif line is not None:
            where = f"line {line}: "
        super().__init__(f"{where}{message}")
        self.reason = message


class SpecError(ShotcraftError):
    """A shot spec or setting with a bad field; names the field."""

    title = "Invalid value"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


class EngineError(ShotcraftError):
    title = "Engine error"


class AssemblyError(ShotcraftError):
    title = "Export error"

    def __init__(self, message: str, *, stderr_tail: str = "") -> None:
        self.stderr_tail = stderr_tail
        super().__init__(message)


class MediaError(ShotcraftError):
    """A media file that is missing, undecodable or not what was expected."""

    title = "Media error"


class ProjectError(ShotcraftError):
    title = "Project error"


class ConfigError(ShotcraftError):
    title = "Configuration error"


class BudgetExceeded(ShotcraftError):
    title = "Budget reached"
