"""One error hierarchy for the whole product, and the one translation of everything else into it.

Every error a user can cause carries one clear sentence; the CLI prints it and exits 1, the
studio shows it as a notification. Lives in the lowest layer so every package can raise it.
`user_error` turns what the system raises (a locked or damaged database, a full disk, a denied
or missing path) into one of these; anything it does not know stays a bug.
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
import traceback
from pathlib import Path


class ShotcraftError(Exception):
    """Base error: a message a director can act on, and a short title for dialogs."""

    title = "shotcraft error"
    stderr_tail = ""  # what a tool printed (ffmpeg's last lines), for details and the copy key

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
        super().__init__(message)
        self.stderr_tail = stderr_tail


class MediaError(ShotcraftError):
    """A media file that is missing, undecodable or not what was expected."""

    title = "Media error"


class ProjectError(ShotcraftError):
    title = "Project error"


class ConfigError(ShotcraftError):
    title = "Configuration error"


class BudgetExceeded(ShotcraftError):
    title = "Budget reached"


class DatabaseBusyError(ProjectError):
    title = "Project busy"


class DamagedDatabaseError(ProjectError):
    title = "Damaged project"


class StorageError(ShotcraftError):
    """The file system refused: a full disk, a denied, read-only or missing path."""

    title = "Storage error"


class DiskFullError(StorageError):
    title = "Disk full"
    path: Path | None = None  # the folder the sentence names


class PermissionDeniedError(StorageError):
    title = "Permission denied"


class ReadOnlyError(StorageError):
    title = "Read-only"


class MissingFileError(StorageError):
    title = "File not found"


def user_error(exc: BaseException, *, project: str | Path | None = None) -> ShotcraftError | None:
    """The ShotcraftError a user should read for `exc`, or None when `exc` is a bug.

    `project` is the project folder, named in database errors (SQLite does not say which file).
    The original exception is kept as `__cause__` for `details`.
    """
    if isinstance(exc, ShotcraftError):
        return exc
    found = _database_error(exc, project)
    if found is None and isinstance(exc, OSError):
        found = _os_error(exc, project)
    if found is not None:
        found.__cause__ = exc
    return found


def details(error: BaseException) -> str:
    """The full text behind a one-line error: title, sentence, tool output and traceback."""
    parts = [f"{getattr(error, 'title', 'Unexpected error')}: {error}"]
    tail = getattr(error, "stderr_tail", "")
    if tail:
        parts.append(f"ffmpeg said:\n{tail}")
    original = error.__cause__ if isinstance(error, ShotcraftError) else error
    if original is not None and original.__traceback__ is not None:
        parts.append("".join(traceback.format_exception(original)).rstrip())
    return "\n\n".join(parts)


def read_only_error(folder: str | Path | None, *, doing: str | None = None) -> ReadOnlyError:
    """The one sentence for a project that cannot be written; `doing` names what was refused."""
    where = f"the project folder {folder}" if folder is not None else "the project database"
    refused = f"{doing} needs to write there, so " if doing else ""
    return ReadOnlyError(f"{where} is read-only; {refused}make it writable or copy the project elsewhere.")


def _database_error(exc: BaseException, project: str | Path | None) -> ShotcraftError | None:
    # SQLAlchemy wraps the driver's error as `.orig`; matched by duck type so this layer stays
    # free of SQLAlchemy
    orig = getattr(exc, "orig", None)
    driver = orig if isinstance(orig, sqlite3.Error) else exc
    if not isinstance(driver, sqlite3.Error):
        return None
    text = str(driver).lower()
    folder = Path(project) if project is not None else None
    db = folder / "shotcraft.db" if folder is not None else None
    named = f"the project database {db}" if db else "the project database"
    if "locked" in text or "busy" in text:
        return DatabaseBusyError(f"{named} is busy (another shotcraft is writing to it); try again.")
    if "readonly" in text or "read-only" in text:
        return read_only_error(folder)
    if "disk is full" in text or "disk full" in text:
        return disk_full(folder or Path.cwd())
    # a brim-full disk refuses SQLite's shared-memory file before any write: "disk I/O error"
    if "disk i/o error" in text and _free_bytes(folder or Path.cwd()) < _NEARLY_FULL:
        return disk_full(folder or Path.cwd())
    if "not a database" in text or "malformed" in text:
        return DamagedDatabaseError(
            f"{db or 'the project database'} is not a shotcraft database (damaged, or another file)."
        )
    if "unable to open database" in text:
        return StorageError(
            f"{named} cannot be opened: check that the folder exists and is writable."
        )
    return None


def _os_error(exc: OSError, project: str | Path | None) -> ShotcraftError | None:
    path = exc.filename if exc.filename is not None else project
    shown = str(path) if path is not None else "a file"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return disk_full(_disk_full_place(path, project))
    if exc.errno == errno.EROFS:
        return ReadOnlyError(f"{shown} is on a read-only file system.")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return PermissionDeniedError(f"permission denied: {shown}.")
    if exc.errno == errno.ENOENT:
        return MissingFileError(f"{shown} does not exist.")
    if exc.errno == errno.EISDIR:
        return StorageError(f"{shown} is a folder, not a file.")
    if exc.errno == errno.ENOTDIR:
        return StorageError(f"{shown} is not a folder.")
    return None


def is_disk_full(exc: BaseException) -> bool:
    """Whether `exc` is a full disk, by any route (OSError, SQLite, ffmpeg's "No space left")."""
    return isinstance(user_error(exc), DiskFullError)


def disk_full(path: str | Path) -> DiskFullError:
    """The one full-disk sentence: "the disk holding PATH is full: N MB free."."""
    error = DiskFullError(_disk_full(Path(path)))
    error.path = Path(path)
    return error


def _disk_full_place(path: str | Path | None, project: str | Path | None) -> Path:
    # the folder a director knows (the project) for a file inside it, else the path itself
    if path is None:
        return Path(project) if project is not None else Path.cwd()
    if project is not None:
        full, root = Path(path).resolve(), Path(project).resolve()
        if full == root or root in full.parents:
            return Path(project)
    return Path(path)


_NEARLY_FULL = 1_000_000  # bytes free under which a disk I/O error is the full disk's doing


def _free_bytes(path: Path) -> float:
    place = path
    while not place.exists() and place != place.parent:
        place = place.parent
    try:
        return shutil.disk_usage(place).free
    except OSError:
        return float("inf")


def _disk_full(path: Path) -> str:
    place = path
    while not place.exists() and place != place.parent:
        place = place.parent
    try:
        free = shutil.disk_usage(place).free / 1e6
    except OSError:
        return f"the disk holding {path} is full."
    return f"the disk holding {path} is full: {free:.0f} MB free."
