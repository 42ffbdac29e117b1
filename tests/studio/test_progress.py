"""What the command line prints while takes render."""

from __future__ import annotations

from rich.console import Console

from shotcraft.projects.render import RenderEvent
from shotcraft.studio.progress import RenderProgress


def test_a_render_warning_is_printed_to_the_director() -> None:
    console = Console(record=True, width=200)
    with RenderProgress(console) as bar:
        bar.update(RenderEvent(kind="warning", shot_id="E01-S01-001",
                               message="E01-S01-001 take 1: the render lease could not be renewed"))
    assert "warning: E01-S01-001 take 1: the render lease could not be renewed" in console.export_text()
