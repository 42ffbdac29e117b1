"""The studio's export screen offers what the format registry declares, and writes side files."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import opentimelineio as otio
import pytest
from textual.widgets import Checkbox, Input

from shotcraft.assembly import formats
from shotcraft.assembly.formats import ExportFormat, FormatOption, registry
from shotcraft.assembly.timeline import Timeline
from shotcraft.projects import Project
from shotcraft.studio.tui.app import make_app
from tests.plugins import added
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


class NotesFormat(ExportFormat):
    """A plug-in the studio has never heard of: shot ids to a text file, somewhere chosen."""

    name = "notes"
    suffix = "-notes.txt"
    description = "shot list"
    options = (FormatOption(name="notes_folder", type="path", help="Where the notes go."),
               FormatOption(name="loud", type="bool", default=False, help="Upper case."))

    def write(self, timeline: Timeline, path: Path, options: Mapping[str, Any]) -> list[Path]:
        target = Path(options["notes_folder"] or path.parent) / path.name
        text = "\n".join(clip.shot_id for clip in timeline.clips)
        target.write_text(text.upper() if options["loud"] else text.lower(), encoding="utf-8")
        return [target]


@pytest.fixture
def notes_format() -> Iterator[None]:
    """The notes format, installed for one test as a plugin's entry point would be."""
    with added(registry.FORMATS, "notes", NotesFormat):
        yield


@pytest.mark.usefixtures("notes_format")
async def test_a_registered_format_gets_its_checkbox_and_options_without_studio_code(
    tmp_path: Path
) -> None:
    project = Project.create(tmp_path / "proj", title="测试")
    project.import_script(write_script(tmp_path))
    shots = [s.id for s in project.shots(episode=1)]
    project.close()
    elsewhere = tmp_path / "notes"
    elsewhere.mkdir()
    app = make_app(tmp_path / "proj")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("x")
        await pilot.pause()
        screen = app.screen
        screen.query_one("#video", Checkbox).value = False
        screen.query_one("#format-notes", Checkbox).value = True
        screen.query_one("#option-loud", Checkbox).value = True
        screen.query_one("#option-notes_folder", Input).value = str(elsewhere)
        await pilot.press("ctrl+e")
        await app.workers.wait_for_complete()
        await wait_for(pilot, lambda: screen.result is not None, timeout=60)
    assert (elsewhere / "episode-01-notes.txt").read_text(encoding="utf-8").split() == shots
    assert not (tmp_path / "proj" / "exports").exists() or not any(
        (tmp_path / "proj" / "exports").iterdir())


async def test_export_screen_offers_the_character_voices(tmp_path: Path) -> None:
    from textual.widgets import Select

    project = Project.create(tmp_path / "proj", title="测试")
    project.import_script(write_script(tmp_path))
    project.close()
    app = make_app(tmp_path / "proj")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("x")
        await pilot.pause()
        screen = app.screen
        assert screen.options().voice == "none"  # no voice unless asked for
        screen.query_one("#voice", Select).value = "bible"
        assert screen.options().voice == "bible"


async def test_the_export_screen_offers_every_option_the_cli_has(tmp_path: Path) -> None:
    """Both are built from studio.options' declarations: each flag of `shotcraft export` is a
    widget here (the CLI's --otio/--sheet aliases are the format checkboxes), and what the
    screen holds becomes the same ExportOptions the CLI would build."""
    import typer
    from textual.widgets import Select

    from shotcraft.studio.cli import app as cli_app
    from shotcraft.studio.options import export_declarations

    command = typer.main.get_command(cli_app).commands["export"]  # type: ignore[attr-defined]
    cli_flags = {opt for param in command.params for opt in param.opts + param.secondary_opts}
    declared = export_declarations()
    for option in declared:
        assert set(option.flag.split("/")) <= cli_flags, option.flag
    assert cli_flags - {f for d in declared for f in (*d.flag.split("/"), d.short) if f} == {
        "directory", "--episode", "--json"}

    music = tmp_path / "bed.wav"
    music.write_bytes(b"RIFF")
    project = Project.create(tmp_path / "proj", title="测试")
    project.import_script(write_script(tmp_path))
    project.close()
    app = make_app(tmp_path / "proj")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("x")
        await pilot.pause()
        screen = app.screen
        for option in declared:
            if option.alias or option.kind == "formats":
                continue
            widget_id = f"option-{option.name}" if option.format_option else option.name
            assert screen.query_one(f"#{widget_id}") is not None, option.name
        screen.query_one("#voice", Select).value = "bible"
        screen.query_one("#subtitle_preset", Select).value = "kuaishou"
        screen.query_one("#music", Input).value = str(music)
        screen.query_one("#sfx", Input).value = "E01-S01-001=" + str(music)
        screen.query_one("#subtitle_size", Input).value = "54"
        screen.query_one("#output", Input).value = str(tmp_path / "cut" / "ep1.mp4")
        screen.query_one("#strict", Checkbox).value = True
        screen.query_one("#take_audio", Checkbox).value = False
        screen.query_one("#format-jianying", Checkbox).value = True
        values = screen.values()
    from shotcraft.studio.options import export_request

    options, output = export_request(values, language="zh")
    assert (options.voice, options.subtitle_preset, options.music, options.strict) == (
        "bible", "kuaishou", music, True)
    assert (options.subtitle_size, options.take_audio, options.formats) == (54, False, ["jianying"])
    assert options.sfx == {"E01-S01-001": music}
    assert output == tmp_path / "cut" / "ep1.mp4"
