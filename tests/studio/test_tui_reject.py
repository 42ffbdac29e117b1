"""Rejecting a take with a reason in one key on the studio's takes screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable

from shotcraft.projects import Project
from shotcraft.projects.draw import Draw
from shotcraft.shots.models import RejectReason, TakeStatus
from shotcraft.studio.tui.app import make_app
from shotcraft.studio.tui.screens.help import HelpScreen, key_table
from shotcraft.studio.tui.screens.takes import TakesScreen
from tests.projects.conftest import write_script
from tests.studio.test_tui_studio import wait_for

SIZE = (160, 48)
SHOT = "E01-S01-001"


@pytest.fixture
def project_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SHOTCRAFT_PREVIZ_SCALE", "0.1")
    project = Project.create(tmp_path / "proj", title="测试")
    project.import_script(write_script(tmp_path))
    project.draw(Draw(shots=[SHOT], takes=2))
    project.close()
    return tmp_path / "proj"


def status_cells(screen: TakesScreen) -> dict[int, str]:
    table = screen.query_one("#takes", DataTable)
    return {int(str(table.get_row_at(i)[0])): str(table.get_row_at(i)[3]) for i in range(table.row_count)}


def highlight(screen: TakesScreen, number: int) -> None:
    row = next(i for i, v in enumerate(screen.views) if v.take.number == number)
    screen.query_one("#takes", DataTable).move_cursor(row=row)


async def test_a_digit_rejects_the_highlighted_take_with_its_reason(project_dir: Path) -> None:
    app = make_app(project_dir)
    # every notification the studio posts, kept: a toast leaves the screen after a few seconds,
    # and on a loaded machine it can be gone before the test looks
    said: list[str] = []
    notify = app.notify

    def recording(message: str, *args: object, **kwargs: object) -> None:
        said.append(str(message))
        notify(message, *args, **kwargs)  # type: ignore[arg-type]

    app.notify = recording  # type: ignore[method-assign]
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("t")  # the takes of the first shot
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TakesScreen) and screen.shot_id == SHOT
        first = screen.current().take.number
        await pilot.press("4")  # motion
        await pilot.pause()
        take = next(v.take for v in app.project.takes(SHOT) if v.take.number == first)
        assert take.status is TakeStatus.REJECTED and take.reject_reason is RejectReason.MOTION
        assert status_cells(screen)[first] == "rejected: motion"
        # notify posts a message: wait for it rather than race it
        await wait_for(pilot, lambda: f"Rejected take {first} of {SHOT} (motion)." in said)

        # the rejected take sank below the ranked ones; back on it, the director corrects himself
        highlight(screen, first)
        await pilot.press("2")  # hands
        await pilot.pause()
        take = next(v.take for v in app.project.takes(SHOT) if v.take.number == first)
        assert take.reject_reason is RejectReason.HANDS
        assert status_cells(screen)[first] == "rejected: hands"

        other = next(n for n in status_cells(screen) if n != first)
        highlight(screen, other)
        await pilot.press("x")  # still a reject without a reason
        await pilot.pause()
        take = next(v.take for v in app.project.takes(SHOT) if v.take.number == other)
        assert take.status is TakeStatus.REJECTED and take.reject_reason is None
        assert status_cells(screen)[other] == "rejected"


async def test_the_footer_names_the_reason_keys_and_help_lists_each(project_dir: Path) -> None:
    app = make_app(project_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t")
        await pilot.pause()
        footer_keys = {b.key_display: b.description for _, b, *_ in app.screen.active_bindings.values()
                       if b.show}
        assert footer_keys.get("1-7") == "Reject: reason"
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = key_table(app.screen.under, app)
        for n, reason in enumerate(RejectReason, start=1):
            assert f"  {n}          Reject: {reason.value}" in text
        assert "Reject: reason" not in text
