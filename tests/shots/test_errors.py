"""user_error: what the system raises, turned into one sentence with a title; bugs stay bugs."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.exc import DatabaseError, OperationalError

from shotcraft.shots import errors
from shotcraft.shots.errors import ProjectError, details, user_error


@pytest.mark.parametrize(("exc", "kind", "title", "sentence"), [
    (OperationalError("BEGIN", {}, sqlite3.OperationalError("database is locked")),
     errors.DatabaseBusyError, "Project busy",
     "the project database /p/shotcraft.db is busy (another shotcraft is writing to it); try again."),
    (OperationalError("INSERT", {}, sqlite3.OperationalError("attempt to write a readonly database")),
     errors.ReadOnlyError, "Read-only",
     "the project folder /p is read-only; make it writable or copy the project elsewhere."),
    (DatabaseError("SELECT", {}, sqlite3.DatabaseError("file is not a database")),
     errors.DamagedDatabaseError, "Damaged project",
     "/p/shotcraft.db is not a shotcraft database (damaged, or another file)."),
    (sqlite3.OperationalError("database is locked"), errors.DatabaseBusyError, "Project busy",
     "the project database /p/shotcraft.db is busy (another shotcraft is writing to it); try again."),
    (PermissionError(errno.EACCES, "Permission denied", "/p/media/x.mp4"),
     errors.PermissionDeniedError, "Permission denied", "permission denied: /p/media/x.mp4."),
    (OSError(errno.EPERM, "Operation not permitted", "/p/x"),
     errors.PermissionDeniedError, "Permission denied", "permission denied: /p/x."),
    (FileNotFoundError(errno.ENOENT, "No such file or directory", "/p/refs/a.png"),
     errors.MissingFileError, "File not found", "/p/refs/a.png does not exist."),
    (OSError(errno.EROFS, "Read-only file system", "/p/cache"),
     errors.ReadOnlyError, "Read-only", "/p/cache is on a read-only file system."),
])
def test_system_errors_become_one_sentence(exc: BaseException, kind: type, title: str, sentence: str) -> None:
    error = user_error(exc, project=Path("/p"))
    assert isinstance(error, kind) and error.title == title and error.message == sentence
    assert error.__cause__ is exc


def test_a_full_disk_names_the_free_space_of_the_nearest_existing_folder(tmp_path: Path) -> None:
    target = tmp_path / "not" / "yet" / "made.mp4"
    error = user_error(OSError(errno.ENOSPC, "No space left on device", str(target)))
    assert isinstance(error, errors.DiskFullError) and error.title == "Disk full"
    assert error.message.startswith(f"the disk holding {target} is full: ")
    assert error.message.endswith(" MB free.")


def test_shotcraft_errors_pass_through_and_bugs_stay_bugs() -> None:
    own = ProjectError("there is no shot X in this project.")
    assert user_error(own) is own
    assert user_error(ValueError("boom")) is None
    assert user_error(OSError(errno.EIO, "Input/output error")) is None
    assert user_error(sqlite3.OperationalError("no such table: shot")) is None


def test_details_hold_the_title_the_tool_output_and_the_traceback() -> None:
    try:
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", "/p/a.png")
    except FileNotFoundError as exc:
        error = user_error(exc)
    assert error is not None
    error.stderr_tail = "[mov @ 0x1] moov atom not found"
    text = details(error)
    assert text.startswith("File not found: /p/a.png does not exist.")
    assert "ffmpeg said:\n[mov @ 0x1] moov atom not found" in text
    assert "Traceback" in text and "FileNotFoundError" in text
