"""The studio shows an error's title and sentence, never a class name, and copies the full text."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static

from shotcraft.assembly.episode import ExportOptions
from shotcraft.projects import Project
from shotcraft.studio.tui.app import make_app
from shotcraft.studio.tui.screens.error import ErrorScreen
from tests.projects.conftest import write_script
from tests.studio.test_tui_studio import SIZE, wait_for

OPTIONS = ExportOptions(preset="vertical-720", subtitles="srt", transition="cut")


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    project = Project.create(tmp_path / "proj", title="测试")
    project.import_script(write_script(tmp_path))
    project.close()
    return tmp_path / "proj"


def shown(app: Any) -> list[tuple[str, str]]:
    return [(n.title, n.message) for n in app._notifications]


async def test_a_failed_export_shows_the_title_and_copies_the_full_text(project_dir: Path) -> None:
    app = make_app(project_dir)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        assert app.export_episode(9, OPTIONS)
        await wait_for(pilot, lambda: app.last_error is not None and bool(shown(app)), timeout=20)
        title, message = shown(app)[-1]
        assert title == "Export failed: Project error"
        assert message.startswith("there is no episode 9 in this project.")
        assert "ProjectError" not in title + message
        await pilot.press("e")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ErrorScreen)
        assert str(screen.query_one("#error-title", Static).render()) == "Project error"
        await pilot.press("c")
        await pilot.pause()
        assert app.clipboard == "Project error: there is no episode 9 in this project."
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ErrorScreen)


async def test_a_locked_database_in_a_worker_is_said_in_words(
    project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def locked(*_: Any, **__: Any) -> None:
        raise sqlite3.OperationalError("database is locked")

    app = make_app(project_dir)
    monkeypatch.setattr(app.project, "export", locked)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        assert app.export_episode(1, OPTIONS)
        await wait_for(pilot, lambda: app.last_error is not None and bool(shown(app)), timeout=20)
        title, message = shown(app)[-1]
        assert title == "Export failed: Project busy"
        assert message.startswith(f"the project database {project_dir / 'shotcraft.db'} is busy")
        assert "OperationalError" not in title + message
        await pilot.press("e", "c")
        await pilot.pause()
        assert app.clipboard.startswith("Project busy: the project database")
        assert "sqlite3.OperationalError: database is locked" in app.clipboard  # the traceback


async def test_a_bug_says_it_is_one_and_copies_the_traceback(
    project_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any, **__: Any) -> None:
        raise ValueError("boom")

    app = make_app(project_dir)
    monkeypatch.setattr(app.project, "pick", broken)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        assert app.guard(app.project.pick, "E01-S01-001", 1) is None
        await pilot.pause()
        title, message = shown(app)[-1]
        assert title == "Unexpected error"
        assert message.startswith("shotcraft hit a bug: boom.")
        await pilot.press("e", "c")
        await pilot.pause()
        assert "Traceback" in app.clipboard and "ValueError: boom" in app.clipboard


async def test_error_text_with_brackets_is_shown_verbatim(project_dir: Path) -> None:
    app = make_app(project_dir)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        assert app.guard(app.project.pick, "E01[b]x[/b]", 1) is None
        await pilot.pause()
        title, message = shown(app)[-1]
        assert title == "Project error"
        assert message.startswith("there is no shot E01[b]x[/b] in this project.")
        await pilot.press("e")
        await pilot.pause()
        body = str(app.screen.query_one("#error-message", Static).render())
        assert body == "there is no shot E01[b]x[/b] in this project."
