"""Whether `render --until SCORE` can be met: the best total an engine's takes reach on a shot.

A shot's takes are judged on its checks (the technical ones, motion against its camera move,
continuity after a picked previous shot, identity where its characters have references), each
weighted as the ranker weighs them now. A check scores at most 1, or less where the engine
knows its takes do no better (`Engine.score_ceilings`). An engine whose takes of one request
differ only in composition (`Capabilities.deterministic`, such as previz) draws one small probe
take first — never stored, never counted — and its checks' scores (plus a margin for what the
composition changes) are its ceilings. When the best total is under SCORE, no number of draws
would stop the shot, so the render is refused in one sentence before anything is drawn or paid.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from pathlib import Path

from pydantic import BaseModel

from shotcraft.engine.protocol import Engine, RenderRequest
from shotcraft.projects.draw.batch import request_for
from shotcraft.projects.draw.plan import first_seed
from shotcraft.projects.ranker import ranker_state
from shotcraft.projects.store import Store
from shotcraft.ranking.metrics import default_weights, score_take, weighted_total
from shotcraft.shots.errors import SpecError
from shotcraft.shots.models import Shot, TakeKind

PROBE_SHORT_SIDE = 270  # small enough to draw in about a second, large enough to read motion
PROBE_FRAMES = 60
MARGIN = 0.05  # what another seed's composition may add to a probed check
TECHNICAL = ("sharpness", "exposure", "black_frames", "frozen", "flicker", "cadence", "motion")


class Reach(BaseModel):
    """The best total a shot's takes can reach, and the checks that hold it under 1."""

    shot_id: str
    best: float
    limits: dict[str, float]  # check → the most it scores, for checks capped under 1


def reach(store: Store, shot: Shot, engine: Engine, weights: dict[str, float]) -> Reach:
    """The best total `engine`'s video takes of `shot` can reach under `weights`."""
    request, previous = request_for(store, shot, engine=engine, kind=TakeKind.VIDEO,
                                    seeds=[first_seed(shot.id)], take_numbers=[1], options={})
    checks = {name: 1.0 for name in TECHNICAL}
    if previous is not None:
        checks["continuity"] = 1.0
    if any(c.references for c in request.characters):
        checks["identity"] = 1.0  # measured where the face model is: it may reach 1
    if engine.capabilities(TakeKind.VIDEO).deterministic:
        for name, value in _probe(store, engine, request, shot, previous).items():
            checks[name] = min(checks.get(name, 1.0), value + MARGIN, 1.0)
    for name, ceiling in engine.score_ceilings(request).items():
        if name in checks:
            checks[name] = min(checks[name], ceiling)
    best = weighted_total(checks, weights)
    return Reach(shot_id=shot.id, best=best,
                 limits={name: value for name, value in checks.items() if value < 1.0})


def check_reachable(store: Store, shots: list[Shot], engine: Engine, engine_name: str,
                    until: float) -> None:
    """Refuse, in one sentence, an `until` that some shot's takes can never reach."""
    state = ranker_state(store)
    weights = dict(state.weights) if state.in_use else default_weights()
    short = [found for shot in shots
             if (found := reach(store, shot, engine, weights)).best < until]
    if not short:
        return
    first = short[0]
    shot = next(s for s in shots if s.id == first.shot_id)
    held = ", ".join(f"{name} at most {value:.2f}"
                     for name, value in sorted(first.limits.items(), key=lambda kv: kv[1]))
    move = shot.camera.move.value.replace("_", " ")
    others = f" (and {len(short) - 1} more shot{'s' if len(short) > 2 else ''})" if len(short) > 1 else ""
    ask = math.floor(min(r.best for r in short) * 100) / 100
    raise SpecError(
        f"{engine_name} takes of {first.shot_id}{others} cannot reach {until:g}: they score at "
        f"most {math.floor(first.best * 100) / 100:.2f} on its checks"
        + (f" ({held}, for a {move} {shot.camera.intensity:g})" if held else "")
        + f"; ask for --until {ask:.2f} or less, or draw on another engine.",
        field="until",
    )


def _probe(store: Store, engine: Engine, request: RenderRequest, shot: Shot,
           previous: Path | None) -> dict[str, float]:
    """The checks' scores of one small take of `request`, drawn into a temp folder and gone."""
    scale = min(1.0, PROBE_SHORT_SIDE / min(request.width, request.height))
    small = request.model_copy(update={
        "width": max(2, round(request.width * scale / 2) * 2),
        "height": max(2, round(request.height * scale / 2) * 2),
        "num_frames": min(request.num_frames, PROBE_FRAMES),
    })
    store.layout.work.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=".tmp-probe-", dir=store.layout.work))
    try:
        drawn = engine.render(small, out_dir=folder)
        take = next((t for t in drawn if t.path is not None and t.failed is None), None)
        if take is None or take.path is None:
            return {}
        scores = score_take(take.path, camera=shot.camera, previous_last_frame=previous)
        return scores.as_dict()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
