"""What the command line prints while takes render."""

from __future__ import annotations

from rich.console import Console

from shotcraft.projects.draw.run import RenderEvent
from shotcraft.studio.progress import RenderProgress


def test_a_render_warning_is_printed_to_the_director() -> None:
    console = Console(record=True, width=200)
    with RenderProgress(console) as bar:
        bar.update(RenderEvent(kind="warning", shot_id="E01-S01-001",
                               message="E01-S01-001 take 1: the render lease could not be renewed"))
    assert "warning: E01-S01-001 take 1: the render lease could not be renewed" in console.export_text()


def test_an_import_shows_its_phase_only_once_it_runs_past_the_threshold() -> None:
    import io
    import time

    from shotcraft.studio.progress import ImportProgress

    quick = io.StringIO()
    with ImportProgress(Console(file=quick, force_terminal=True, width=100), after=60) as bar:
        for phase, done in (("parse", 0.0), ("breakdown", 0.15), ("write", 0.55), ("done", 1.0)):
            bar.update(phase, done)
    assert quick.getvalue() == ""  # a fast import prints nothing of its own

    slow = io.StringIO()
    with ImportProgress(Console(file=slow, force_terminal=True, width=100), after=0) as bar:
        bar.update("breakdown", 0.15)
        deadline = time.monotonic() + 10
        while "breaking it down into shots" not in slow.getvalue() and time.monotonic() < deadline:
            time.sleep(0.05)
    assert "breaking it down into shots" in slow.getvalue()
