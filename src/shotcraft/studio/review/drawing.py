"""Draw more takes of a shot from the review page: the price first (the CLI's dry run), then
the draw. The one place the page reaches the facade's draw entry points, through the same typed
request (`Draw`) the command line and the studio build."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from shotcraft.projects import Project
from shotcraft.projects.draw import Draw


def draw_more(project: Project, shot_id: str, takes: int, *, dry_run: bool,
              on_event: Callable[[Any], None] | None = None,
              cancel: threading.Event | None = None) -> Any:
    """`takes` more takes of `shot_id` on the default engine: with `dry_run` the plan (what it
    would draw and cost, nothing written), else the run's summary. A count out of range is the
    request's own sentence (SpecError naming `takes`)."""
    draw = Draw(shots=[shot_id], takes=takes)
    if dry_run:
        return project.plan(draw)
    return project.draw(draw, on_event=on_event, cancel=cancel)
