"""Reading the edit back: what an editor changed in a timeline shotcraft exported.

The file (OTIO, .otioz, FCPXML or CMX 3600 EDL) is read by the export format that wrote it (its
adapter declares the suffixes it reads: assembly/formats), through OpenTimelineIO's adapters. Each
clip of the main video track (the first enabled video track) is matched to a shot and a take:
the take by its media file (takes are stored under their content hash, so a moved project or
a relinked copy still matches), the shot by `metadata["shotcraft"]["shot_id"]`, else by the
take's shot, else by the clip's name (`E01-S01-002` or `E01-S01-002 take 3`). The still that
holds a short take's last frame (`E01-S01-002 hold`) counts as the rest of that shot.

Compared with the episode as shotcraft would export it now:

- a clip playing another done take of its shot → that take becomes the pick;
- a clip whose source range differs → the shot's trim (`trim_in`, `trim_out`, frames of the take
  at the episode fps) is stored, and the next export plays those frames;
- shots removed or reordered, clips that are not shots of this episode, a take of another
  shot → reported, never applied (the storyboard's order is the script's, not the editor's);
- a shot whose pick moved after the export the edit was made from (OTIO timelines record the
  take each shot played, `metadata["shotcraft"]["picks"]`; for an EDL or FCPXML, which carry
  no such field, the episode's last export as recorded in cache/exports/) → reported and left
  alone, so an edit of an older export never reverts a newer pick; `force` applies the edit to
  it anyway.

Every change is applied in one transaction, touching only `shot.picked_take` (recorded as
picked by import-edit, which the ranker does not learn from), `trim_in` and `trim_out`; a
dry run computes the same list and writes nothing.
"""

from __future__ import annotations

import math
import re
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from pydantic import BaseModel, Field
from sqlmodel import select

from shotcraft.assembly.formats.registry import reader_for
from shotcraft.assembly.timeline import Clip, Timeline
from shotcraft.projects.convert import take_from_row
from shotcraft.projects.db import ShotRow, TakeRow
from shotcraft.projects.export import build_timeline, last_exported_picks, take_frames
from shotcraft.projects.store import Store
from shotcraft.shots.errors import ProjectError
from shotcraft.shots.models import CLIP_KINDS, MadeBy, Take, TakeStatus

if TYPE_CHECKING:
    import opentimelineio as otio

_CLIP_NAME = re.compile(r"^\s*(E\d+-S\d+-\d+)(?:\s+take\s+(\d+))?\s*$", re.IGNORECASE)
# the still of a short take's last frame that an export puts after it: part of the same shot
_HOLD_NAME = re.compile(r"^\s*(E\d+-S\d+-\d+)\s+hold\s*$", re.IGNORECASE)


class EditChange(BaseModel):
    """One change the edit makes to a shot: a new pick or a trim."""

    shot_id: str
    what: str  # "pick" or "trim"
    sentence: str
    take: int | None = None  # the new pick
    was_take: int | None = None
    trim_in: int | None = None  # the new trim; both None: untrimmed again
    trim_out: int | None = None
    was_trim_in: int | None = None
    was_trim_out: int | None = None


class EditReport(BaseModel):
    """What an edit said, for a shot or a clip, that is not applied."""

    shot_id: str | None = None
    sentence: str


class EditImport(BaseModel):
    """The result of reading an edit back: changes (applied unless a dry run) and reports."""

    file: Path
    episode: int
    changes: list[EditChange] = Field(default_factory=list)
    reported: list[EditReport] = Field(default_factory=list)
    applied: bool = False
    # shots picked anew after the export this edit was made from: left alone unless forced
    moved: list[str] = Field(default_factory=list)


class _Seen(BaseModel):
    """A main-track clip as matched: its shot, its take, its range in episode frames."""

    index: int  # 1-based position on the main track
    name: str
    shot_id: str | None
    take: int | None
    take_of: str | None  # the shot the media's take belongs to (may differ from shot_id)
    unknown_media: str | None  # a file that is no take of this project
    start: int
    frames: int


def import_edit(store: Store, file: Path, *, dry_run: bool = False,
                force: bool = False) -> EditImport:
    """Read `file`, list what the editor changed, and apply it in one transaction (unless
    `dry_run`). Shots picked anew since the export the edit was made from are left alone
    (`result.moved`) unless `force`. Raises ProjectError with one sentence naming the file for
    anything unreadable or foreign."""
    file = Path(file)
    timeline_file = _read(file, store.fps)
    seen = _match(store, timeline_file, file)
    episode = _episode(store, timeline_file, seen, file)
    current = build_timeline(store, episode)
    result = EditImport(file=file, episode=episode)
    exported, recorded = None, False
    if not force:
        exported = _exported_picks(timeline_file)
        if exported is None:  # an EDL or FCPXML: the episode's last export, as recorded here
            exported, recorded = last_exported_picks(store, episode), True
    _compare(store, current, seen, result, exported, recorded=recorded)
    if result.changes and not dry_run:
        _apply(store, result)
        result.applied = True
    return result


# -- reading -------------------------------------------------------------------------------


def _read(file: Path, fps: int) -> otio.schema.Timeline:
    """The edit in `file`, read by the export format whose adapter reads its suffix, once its
    size (and a bundle's count of files) is known to be an edit's."""
    reader = reader_for(file)
    if not file.is_file():
        raise ProjectError(f"{file} does not exist.")
    _check_size(file, reader.reads_as)
    timeline: otio.schema.Timeline = reader.read(file, fps=fps)
    return timeline


# an episode's edit is a few hundred KB of text; a timeline this big is damaged or no edit, and
# reading one costs memory many times its size
MAX_EDIT_BYTES = 32 * 1024 * 1024
MAX_BUNDLE_ENTRIES = 10_000


def _check_size(file: Path, kind: str) -> None:
    """Refuse a timeline (or, inside a bundle, its content.otio) over MAX_EDIT_BYTES, and a
    bundle of more than MAX_BUNDLE_ENTRIES files, before anything is read into memory."""
    limit = f"{MAX_EDIT_BYTES // (1024 * 1024)} MB"
    if kind != "OTIO bundle":
        size = file.stat().st_size
        if size > MAX_EDIT_BYTES:
            raise ProjectError(f"{file} is {size / 1e6:.0f} MB; an edit over {limit} is refused "
                               "(damaged, or not an edit).")
        return
    try:
        with zipfile.ZipFile(file) as bundle:
            entries = bundle.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ProjectError(f"{file} is not a readable {kind} ({exc}).") from exc
    if len(entries) > MAX_BUNDLE_ENTRIES:
        raise ProjectError(f"{file} holds {len(entries)} files; a bundle of more than "
                           f"{MAX_BUNDLE_ENTRIES} is refused (damaged, or not an edit).")
    content = next((e for e in entries if e.filename == "content.otio"), None)
    if content is not None and content.file_size > MAX_EDIT_BYTES:
        raise ProjectError(f"{file} holds a timeline that unpacks to {content.file_size / 1e6:.0f} "
                           f"MB; an edit over {limit} is refused (damaged, or not an edit).")


def _main_track(timeline: otio.schema.Timeline, file: Path) -> otio.schema.Track:
    import opentimelineio as otio  # read only here, for an edit: not at every command's start

    video: list[otio.schema.Track] = []
    for item in timeline.tracks:
        if isinstance(item, otio.schema.Stack):  # a nested stack of tracks: as it plays
            flat = _flatten(item)
            if flat is not None:
                video.append(flat)
        elif isinstance(item, otio.schema.Track) and item.kind == otio.schema.TrackKind.Video:
            video.append(item)
    enabled = [t for t in video if t.enabled]
    if not video or not _clips((enabled or video)[0]):
        raise ProjectError(f"{file} has no clips on a video track.")
    return (enabled or video)[0]


def _flatten(stack: otio.schema.Stack) -> otio.schema.Track | None:
    """A nested stack (an editor's compound clip) as one video track, with the editor's own
    semantics (OTIO's flatten_stack: where tracks overlap, the top-most enabled one plays),
    trimmed to the part of it the outer track uses; None when it holds no video."""
    import opentimelineio as otio

    tracks: list[otio.schema.Track] = []
    for item in stack:
        if isinstance(item, otio.schema.Stack):
            inner = _flatten(item)
            if inner is not None:
                tracks.append(inner)
        elif isinstance(item, otio.schema.Track) and item.kind == otio.schema.TrackKind.Video:
            tracks.append(item)
    tracks = [t for t in tracks if t.enabled]
    if not tracks:
        return None
    flat = otio.algorithms.flatten_stack(tracks)
    flat.kind = otio.schema.TrackKind.Video
    flat.enabled = stack.enabled
    if stack.source_range is not None:
        flat = otio.algorithms.track_trimmed_to_range(flat, stack.source_range)
    return flat


def _clips(track: otio.schema.Track) -> list[otio.schema.Clip]:
    """The clips a track plays, in order; nested stacks and tracks are read as they play."""
    import opentimelineio as otio

    found: list[otio.schema.Clip] = []
    for item in track:
        if isinstance(item, otio.schema.Clip):
            found.append(item)
        elif isinstance(item, otio.schema.Stack):
            flat = _flatten(item)
            if flat is not None:
                found.extend(_clips(flat))
        elif isinstance(item, otio.schema.Track):
            trimmed = (otio.algorithms.track_trimmed_to_range(item, item.source_range)
                       if item.source_range is not None else item)
            found.extend(_clips(trimmed))
    return found


def _media_name(clip: otio.schema.Clip) -> str | None:
    """The file name the clip's media reference points at (None: no file, e.g. a slate)."""
    reference = clip.media_reference
    url = getattr(reference, "target_url", None)
    if not url:
        return None
    parsed = urlparse(url)
    path = unquote(parsed.path) if parsed.scheme in ("file", "") else unquote(parsed.path or url)
    return Path(path.replace("\\", "/")).name or None


# the longest range an edit may give a clip: ten hours at 120 fps (no take is longer)
MAX_EDIT_FRAMES = 10 * 3600 * 120


def _frames(value: Any, fps: int, file: Path, label: str) -> int:
    """A clip's time in frames at `fps`; a time or rate that is not a finite number, or one
    beyond any take, is refused in one sentence naming the file and the clip."""
    rate, amount = float(value.rate), float(value.value)
    if not (math.isfinite(rate) and math.isfinite(amount)) or rate <= 0:
        raise ProjectError(f"{file} is not a readable edit: {label} has a time of {amount:g} at "
                           f"a rate of {rate:g}, which are not a finite time and rate.")
    frames = amount * fps / rate
    if abs(frames) > MAX_EDIT_FRAMES:
        raise ProjectError(f"{file} is not a readable edit: {label} reaches frame "
                           f"{frames:.0f}, beyond any take.")
    return round(frames)


def _match(store: Store, timeline: otio.schema.Timeline, file: Path) -> list[_Seen]:
    """Each main-track clip with the shot and take it is, as far as the file tells."""
    with store.db.read() as session:
        takes = session.exec(select(TakeRow).where(TakeRow.media_path != None)).all()  # noqa: E711
    by_name = {Path(row.media_path).name: row for row in takes if row.media_path}
    track = _main_track(timeline, file)
    seen: list[_Seen] = []
    for index, clip in enumerate(_clips(track), start=1):
        meta: Any = clip.metadata.get("shotcraft")
        meta = meta if hasattr(meta, "get") else {}
        held = _HOLD_NAME.match(clip.name or "")
        if meta.get("hold") or held:  # the held last frame of the clip before it
            shot_of_hold = meta.get("shot_id") or (held[1].upper() if held else None)
            if seen and seen[-1].shot_id == shot_of_hold:
                source = clip.source_range or clip.available_range()
                seen[-1].frames += _frames(source.duration, store.fps, file,
                                           f"clip {index} ({clip.name or 'unnamed'})")
            continue
        named = _CLIP_NAME.match(clip.name or "")
        media = _media_name(clip)
        row = by_name.get(media) if media else None
        take_of = row.shot_id if row else (named[1].upper() if named and named[2] else None)
        shot_id = meta.get("shot_id") or take_of or (named[1].upper() if named else None)
        take: int | None = None
        if row is not None:
            take = row.number
        elif named and named[2]:
            take = int(named[2])
        elif media is None and isinstance(meta.get("take"), int):
            take = meta["take"]  # no media: what the export said (a slate has none)
        source = clip.source_range or clip.available_range()
        label = f"clip {index} ({clip.name or 'unnamed'})"
        seen.append(_Seen(
            index=index, name=clip.name or "", shot_id=str(shot_id) if shot_id else None,
            take=take, take_of=take_of, unknown_media=media if media and row is None else None,
            start=_frames(source.start_time, store.fps, file, label),
            frames=_frames(source.duration, store.fps, file, label),
        ))
    return seen


def _episode(store: Store, timeline: otio.schema.Timeline, seen: list[_Seen], file: Path) -> int:
    """The episode the edit is of: its metadata, else the episode of the shots it names."""
    with store.db.read() as session:
        shots = {row.id: row.episode for row in session.exec(select(ShotRow)).all()}
    meta: Any = timeline.metadata.get("shotcraft")
    named = [shots[s.shot_id] for s in seen if s.shot_id in shots]
    if not named:
        raise ProjectError(
            f"{file} is not an edit of this project: none of its {len(seen)} clips is a shot "
            "or take of it."
        )
    if hasattr(meta, "get") and isinstance(meta.get("episode"), int):
        episode = int(meta["episode"])
        if episode not in set(shots.values()):
            raise ProjectError(f"{file} is an edit of episode {episode}, which this project does not have.")
        return episode
    return max(set(named), key=named.count)


# -- comparing -----------------------------------------------------------------------------


def _exported_picks(timeline: otio.schema.Timeline) -> dict[str, int | None] | None:
    """The take each shot played in the export the edit was made from (None: not recorded,
    e.g. an EDL, an FCPXML or an OTIO from before it was)."""
    meta: Any = timeline.metadata.get("shotcraft")
    picks: Any = meta.get("picks") if hasattr(meta, "get") else None
    if not hasattr(picks, "items"):
        return None
    return {str(shot): take if isinstance(take, int) else None for shot, take in picks.items()}


def _compare(store: Store, current: Timeline, seen: list[_Seen], result: EditImport,
             exported: dict[str, int | None] | None = None, *, recorded: bool = False) -> None:
    clips = {clip.shot_id: clip for clip in current.clips}
    with store.db.read() as session:
        shots = {row.id: row for row in session.exec(select(ShotRow)).all()}
        takes = {(row.shot_id, row.number): row for row in session.exec(select(TakeRow)).all()}
    report = result.reported.append
    order: list[str] = []
    for item in seen:
        label = f"clip {item.index} ({item.name or 'unnamed'})"
        if item.shot_id is None or item.shot_id not in shots:
            report(EditReport(sentence=f"{label} is not a shot of this project; not applied."))
            continue
        shot = shots[item.shot_id]
        if shot.episode != result.episode:
            report(EditReport(shot_id=shot.id, sentence=(
                f"{label} is a shot of episode {shot.episode}, not episode {result.episode}; "
                "not applied.")))
            continue
        if item.shot_id not in clips:
            report(EditReport(shot_id=shot.id, sentence=(
                f"{label}: shot {shot.id} is no longer in episode {result.episode} (split, merged "
                "or deleted since the export); not applied.")))
            continue
        if item.shot_id in order:
            report(EditReport(shot_id=shot.id, sentence=(
                f"{label}: {shot.id} appears again in the edit; only its first clip is read.")))
            continue
        order.append(item.shot_id)
        if item.unknown_media is not None:
            report(EditReport(shot_id=shot.id, sentence=(
                f"{label} plays {item.unknown_media}, which is not a take of this project; "
                "not applied.")))
            continue
        if item.take_of is not None and item.take_of != item.shot_id:
            report(EditReport(shot_id=shot.id, sentence=(
                f"{shot.id}: the edit plays take {item.take} of {item.take_of} there; not applied.")))
            continue
        now = clips[item.shot_id].take
        if (exported is not None and item.shot_id in exported and exported[item.shot_id] != now
                and item.take != now):  # an edit playing the pick reverts nothing
            then = exported[item.shot_id]
            was = f"take {then}" if then is not None else "no take"
            result.moved.append(shot.id)
            since = (f"episode {result.episode}'s last export" if recorded
                     else "this edit was exported")
            report(EditReport(shot_id=shot.id, sentence=(
                f"{shot.id}: take {now} was picked after {since} (with {was}); "
                "not applied, so the newer pick stays (--force applies the edit).")))
            continue
        _compare_clip(clips[item.shot_id], item, shot, takes, current.fps, result)
    _report_order([c.shot_id for c in current.clips], order, result)


def _compare_clip(clip: Clip, item: _Seen, shot: ShotRow, takes: dict[tuple[str, int], TakeRow],
                  fps: int, result: EditImport) -> None:
    take_number = clip.take
    row = takes.get((shot.id, item.take)) if item.take is not None else None
    if item.take is not None and item.take != clip.take:
        if row is None:
            result.reported.append(EditReport(shot_id=shot.id, sentence=(
                f"{shot.id}: the edit plays take {item.take}, which the shot does not have; "
                "not applied.")))
            return
        if row.status != TakeStatus.DONE.value or row.kind not in CLIP_KINDS:
            state = "a still" if row.kind not in CLIP_KINDS else row.status
            result.reported.append(EditReport(shot_id=shot.id, sentence=(
                f"{shot.id}: the edit plays take {item.take}, which is {state}; not applied.")))
            return
        was = f"take {clip.take}" if clip.take is not None else "no take"
        result.changes.append(EditChange(
            shot_id=shot.id, what="pick", take=item.take, was_take=shot.picked_take,
            sentence=f"{shot.id}: pick take {item.take} (was {was}).",
        ))
        take_number = item.take
    if (item.start, item.frames) == (clip.source_start_frames, clip.duration_frames):
        return
    if item.frames < 1 or item.start < 0:
        why = "gives it no frames" if item.frames < 1 else "starts before the take's first frame"
        result.reported.append(EditReport(shot_id=shot.id, sentence=(
            f"{shot.id}: the edit {why}; trim not applied.")))
        return
    end = item.start + item.frames
    chosen = takes.get((shot.id, take_number)) if take_number is not None else None
    available = take_frames(_as_take(chosen), fps) if chosen is not None else None
    if available is not None and end > available:
        result.reported.append(EditReport(shot_id=shot.id, sentence=(
            f"{shot.id}: the edit plays frames {item.start}–{end}, past the end of take "
            f"{take_number} ({available} frames); trim not applied.")))
        return
    untrimmed = item.start == 0 and item.frames == shot.duration_frames
    new_in, new_out = (None, None) if untrimmed else (item.start, end)
    if (new_in, new_out) == (shot.trim_in, shot.trim_out):
        return
    was = f"{clip.source_start_frames}–{clip.source_start_frames + clip.duration_frames}"
    sentence = (f"{shot.id}: untrimmed, frames 0–{end} (was {was})." if untrimmed
                else f"{shot.id}: trim to frames {item.start}–{end} (was {was}).")
    result.changes.append(EditChange(
        shot_id=shot.id, what="trim", trim_in=new_in, trim_out=new_out,
        was_trim_in=shot.trim_in, was_trim_out=shot.trim_out, sentence=sentence,
    ))


def _as_take(row: TakeRow) -> Take:
    return take_from_row(row)


def _report_order(planned: list[str], edited: list[str], result: EditImport) -> None:
    """Removed shots, and shots the edit moved, each in one sentence; none is applied."""
    for shot_id in planned:
        if shot_id not in edited:
            result.reported.append(EditReport(
                shot_id=shot_id, sentence=f"{shot_id} was removed in the edit; not applied."))
    position = {shot_id: i for i, shot_id in enumerate(planned)}
    kept = [s for s in edited if s in position]
    expected = sorted(kept, key=position.__getitem__)
    if kept == expected:
        return
    moved_places = [i for i, (a, b) in enumerate(zip(kept, expected, strict=True)) if a != b]
    if len(moved_places) == 2 and kept[moved_places[0]] == expected[moved_places[1]]:
        first, second = expected[moved_places[0]], expected[moved_places[1]]
        result.reported.append(EditReport(
            shot_id=first, sentence=f"{first} and {second} were swapped in the edit; not applied."))
        return
    stay = set(_longest_in_order(kept, position))
    for index, shot_id in enumerate(kept):
        if shot_id not in stay:
            after = f"after {kept[index - 1]}" if index else "first"
            result.reported.append(EditReport(
                shot_id=shot_id, sentence=f"{shot_id} was moved ({after}) in the edit; not applied."))


def _longest_in_order(kept: list[str], position: dict[str, int]) -> list[str]:
    """The longest run of shots (not necessarily adjacent) still in the storyboard's order."""
    best: list[list[str]] = []
    for shot_id in kept:
        candidates = [run for run in best if position[run[-1]] < position[shot_id]]
        longest = max(candidates, key=len, default=[])
        best.append([*longest, shot_id])
    return max(best, key=len, default=[])


# -- applying ------------------------------------------------------------------------------


def _apply(store: Store, result: EditImport) -> None:
    """Write every change in one transaction; a shot changed meanwhile fails it, whole."""
    with store.db.write() as session:
        for change in result.changes:
            row = session.get(ShotRow, change.shot_id)
            if row is None or row.archived:
                raise ProjectError(
                    f"shot {change.shot_id} changed while the edit was read, so nothing was applied."
                )
            if change.what == "pick":
                if row.picked_take != change.was_take:
                    raise ProjectError(
                        f"the pick of {change.shot_id} changed while the edit was read, so "
                        "nothing was applied."
                    )
                row.picked_take = change.take
                row.picked_by = MadeBy.IMPORT_EDIT.value  # the editor's, not the director's eye
            else:
                if (row.trim_in, row.trim_out) != (change.was_trim_in, change.was_trim_out):
                    raise ProjectError(
                        f"the trim of {change.shot_id} changed while the edit was read, so "
                        "nothing was applied."
                    )
                row.trim_in, row.trim_out = change.trim_in, change.trim_out
            session.add(row)


__all__ = ["EditChange", "EditImport", "EditReport", "import_edit"]
