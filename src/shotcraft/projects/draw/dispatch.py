"""A `Draw` to its plan and to its takes: one entry for every kind of draw.

`plan(store, draw)` reads the project and writes nothing (also on a read-only project): what
would be drawn and spent, every request built and checked against its engine, held against the
budgets. `draw(store, draw, ...)` plans the same way, then queues and draws (projects/draw/
run.py: plan → execute → store). The kinds:

- shots, keyframes: the chosen shots (or the episode's, or every shot) — run.py;
- sheet: portraits of one character alone, as takes of its sheet — sheets.py;
- until: each shot a batch at a time until a take is good — until.py;
- lipsync: a video take of each shot re-animated to its lines, on an engine that lip-syncs —
  lipsync.py; every shot is checked before the first is sent;
- sequence: consecutive shots of one scene as one multi-shot task, split at the clip's cuts
  into one take per shot, on an engine that declares it (`Capabilities.multi_shot`) —
  sequence.py; drawn from this process (a sequence is one task), no executor.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from shotcraft.engine.executors import Executor, get_executor
from shotcraft.engine.protocol import Engine
from shotcraft.engine.registry import ENGINES, engines_for, get_engine
from shotcraft.engine.settings import EngineSettings
from shotcraft.projects.draw.events import EventFn, RenderSummary
from shotcraft.projects.draw.lipsync import lipsync_shots, lipsync_source
from shotcraft.projects.draw.plan import RenderPlan, hold_budget, plan_render
from shotcraft.projects.draw.request import Draw
from shotcraft.projects.draw.run import executor_kwargs, render
from shotcraft.projects.draw.sequence import draw_sequence, plan_sequence, shots_for
from shotcraft.projects.draw.sheets import ensure_sheet, sheet_to_plan
from shotcraft.projects.draw.until import plan_until, render_until
from shotcraft.projects.store import Store
from shotcraft.shots.errors import ConfigError, EngineError
from shotcraft.shots.models import TakeKind


def plan(store: Store, draw: Draw) -> RenderPlan:
    """What `draw` would draw and spend; nothing is written. Refusals raise as the draw would."""
    if draw.what == "until":
        result = plan_until(store, until=draw.until or 0.0, max_takes=draw.cap,
                            **_shots(store, draw), **_common(draw, with_kind=False))
        if draw.budget is not None and result.credits and result.credits > draw.budget:
            result.notes.append(f"the draw stops at its budget of {draw.budget:g} credits")
        return result
    if draw.what == "lipsync":
        return _lipsync(store, draw, dry_run=True).plan or RenderPlan(
            engine=draw.engine or "", kind=TakeKind.LIPSYNC)
    if draw.what == "sequence":
        name, engine = _sequence_engine(draw)
        result = plan_sequence(store, _sequence_ids(store, draw, engine), engine=engine,
                               engine_name=name, seed=draw.seed,
                               allow_downgrade=draw.allow_downgrade, params=dict(draw.params))[0]
        hold_budget(result, draw.budget)
        return result
    if draw.what == "sheet":
        engine_name, engine = _sheet_engine(draw)
        shot = sheet_to_plan(store, draw.character or "")
        result = plan_render(store, [shot], engine=engine, engine_name=engine_name,
                             kind=TakeKind.KEYFRAME, takes=draw.takes, seed=draw.seed,
                             options=_options(draw))
        hold_budget(result, draw.budget)
        return result
    summary = render(store, **_shots(store, draw), **_common(draw), dry_run=True,
                     budget=draw.budget)
    assert summary.plan is not None
    return summary.plan


def draw(store: Store, draw: Draw, *, on_event: EventFn | None = None,
         cancel: threading.Event | None = None, executor: Executor | None = None) -> RenderSummary:
    """Draw what `draw` asks for; `on_event` hears each take start, progress and end, `cancel`
    stops it after the takes in flight; `executor`, one already made, draws instead of the one
    `draw.executor` names. Returns the summary (an `UntilSummary` for until)."""
    run: dict[str, Any] = dict(on_event=on_event, cancel=cancel,
                               executor=executor or draw.executor_name,
                               executor_options=draw.executor_settings)
    if draw.what == "until":
        return render_until(store, until=draw.until or 0.0, max_takes=draw.cap,
                            budget=draw.budget, **_shots(store, draw),
                            **_common(draw, with_kind=False), **run)
    if draw.what == "lipsync":
        return _lipsync(store, draw, dry_run=False, **run)
    if draw.what == "sequence":
        name, engine = _sequence_engine(draw)
        return draw_sequence(store, _sequence_ids(store, draw, engine), engine=engine,
                             engine_name=name, seed=draw.seed,
                             allow_downgrade=draw.allow_downgrade, params=dict(draw.params),
                             on_event=on_event, cancel=cancel, budget=draw.budget)
    if draw.what == "sheet":
        engine_name, engine = _sheet_engine(draw)
        sheet = ensure_sheet(store, draw.character or "")
        common = _common(draw)
        common.update(engine=engine_name, loaded_engine=engine)
        return render(store, shot_ids=[sheet.id], budget=draw.budget, **common, **run)
    return render(store, **_shots(store, draw), **_common(draw), budget=draw.budget, **run)


def _engine_name(draw: Draw) -> str:
    return draw.engine or EngineSettings().default_engine


def _options(draw: Draw) -> dict[str, Any]:
    return {"allow_downgrade": draw.allow_downgrade, "params": dict(draw.params)}


def _common(draw: Draw, *, with_kind: bool = True) -> dict[str, Any]:
    common: dict[str, Any] = dict(
        engine=_engine_name(draw), takes=draw.takes, seed=draw.seed,
        allow_downgrade=draw.allow_downgrade, params=dict(draw.params) or None,
        engine_settings=dict(draw.engine_settings) or None)
    if with_kind:
        common["kind"] = draw.kind
    return common


def _shots(store: Store, draw: Draw) -> dict[str, Any]:
    """The shots of a shots or keyframes draw, as `render` takes them."""
    return {"shot_ids": list(draw.shots) or None, "episode": draw.episode}


def _sequence_engine(draw: Draw) -> tuple[str, Engine]:
    name = _engine_name(draw)
    return name, get_engine(name, **draw.engine_settings)


def _sequence_ids(store: Store, draw: Draw, engine: Engine) -> list[str]:
    """The shots a sequence draw names: its range, or for an open range as many shots from
    the first as one clip of `engine` holds."""
    return shots_for(store, draw.sequence_ids(), draw.sequence_first, engine)


def _sheet_engine(draw: Draw) -> tuple[str, Engine]:
    name = _engine_name(draw)
    engine = get_engine(name, **draw.engine_settings)
    if not engine.capabilities(TakeKind.KEYFRAME).keyframes:
        can = ", ".join(engines_for(TakeKind.KEYFRAME)) or "none is installed"
        raise EngineError(f"{name} cannot draw stills, so it cannot draw a character sheet; use "
                          f"an engine that draws keyframes ({can}).")
    return name, engine


def lipsync_engine(draw: Draw, parent_engine: str | None = None) -> str:
    """The engine that lip-syncs: the one named, else the engine that drew the video take (if
    it can), else the one installed engine that can; ConfigError in one sentence otherwise."""
    able = engines_for(TakeKind.LIPSYNC)
    if draw.engine is not None:
        if draw.engine not in able:
            ENGINES.load(draw.engine)  # an unknown name: the sentence listing what is installed
            raise ConfigError(f"{draw.engine} cannot lip-sync; the installed engines that can: "
                              f"{', '.join(able) or 'none'}.")
        return draw.engine
    if parent_engine in able:
        return parent_engine
    if len(able) == 1:
        return able[0]
    if not able:
        raise ConfigError("no installed engine can lip-sync (one declares TakeKind.LIPSYNC in "
                          "its kinds); install one, e.g. pip install 'shotcraft[kling]'.")
    raise ConfigError(f"several installed engines can lip-sync ({', '.join(able)}); name one "
                      "with --engine.")


def _lipsync(store: Store, draw: Draw, *, dry_run: bool, **run: Any) -> RenderSummary:
    """Lip-sync takes of the shots named (or of every dialogue shot of the episode that can
    be): each shot's video take and audio resolved and checked before the first is sent, then
    drawn shot by shot."""
    started = time.monotonic()
    if draw.engine is not None:
        lipsync_engine(draw)  # an engine that cannot lip-sync: said before the project is read
    if draw.episode is not None:
        name = lipsync_engine(draw)
        engine = get_engine(name, **draw.engine_settings)
        sources, skipped = lipsync_shots(store, draw.episode, engine)
        engines = {shot_id: (name, engine) for shot_id in sources}
    else:
        sources = {shot_id: lipsync_source(store, shot_id, from_take=draw.from_take)
                   for shot_id in draw.shots}
        skipped, engines, made = [], {}, {}
        for shot_id, source in sources.items():
            name = lipsync_engine(draw, source.get("video_engine"))
            if name not in made:
                made[name] = get_engine(name, **draw.engine_settings)
            engines[shot_id] = (name, made[name])
    summary = RenderSummary()
    merged: RenderPlan | None = None
    parts: list[tuple[str, dict[str, Any], RenderPlan]] = []
    for shot_id, source in sources.items():
        name, engine = engines[shot_id]
        planned = render(store, shot_ids=[shot_id], takes=draw.takes or 1, engine=name,
                      loaded_engine=engine, kind=TakeKind.LIPSYNC, lipsync=source,
                      engine_settings=dict(draw.engine_settings) or None, dry_run=True).plan
        assert planned is not None
        parts.append((shot_id, source, planned))
        if merged is None:
            merged = planned.model_copy(deep=True)
        else:
            merged.shots.extend(planned.shots)
            merged.notes.extend(planned.notes)
    if merged is None:
        merged = RenderPlan(engine=draw.engine or ", ".join(engines_for(TakeKind.LIPSYNC)),
                            kind=TakeKind.LIPSYNC)
    merged.skipped = list(skipped)
    hold_budget(merged, draw.budget)
    summary.plan = merged
    summary.budget_notes = list(merged.notes)
    if dry_run or not sources:
        return summary
    cancel = run.get("cancel") or threading.Event()
    executor, owned = _executor(run, engines)
    try:
        for shot_id, source, _part in parts:
            if cancel.is_set():
                break
            name, engine = engines[shot_id]
            part = render(store, shot_ids=[shot_id], takes=draw.takes or 1, engine=name,
                          loaded_engine=engine, kind=TakeKind.LIPSYNC, lipsync=source,
                          engine_settings=dict(draw.engine_settings) or None,
                          on_event=run.get("on_event"), cancel=cancel, executor=executor)
            summary.add(part)
    finally:
        if owned:
            executor.close()
    summary.executor = executor.name
    summary.cancelled = cancel.is_set()
    summary.seconds = time.monotonic() - started
    return summary


def _executor(run: dict[str, Any], engines: dict[str, tuple[str, Engine]]) -> tuple[Executor, bool]:
    """One executor for every shot of a lip-sync draw (a Ray cluster reached once)."""
    executor = run.get("executor")
    if isinstance(executor, Executor):
        return executor, False
    engine = next(iter(engines.values()))[1]
    return get_executor(executor, **executor_kwargs(executor, engine,
                                                      run.get("executor_options"))), True
