"""The studio's characters screen: adding a reference runs the face check; each shows its check."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Static

from shotcraft.projects import Project
from shotcraft.studio.tui.app import make_app
from shotcraft.studio.tui.screens.characters import CharactersScreen
from tests.projects.conftest import write_script
from tests.projects.faces import FACES, two_faces
from tests.studio.test_tui_studio import SIZE, wait_for


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    project = Project.create(tmp_path / "proj", title="测试")
    project.import_script(write_script(tmp_path))
    project.close()
    return tmp_path / "proj"


def text_of(widget: Static) -> str:
    return str(widget.render())


def row_texts(table: DataTable) -> list[str]:
    return [" | ".join(str(cell) for cell in table.get_row_at(row)) for row in range(table.row_count)]


async def test_a_refused_reference_says_why_and_ctrl_f_keeps_it_without_identity_use(
    project_dir: Path, tmp_path: Path,
) -> None:
    pair = two_faces(tmp_path / "pair[1].png")  # "[1]" is a file name, not markup
    app = make_app(project_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, CharactersScreen))
        screen = app.screen
        await pilot.press("ctrl+o")
        screen.query_one("#ref-path", Input).value = str(pair)
        await pilot.press("enter")
        await pilot.pause()
        said = text_of(screen.query_one("#ref-check", Static))
        assert "pair[1].png shows 2 faces" in said and "Ctrl+F" in said
        assert screen.query_one("#refs", DataTable).row_count == 0
        assert app.project.character("林晚").references == []

        await pilot.press("ctrl+f")
        await pilot.pause()
        refs = screen.query_one("#refs", DataTable)
        assert row_texts(refs) == [f"{app.project.character('林晚').references[0]} | "
                                   "2 faces, one needed — not used for identity"]

        screen.query_one("#ref-path", Input).value = str(FACES / "obama.jpg")
        await pilot.press("enter")
        await pilot.pause()
        assert "usable" in row_texts(refs)[1] and "not used" not in row_texts(refs)[1]
        names = row_texts(screen.query_one("#characters", DataTable))
        assert any(row.startswith("林晚") and "2 (1 usable)" in row for row in names)
