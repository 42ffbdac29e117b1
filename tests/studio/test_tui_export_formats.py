"""The studio's export screen offers what the format registry declares, and writes side files."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
from textual.widgets import Checkbox

from shotcraft.assembly import formats
from shotcraft.projects import Project
from shotcraft.studio.tui.app import make_app
from tests.projects.conftest import write_script
from tests.studio.test_tui_studio import SIZE, wait_for


async def test_export_screen_has_a_checkbox_per_format_and_writes_side_files_only(
    tmp_path: Path,
) -> None:
    project = Project.create(tmp_path / "proj", title="测试")
    project.import_script(write_script(tmp_path))
    shots = [s.id for s in project.shots(episode=1)]
    project.close()
    app = make_app(tmp_path / "proj")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("x")
        await pilot.pause()
        screen = app.screen
        assert screen.__class__.__name__ == "ExportScreen"
        boxes = {box.name: box for box in screen.query_one("#formats").query(Checkbox)}
        assert set(formats.names()) | {"bundle"} == set(boxes)

        screen.query_one("#video", Checkbox).value = False
        boxes["otio"].value = True
        boxes["edl"].value = True
        await pilot.press("ctrl+e")
        await app.workers.wait_for_complete()
        await wait_for(pilot, lambda: screen.result is not None, timeout=60)
        result = screen.result
    assert result.output is None
    exports = tmp_path / "proj" / "exports"
    assert sorted(p.name for p in exports.iterdir()) == ["episode-01.edl", "episode-01.otio"]
    loaded = otio.adapters.read_from_file(str(exports / "episode-01.otio"))
    assert [c.name for c in loaded.find_clips()] == shots  # no takes yet: every shot a slate
