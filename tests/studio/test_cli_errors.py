"""Every error a user can cause is one sentence on stderr and exit 1, under real conditions."""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from shotcraft.projects import Project
from shotcraft.projects import db as project_db
from tests.projects.conftest import write_script
from tests.studio.conftest import invoke


def one_sentence(result: Any) -> str:
    """The single stderr line of a failed command, checked for exit 1 and no traceback."""
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith("error: ")
    return lines[0].removeprefix("error: ")


@pytest.fixture
def read_only_sqlite() -> Iterator[None]:
    """Every new SQLite connection refuses writes, as SQLite does for a read-only file.

    chmod does not stop root (CI runs as root), so this uses SQLite's own read-only mode
    (`PRAGMA query_only`), which raises the same "attempt to write a readonly database".
    """
    def refuse_writes(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA query_only=ON")

    event.listen(Engine, "connect", refuse_writes)
    try:
        yield
    finally:
        event.remove(Engine, "connect", refuse_writes)


def test_a_read_only_project_says_so(project_dir: Path, tmp_path: Path, read_only_sqlite: None) -> None:
    sentence = one_sentence(invoke("import", project_dir, write_script(tmp_path, name="v2.txt")))
    assert sentence == (f"the project folder {project_dir} is read-only; make it writable or copy "
                        "the project elsewhere.")


def test_a_locked_database_says_another_shotcraft_is_writing(
    project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(project_db, "BUSY_TIMEOUT_MS", 50)
    holder = sqlite3.connect(project_dir / "shotcraft.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = invoke("pick", project_dir, "E01-S01-001", "1")
    finally:
        holder.rollback()
        holder.close()
    assert one_sentence(result) == (f"the project database {project_dir / 'shotcraft.db'} is busy "
                                    "(another shotcraft is writing to it); try again.")


def test_a_missing_script_is_named(project_dir: Path, tmp_path: Path) -> None:
    sentence = one_sentence(invoke("import", project_dir, tmp_path / "missing.txt"))
    assert str(tmp_path / "missing.txt") in sentence and "not found" in sentence


def test_a_full_disk_says_how_much_is_free(
    project_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(src: Any, dst: Any, **_: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(dst))

    monkeypatch.setattr(shutil, "copyfile", full)  # importing keeps a copy of the script
    sentence = one_sentence(invoke("import", project_dir, write_script(tmp_path, name="v2.txt")))
    free = shutil.disk_usage(project_dir).free / 1e6
    # a file inside the project: the sentence names the project folder, as the director typed it
    assert sentence.startswith(f"the disk holding {project_dir} is full: ")
    assert sentence.endswith(" MB free.")
    assert abs(float(sentence.split(": ")[1].split()[0]) - free) < max(50, free * 0.05)


def test_a_damaged_database_is_not_a_shotcraft_database(project_dir: Path) -> None:
    (project_dir / "shotcraft.db").write_bytes(b"this is not sqlite" * 500)
    for leftover in project_dir.glob("shotcraft.db-*"):
        leftover.unlink()
    sentence = one_sentence(invoke("shots", project_dir))
    assert sentence == (f"{project_dir / 'shotcraft.db'} is not a shotcraft database (damaged, or "
                        "another file).")


def test_a_denied_path_is_named(project_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(src: Any, dst: Any, **_: Any) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(dst))

    monkeypatch.setattr(shutil, "copyfile", denied)
    sentence = one_sentence(invoke("import", project_dir, write_script(tmp_path, name="v2.txt")))
    assert sentence == f"permission denied: {project_dir / 'script' / 'v2.txt'}."


def test_message_text_is_printed_verbatim_not_as_markup(project_dir: Path) -> None:
    sentence = one_sentence(invoke("pick", project_dir, "E01[bold]x[/bold]", "1"))
    assert sentence == "there is no shot E01[bold]x[/bold] in this project."


def test_a_bug_is_one_line_saying_so_and_a_traceback_with_debug(
    project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: Project, **_: Any) -> None:
        raise ValueError("boom\nsecond line")

    monkeypatch.setattr(Project, "storyboard", broken)
    sentence = one_sentence(invoke("shots", project_dir))
    assert sentence.startswith("shotcraft hit a bug (ValueError: boom second line)")
    assert "SHOTCRAFT_DEBUG=1" in sentence
    monkeypatch.setenv("SHOTCRAFT_DEBUG", "1")
    with pytest.raises(ValueError, match="boom"):
        invoke("shots", project_dir)


def test_debug_adds_the_details_after_the_sentence(project_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOTCRAFT_DEBUG", "1")
    result = invoke("pick", project_dir, "E09-S01-001", "1")
    assert result.exit_code == 1
    first, *rest = result.stderr.strip().splitlines()
    assert first == "error: there is no shot E09-S01-001 in this project."
    assert rest and rest[0].startswith("Project error: ")


def test_usage_errors_still_exit_2(project_dir: Path) -> None:
    assert invoke("export", project_dir).exit_code == 2  # --episode is required


def test_script_text_with_brackets_is_printed_as_written(tmp_path: Path) -> None:
    from tests.projects.conftest import SCRIPT

    folder = tmp_path / "proj"
    created = invoke("new", folder, "--title", "[red]剧")
    assert created.exit_code == 0 and "created project [red]剧 in" in created.stdout
    script = write_script(tmp_path, SCRIPT.replace("你迟到了。", "[red]你迟到了[/red]"))
    assert invoke("import", folder, script).exit_code == 0
    result = invoke("shots", folder)
    assert result.exit_code == 0
    assert "[red]你" in result.stdout  # as written, not markup (the column cuts the rest)


def test_a_broken_clip_says_what_ffmpeg_said(project_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypisom" + os.urandom(2000))
    sentence = one_sentence(invoke("add-take", project_dir, "E01-S01-001", broken))
    assert "moov atom not found" in sentence, sentence
    assert "broken.mp4" in sentence
