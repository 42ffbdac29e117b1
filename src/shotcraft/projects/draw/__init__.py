"""Drawing takes: one typed request (`Draw`), its plan, and plan → execute → store.

One idea per module:

- `request`: `Draw`, the request, and `DRAW_OPTIONS`, its options declared once;
- `dispatch`: a Draw to its plan and to its takes, for every kind of draw;
- `plan`: build, check, price and budget the takes before anything is written;
- `batch`: the engine's request for a batch of takes of one shot;
- `queue`: takes waiting as jobs, claimed under a lease; `lease`: who holds them;
- `run`: the driver: executor batches in, files validated, stored, scored, registered;
- `events`: what a draw tells its front-end, and its summary;
- `until`: draw until good; `sheets`: character sheets; `lipsync`: lip-sync takes;
  `sequence`: consecutive shots as one task; `elements`: an engine's kept subjects.

`Project.plan(draw)` and `Project.draw(draw, on_event, cancel)` are the entry points.
"""

# only the request here: every module of the package imports this file first, so it stays light
from shotcraft.projects.draw.request import (
    DRAW_OPTIONS,
    OPTIONS,
    Draw,
    DrawOption,
    DrawUsageError,
    usage_line,
)

__all__ = ["DRAW_OPTIONS", "OPTIONS", "Draw", "DrawOption", "DrawUsageError", "usage_line"]
