"""Episode export: build the assembly Timeline from the storyboard and the picks, then run it.

A shot with no pick uses its top-ranked video take (AUTO); with no video take, its picked or
top keyframe still; with nothing at all, a slate card of the shot's duration (SLATE).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from shotcraft.assembly.episode import (
    ExportOptions,
    ExportResult,
    export_episode,
    parse_transition,
    planned_outputs,
    retime,
)
from shotcraft.assembly.presets import get_preset
from shotcraft.assembly.timeline import Alternate, Clip, ClipSource, Timeline
from shotcraft.projects.cleanup import sweep
from shotcraft.projects.media import frame_of
from shotcraft.projects.outdated import outdated_picks
from shotcraft.projects.paths import check_output
from shotcraft.projects.ranker import effective_score
from shotcraft.projects.store import Store
from shotcraft.projects.takes import TakeView, take_views
from shotcraft.projects.voices import speaker_voices
from shotcraft.shots.errors import DiskFullError, ProjectError, SpecError, disk_full
from shotcraft.shots.files import atomic_target
from shotcraft.shots.models import Shot, Take, TakeKind, TakeStatus


def build_timeline(store: Store, episode: int, *, warnings: list[str] | None = None) -> Timeline:
    """The episode's timeline: one clip per live shot, its picked (or best) take, alternates.

    A trimmed shot (import-edit) plays its take from `trim_in` for `trim_out − trim_in` frames;
    a trim the take no longer holds (the pick changed to a shorter take) is clamped to the take
    and said in `warnings`.
    """
    board = store.storyboard(episode=episode)
    if not board.episodes:
        raise ProjectError(f"there is no episode {episode} in this project.")
    ep = board.episodes[0]
    clips: list[Clip] = []
    score = effective_score(store)  # the ranker's picks and scores read once, not per shot
    for scene in ep.scenes:
        for shot in scene.shots:
            views = take_views(store, shot.id, score=score)
            chosen, source = choose_take(views)
            alternates = [
                Alternate(take=v.take.number, path=str(store.take_path(v.take)) if v.take.media_path else None,
                          frames=take_frames(v.take, store.fps),
                          score=v.take.score, seed=v.take.seed, engine=v.take.engine)
                for v in views
                if v.take.status == TakeStatus.DONE and (chosen is None or v.take.number != chosen.take.number)
            ]
            media = store.take_path(chosen.take) if chosen else None
            start, frames = shot_span(shot, chosen.take if chosen else None, store.fps, warnings)
            length = take_frames(chosen.take, store.fps) if chosen else None
            # a take shorter than its shot (kept when fit lengthened the shot) holds its last
            # frame: a still of it, from the project's frame store, for every format to show
            hold = frame_of(store.layout, media, "last") if (
                media is not None and length is not None and start + frames > length) else None
            clips.append(Clip(
                shot_id=shot.id, scene_id=scene.id, scene_heading=scene.heading,
                duration_frames=frames, source_start_frames=start, media=media,
                media_hash=Path(chosen.take.media_path).stem if chosen and chosen.take.media_path else None,
                media_frames=length, hold=hold,
                take=chosen.take.number if chosen else None, source=source,
                speaks=chosen is not None and chosen.take.kind is TakeKind.LIPSYNC,
                size=shot.size.value, framing=shot.framing, camera=shot.camera.move.value,
                action=shot.action,
                dialogue=shot.dialogue, alternates=alternates,
            ))
    if not clips:
        raise ProjectError(f"episode {episode} has no shots to export.")
    title = board.title or store.title
    return Timeline(title=title, episode=episode, fps=store.fps, clips=clips)


def take_frames(take: Take, fps: int) -> int | None:
    """The take's length in frames at `fps` (None: a still, or not probed)."""
    if take.kind == TakeKind.KEYFRAME or not take.duration_frames:
        return None
    if not take.fps or abs(take.fps - fps) < 0.01:
        return take.duration_frames
    return max(1, int(take.duration_frames * fps / take.fps + 1e-6))


def shot_span(shot: Shot, take: Take | None, fps: int,
              warnings: list[str] | None = None) -> tuple[int, int]:
    """(first frame of the take, frames on the timeline) for a shot: its trim, or (0, duration).

    A still or a slate has no frames to start at: a trim only sets its length.
    """
    if shot.trim_in is None or shot.trim_out is None or shot.trim_out <= shot.trim_in:
        return 0, shot.duration_frames
    start, end = shot.trim_in, shot.trim_out
    if take is None or (length := take_frames(take, fps)) is None:
        return 0, end - start
    if end > length:
        clamped_start = min(start, length - 1)
        if warnings is not None:
            warnings.append(
                f"{shot.id}: the trim to frames {start}–{end} runs past take {take.number} "
                f"({length} frames), so it plays frames {clamped_start}–{length}."
            )
        start, end = clamped_start, length
    return start, end - start


def choose_take(views: list[TakeView]) -> tuple[TakeView | None, ClipSource]:
    """The take a shot's clip uses: its picked clip, else the best video take, else its
    picked or best still; None (a slate) when it has no finished take."""
    done = [v for v in views if v.take.status == TakeStatus.DONE and v.take.media_path]
    picked_clip = [v for v in done if v.take.kind.moving and v.picked]  # a video or lip-sync pick
    if picked_clip:
        return picked_clip[0], ClipSource.PICKED
    for kind in (TakeKind.VIDEO, TakeKind.KEYFRAME):
        of_kind = [v for v in done if v.take.kind == kind]
        picked = [v for v in of_kind if v.picked]
        if picked:
            return picked[0], ClipSource.PICKED
        ranked = sorted((v for v in of_kind if v.rank is not None), key=lambda v: v.rank or 0)
        if ranked:
            return ranked[0], ClipSource.AUTO
    return None, ClipSource.SLATE


def export_options(**values: Any) -> ExportOptions:
    """Build export options from plain values (CLI flags, studio fields); a bad value is a
    SpecError naming the option."""
    try:
        return ExportOptions.model_validate({k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first.get("loc", ())) or None
        allowed = first.get("ctx", {}).get("expected")
        message = f"must be {allowed}" if allowed else first.get("msg", "invalid value")
        raise SpecError(f"{message}, not {first.get('input')!r}", field=field) from exc


def check_crossfade(timeline: Timeline, options: ExportOptions) -> None:
    """Refuse a crossfade longer than the shots it joins can give, naming the shortest shot:
    the export would otherwise shorten it quietly (every shot keeps one frame of its own)."""
    frames = parse_transition(options.transition)
    if frames == 0 or len(timeline.clips) < 2:
        return
    fps = get_preset(options.preset).fps
    clips = retime(timeline, fps).clips
    shortest = min(clips, key=lambda clip: clip.duration_frames)
    longest_fade = (shortest.duration_frames - 1) // 2
    if frames > longest_fade:
        fits = f"crossfade:{longest_fade} or less" if longest_fade >= 1 else "a cut"
        raise SpecError(
            f"a {frames}-frame crossfade ({frames / fps:.2f} s) is longer than shot "
            f"{shortest.shot_id} can give: it is {shortest.duration_frames} frames "
            f"({shortest.duration_frames / fps:.2f} s) and needs {2 * frames + 1} to fade in and "
            f"out; use {fits}, or lengthen the shot.",
            field="transition",
        )


def check_outputs(out: Path, options: ExportOptions, *, given: Path | None = None) -> None:
    """The output guard for an export to `out`: the MP4, every side file and folder it would
    write must stay out of the project's managed files and off the command's inputs (music,
    sound effects), and no two may be the same file. `given` is `-o` as typed (None: the
    default). Refused in one sentence before anything is written."""
    inputs = [("the music bed (--music)", Path(options.music))] if options.music else []
    inputs += [(f"the sound effect of {shot_id} (--sfx)", Path(path))
               for shot_id, path in options.sfx.items()]
    drafts = options.format_options.get("jianying_drafts")
    seen: dict[Path, tuple[str, bool]] = {}
    for label, path, folder in planned_outputs(out, options):
        if label == "the episode MP4" and given is not None:
            what = f"-o {given}"
        elif drafts and Path(path) == Path(drafts).expanduser():
            what = f"--jianying-drafts {drafts}"
        else:
            what = f"{label} {path}"
        resolved = check_output(path, what=what, inputs=inputs, folder=folder)
        if resolved in seen and not (folder and seen[resolved][1]):
            first = seen[resolved][0]
            raise SpecError(
                f"{first} is also where {label} would go ({path}): side "
                f"files are named after the MP4, so name it with .mp4 (e.g. "
                f"{out.with_suffix('.mp4').name}) or leave out that format.")
        seen.setdefault(resolved, (what, folder))


def export(
    store: Store, episode: int, options: ExportOptions | None = None, *, out: Path | None = None,
    progress: Callable[[str, float], None] | None = None, cancel: threading.Event | None = None,
) -> ExportResult:
    """Export an episode (default: exports/episode-NN.mp4); see assembly.episode."""
    sweep(store)  # what dead runs left (a full disk's truncated temps above all)
    options = options or export_options(language=store.language)
    if options.voice == "bible" and not options.voices:
        options = options.model_copy(update={"voices": speaker_voices(store)})
    # an outdated pick is said before anything is encoded (and kept in the result)
    warnings: list[str] = [pick.sentence() for pick in outdated_picks(store, episode=episode)]
    timeline = build_timeline(store, episode, warnings=warnings)
    check_crossfade(timeline, options)
    given = out
    if out is None:
        out = store.layout.exports / f"episode-{episode:02d}.mp4"
    elif not out.is_absolute():
        out = Path.cwd() / out
    check_outputs(out, options, given=given)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        result = export_episode(timeline, options, cache_dir=store.layout.cache, out_path=out,
                                progress=progress, cancel=cancel)
    except DiskFullError as exc:
        if exc.path is None or store.root not in (exc.path.resolve(), *exc.path.resolve().parents):
            raise
        raise disk_full(store.root) from exc  # the project, not its cache's temp folder
    result.warnings[:0] = warnings
    try:
        _record_picks(store, timeline)
    except OSError as exc:  # the export is whole; only reading an EDL back loses its guard
        result.warnings.append(f"could not note the takes this export played in "
                               f"{picks_record(store, episode)} ({exc.strerror or exc}); an EDL "
                               "or FCPXML edit of it cannot tell newer picks apart.")
    return result


def picks_record(store: Store, episode: int) -> Path:
    """Where the takes the episode's last export played are kept (cache/exports/)."""
    return store.layout.cache / "exports" / f"episode-{episode:02d}.json"


def _record_picks(store: Store, timeline: Timeline) -> None:
    """Keep the take each shot played in this export, so an edit read back from a format that
    does not carry them (EDL, FCPXML) can still tell a newer pick from an editor's switch."""
    with atomic_target(picks_record(store, timeline.episode)) as temp:
        temp.write_text(json.dumps({"picks": {c.shot_id: c.take for c in timeline.clips}},
                                   ensure_ascii=False), encoding="utf-8")


def last_exported_picks(store: Store, episode: int) -> dict[str, int | None] | None:
    """The take each shot played in the episode's last export (None: none recorded)."""
    try:
        picks = json.loads(picks_record(store, episode).read_text(encoding="utf-8"))["picks"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(picks, dict):
        return None
    return {str(shot): take if isinstance(take, int) else None for shot, take in picks.items()}
