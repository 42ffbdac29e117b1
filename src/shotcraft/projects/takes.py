"""Takes of a shot as the front-ends see them: ranked views, picks and rejects, and the
totals of takes and spend per shot, episode or project."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from pydantic import BaseModel
from sqlmodel import col, select

from shotcraft.projects.convert import shot_from_row, take_from_row
from shotcraft.projects.db import ShotRow, TakeRow
from shotcraft.projects.outdated import drawn_now, outdated
from shotcraft.projects.ranker import effective_score
from shotcraft.projects.scoring import IdentitySettings
from shotcraft.projects.store import Store
from shotcraft.ranking.metrics import rank_takes
from shotcraft.shots.errors import ProjectError, SpecError
from shotcraft.shots.models import CLIP_KINDS, MadeBy, RejectReason, Take, TakeKind, TakeStatus
from shotcraft.storyboard.models import Character


class TakeView(BaseModel):
    """A take as the front-ends show it: the take plus its rank and whether it is picked."""

    take: Take  # `take.score` is the effective total (learned weights when the ranker's are in use)
    fixed_score: float | None = None  # the stored total under the fixed weights
    rank: int | None = None
    picked: bool = False
    explanations: dict[str, str] = {}
    # what changed in the shot or its characters' references since the take was drawn
    # (projects/outdated.py); empty: the take matches its shot
    outdated: list[str] = []


class Totals(BaseModel):
    """Takes and spend of a shot, an episode or the whole project."""

    takes_done: int = 0
    takes_queued: int = 0
    takes_failed: int = 0
    seconds: float = 0.0
    credits: float = 0.0


def take_views(store: Store, shot_id: str, *, kind: TakeKind | None = None,
               score: Callable[[Take], float | None] | None = None) -> list[TakeView]:
    """Takes of a shot, ranked (rank 1 = best done take of its kind) by their effective total
    (`projects.ranker.effective_score`, or `score` when given), in take order. An outdated
    take (its shot or faces changed since it was drawn) ranks below every current one."""
    with store.db.read() as session:
        shot = session.get(ShotRow, shot_id)
        if shot is None:
            raise ProjectError(f"there is no shot {shot_id} in this project.")
        rows = session.exec(
            select(TakeRow).where(TakeRow.shot_id == shot_id).order_by(col(TakeRow.number))
        ).all()
    return _views(store, shot, rows, score or effective_score(store), kind)


def take_views_by_shot(store: Store, *, episode: int | None = None) -> dict[str, list[TakeView]]:
    """`take_views` of every live shot (of one episode), in two queries: what a storyboard grid
    shows on each card. A shot without takes maps to an empty list."""
    with store.db.read() as session:
        shot_q = select(ShotRow).where(ShotRow.archived == False)  # noqa: E712
        take_q = select(TakeRow).order_by(col(TakeRow.shot_id), col(TakeRow.number))
        if episode is not None:
            shot_q = shot_q.where(ShotRow.episode == episode)
            take_q = take_q.where(col(TakeRow.shot_id).in_(
                select(ShotRow.id).where(ShotRow.episode == episode)))
        shots = session.exec(shot_q).all()
        rows = session.exec(take_q).all()
    grouped: dict[str, list[TakeRow]] = {}
    for row in rows:
        grouped.setdefault(row.shot_id, []).append(row)
    score = effective_score(store)
    # the bible is read once for every shot's "drawn now" (outdated takes), not once a shot
    characters = store.characters() if any(row.drawn_from for row in rows) else []
    return {shot.id: _views(store, shot, grouped.get(shot.id, []), score, None, characters)
            for shot in shots}


def _views(store: Store, shot: ShotRow, rows: Sequence[TakeRow],
           score: Callable[[Take], float | None], kind: TakeKind | None,
           characters: list[Character] | None = None) -> list[TakeView]:
    takes = {row.number: _effective(take_from_row(row), score) for row in rows}
    now = drawn_now(store, shot_from_row(shot), characters) if any(
        r.drawn_from for r in rows) else {}
    stale = {row.number: outdated(row.drawn_from, now) for row in rows if row.drawn_from}
    views = []
    ranks: dict[int, int] = {}
    for take_kind in TakeKind:
        done = rank_takes([takes[r.number] for r in rows if r.kind == take_kind.value
                           and r.status == TakeStatus.DONE.value])
        current = [t for t in done if not stale.get(t.number)]
        for position, take in enumerate(current + [t for t in done if stale.get(t.number)],
                                        start=1):
            ranks[take.number] = position
    for row in rows:
        if kind is not None and row.kind != kind.value:
            continue
        picked = (row.number == shot.picked_take and row.kind in CLIP_KINDS) or (
            row.number == shot.picked_keyframe and row.kind == TakeKind.KEYFRAME.value
        )
        views.append(TakeView(
            take=takes[row.number], fixed_score=row.score, rank=ranks.get(row.number), picked=picked,
            explanations={k: str(v) for k, v in row.explanations.items()},
            outdated=stale.get(row.number, []),
        ))
    return views


def _effective(take: Take, score: Callable[[Take], float | None]) -> Take:
    effective = score(take)
    return take if effective == take.score else take.model_copy(update={"score": effective})


def pick(store: Store, shot_id: str, take_number: int, *, by: MadeBy = MadeBy.DIRECTOR) -> Take:
    """Pick a done take; a keyframe take becomes the first frame of later video takes.
    `by` records who picked (only the director's picks teach the ranker)."""
    with store.db.write() as session:
        shot = session.get(ShotRow, shot_id)
        if shot is None:
            raise ProjectError(f"there is no shot {shot_id} in this project.")
        row = session.exec(select(TakeRow).where(
            TakeRow.shot_id == shot_id, TakeRow.number == take_number)).first()
        if row is None:
            raise ProjectError(f"shot {shot_id} has no take {take_number}.")
        if row.status != TakeStatus.DONE.value:
            raise ProjectError(
                f"take {take_number} of {shot_id} is {row.status}; only a done take can be picked."
            )
        if row.kind == TakeKind.KEYFRAME.value:
            shot.picked_keyframe = take_number
        else:
            shot.picked_take = take_number
            shot.picked_by = by.value
        session.add(shot)
        return take_from_row(row)


def unpick(store: Store, shot_id: str) -> None:
    """Clear a shot's video pick."""
    with store.db.write() as session:
        shot = session.get(ShotRow, shot_id)
        if shot is None:
            raise ProjectError(f"there is no shot {shot_id} in this project.")
        shot.picked_take = None
        shot.picked_by = None
        session.add(shot)


class AutoPicks(BaseModel):
    """What `pick --auto` picked (shot → take number) and where identity changed its choice."""

    picked: dict[str, int] = {}
    notes: list[str] = []


def auto_pick(store: Store, *, episode: int | None = None,
              identity_threshold: float | None = None) -> AutoPicks:
    """Pick the top-ranked video take of every shot without a pick (ranked by the effective
    total: the learned weights once the ranker's are in use).

    A take whose identity is under the threshold (`SHOTCRAFT_IDENTITY_THRESHOLD`, 0.5) is passed
    over when another take of the shot reaches it — the best-ranked of those is picked, and a
    note says so; when none reaches it the top take is picked, with a note too. An outdated
    take (its shot or faces changed since it was drawn) is never picked; a shot with only
    outdated takes is left unpicked, with a note.
    """
    threshold = (identity_threshold if identity_threshold is not None
                 else IdentitySettings().checked().threshold)
    result = AutoPicks()
    score = effective_score(store)  # once: a pick made here must not refit mid-run
    for shot in store.shots(episode=episode):
        if shot.picked_take is not None:
            continue
        views = [v for v in take_views(store, shot.id, kind=TakeKind.VIDEO, score=score) if v.rank]
        ranked = sorted((v for v in views if not v.outdated), key=lambda v: v.rank or 0)
        if not ranked:
            if views:
                result.notes.append(
                    f"{shot.id}: not picked, every take is outdated ({', '.join(views[0].outdated)} "
                    "changed since they were drawn); draw it again.")
            continue
        choice = ranked[0]
        top_identity = choice.take.scores.get("identity")
        if top_identity is not None and top_identity < threshold:
            passing = [v for v in ranked if v.take.scores.get("identity", -1.0) >= threshold]
            if passing:
                choice = passing[0]
                result.notes.append(
                    f"{shot.id}: picked take {choice.take.number} (rank {choice.rank}) over take "
                    f"{ranked[0].take.number}, whose identity {top_identity:.2f} is under "
                    f"{threshold:g}."
                )
            else:
                result.notes.append(
                    f"{shot.id}: picked take {choice.take.number}, but no take's identity reaches "
                    f"{threshold:g} (best {max(v.take.scores.get('identity', 0.0) for v in ranked):.2f}); "
                    f"draw more takes or check the references."
                )
        pick(store, shot.id, choice.take.number, by=MadeBy.AUTO)
        result.picked[shot.id] = choice.take.number
    return result


def reject_reason(value: RejectReason | str | None) -> RejectReason | None:
    """A reject reason from what a director typed ("Face " reads as face); None stays None."""
    if value is None or isinstance(value, RejectReason):
        return value
    try:
        return RejectReason(value.strip().lower())
    except ValueError:
        raise SpecError(f"{value!r} is not a reject reason; use one of "
                        f"{', '.join(r.value for r in RejectReason)}.", field="reason") from None


def reject(store: Store, shot_id: str, take_number: int,
           reason: RejectReason | str | None = None, *, by: MadeBy = MadeBy.DIRECTOR) -> Take:
    """Throw a take away: it stays on disk and in the list, but never ranks or gets picked.

    Rejecting a rejected take again corrects its reason (a reason given replaces the stored
    one; none given keeps it)."""
    why = reject_reason(reason)
    with store.db.write() as session:
        row = session.exec(select(TakeRow).where(
            TakeRow.shot_id == shot_id, TakeRow.number == take_number)).first()
        if row is None:
            raise ProjectError(f"shot {shot_id} has no take {take_number}.")
        if row.status not in (TakeStatus.DONE.value, TakeStatus.REJECTED.value):
            raise ProjectError(f"take {take_number} of {shot_id} is {row.status}, not done.")
        row.status = TakeStatus.REJECTED.value
        row.rejected_by = by.value
        if why is not None:
            row.reject_reason = why.value
        session.add(row)
        shot = session.get(ShotRow, shot_id)
        if shot is not None and shot.picked_take == take_number and row.kind in CLIP_KINDS:
            shot.picked_take = None
            shot.picked_by = None
            session.add(shot)
        return take_from_row(row)


def unreject(store: Store, shot_id: str, take_number: int) -> Take:
    """Take a reject back: the take is done again (ranked, pickable) and its reason cleared."""
    with store.db.write() as session:
        row = session.exec(select(TakeRow).where(
            TakeRow.shot_id == shot_id, TakeRow.number == take_number)).first()
        if row is None:
            raise ProjectError(f"shot {shot_id} has no take {take_number}.")
        if row.status != TakeStatus.REJECTED.value:
            raise ProjectError(f"take {take_number} of {shot_id} is {row.status}, not rejected.")
        row.status = TakeStatus.DONE.value
        row.reject_reason = None
        row.rejected_by = None
        session.add(row)
        return take_from_row(row)


def totals(store: Store, *, shot_id: str | None = None, episode: int | None = None) -> Totals:
    """Takes and spend per shot or episode (or the whole project)."""
    query = select(TakeRow)
    with store.db.read() as session:
        if shot_id is not None:
            query = query.where(TakeRow.shot_id == shot_id)
        elif episode is not None:
            ids = select(ShotRow.id).where(ShotRow.episode == episode)
            query = query.where(col(TakeRow.shot_id).in_(ids))
        rows = session.exec(query).all()
    return _totals(rows)


def totals_by_shot(store: Store, *, episode: int | None = None) -> dict[str, Totals]:
    """One query for every shot's totals (the storyboard table needs them all at once)."""
    with store.db.read() as session:
        query = select(TakeRow)
        if episode is not None:
            ids = select(ShotRow.id).where(ShotRow.episode == episode)
            query = query.where(col(TakeRow.shot_id).in_(ids))
        rows = session.exec(query).all()
    grouped: dict[str, list[TakeRow]] = {}
    for row in rows:
        grouped.setdefault(row.shot_id, []).append(row)
    return {shot_id: _totals(group) for shot_id, group in grouped.items()}


def top_scores(store: Store) -> dict[str, float]:
    """The best score of a done take, per shot."""
    with store.db.read() as session:
        rows = session.exec(select(TakeRow.shot_id, TakeRow.score).where(
            TakeRow.status == TakeStatus.DONE.value, TakeRow.score != None)).all()  # noqa: E711
    best: dict[str, float] = {}
    for shot_id, score in rows:
        if score is not None and score > best.get(shot_id, -1.0):
            best[shot_id] = score
    return best


def _totals(rows: Iterable[TakeRow]) -> Totals:
    result = Totals()
    for row in rows:
        if row.status == TakeStatus.DONE.value or row.status == TakeStatus.REJECTED.value:
            result.takes_done += 1
        elif row.status in (TakeStatus.QUEUED.value, TakeStatus.RUNNING.value):
            result.takes_queued += 1
        elif row.status == TakeStatus.FAILED.value:
            result.takes_failed += 1
        result.seconds += row.cost_seconds or 0.0
        result.credits += row.cost_credits or 0.0
    return result
