"""The engine's request for a batch of takes of one shot, built and checked.

The plan builds it before anything is queued (to check and price it), and the driver builds it
again when it claims the batch, so both hold the same request to the engine: a character
sheet's prompt for the take's view, a lip-sync take's video and audio, a chained shot's
previous frame, the kept element ids.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlmodel import select

from shotcraft.engine.protocol import Engine, RenderRequest
from shotcraft.engine.request import build_request
from shotcraft.engine.settings import render_size, scaled_size
from shotcraft.projects.convert import scene_from_row
from shotcraft.projects.db import SceneRow, ShotRow, TakeRow
from shotcraft.projects.draw.elements import with_elements
from shotcraft.projects.draw.lipsync import lipsync_request
from shotcraft.projects.draw.sheets import is_sheet, sheet_for_take
from shotcraft.projects.neighbours import previous_last_frame
from shotcraft.projects.store import Store
from shotcraft.shots.models import Shot, TakeKind


def request_for(
    store: Store, shot: Shot, *, engine: Engine, kind: TakeKind, seeds: list[int],
    take_numbers: list[int], options: dict[str, Any],
) -> tuple[RenderRequest, Path | None]:
    """The checked request for these takes of `shot`, and the previous shot's last frame.

    Used by the plan (before queueing) and by the driver (when a batch is claimed), so both
    hold the same request to the engine.
    """
    if kind is TakeKind.LIPSYNC:  # a video take of the shot and its lines, planned beforehand
        request = lipsync_request(store, shot, seeds=seeds, take_numbers=take_numbers,
                                  options=options)
        engine.check(request)
        return request, None
    if is_sheet(shot.id):  # a character sheet's prompt depends on the take's view
        shot = sheet_for_take(store, shot, take_numbers[0])
    with store.db.read() as session:
        shot_row = session.get(ShotRow, shot.id)
        scene_row = session.get(SceneRow, shot_row.scene_id) if shot_row else None
    params = dict(options.get("params") or {})
    width, height = scaled_size(*render_size(store.aspect), engine.capabilities(kind).scale)
    width, height = int(params.get("width", width)), int(params.get("height", height))
    previous_last, previous_missing = previous_last_frame(store, shot)
    request = build_request(
        shot, engine=engine, kind=kind, seeds=seeds, take_numbers=take_numbers,
        width=width, height=height, fps=store.fps, aspect=store.aspect, project_dir=store.root,
        scene=scene_from_row(scene_row) if scene_row else None,
        characters=[c for c in store.characters() if c.name in shot.characters],
        previous_last_frame=previous_last, previous_frame_missing=previous_missing,
        picked_keyframe=(_picked_keyframe(store, shot_row)
                         if kind is TakeKind.VIDEO and shot_row is not None else None),
        allow_downgrade=bool(options.get("allow_downgrade")), params=params,
    )
    request = with_elements(store, engine, request)  # the kept element ids, where still current
    engine.check(request)
    return request, previous_last


def _picked_keyframe(store: Store, shot_row: ShotRow) -> Path | None:
    if shot_row.picked_keyframe is None:
        return None
    with store.db.read() as session:
        take = session.exec(select(TakeRow).where(
            TakeRow.shot_id == shot_row.id, TakeRow.number == shot_row.picked_keyframe)).first()
    if take is None or not take.media_path:
        return None
    return store.layout.resolve(take.media_path)
