"""The stable --json shapes and the export summary table (documented in the README)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from shotcraft.projects import Project, TakeView, Totals
from shotcraft.storyboard.models import Storyboard


def shots_json(board: Storyboard, totals: dict[str, Totals]) -> dict[str, Any]:
    return {
        "project": {"title": board.title, "fps": board.fps, "aspect": board.aspect},
        "episodes": [
            {
                "number": ep.number,
                "title": ep.title,
                "scenes": [
                    {
                        "id": scene.id,
                        "heading": scene.heading,
                        "location": scene.location,
                        "time": scene.time,
                        "interior": scene.interior,
                        "characters": scene.characters,
                        "shots": [shot_json(shot, totals.get(shot.id), board.fps)
                                  for shot in scene.shots],
                    }
                    for scene in ep.scenes
                ],
            }
            for ep in board.episodes
        ],
    }


def shot_json(shot: Any, totals: Totals | None, fps: int | None = None) -> dict[str, Any]:
    """One shot as `shots --json` and `shot --json` give it."""
    return {
        "id": shot.id,
        "kind": shot.kind.value,
        "size": shot.size.value,
        "framing": shot.framing,  # "OTS MCU", "2S MS", "INS CU", or the size
        "camera": {"move": shot.camera.move.value, "intensity": shot.camera.intensity},
        "angle": shot.angle.value if shot.angle else None,
        "duration_frames": shot.duration_frames,
        **({"duration_seconds": round(shot.duration_frames / fps, 3)} if fps else {}),
        "characters": shot.characters,
        "action": shot.action,
        "dialogue": [
            {"speaker": d.speaker, "text": d.text, "parenthetical": d.parenthetical,
             "mode": d.mode.value if d.mode else None}
            for d in shot.dialogue
        ],
        "prompt": shot.prompt,
        # "hand": the director wrote it and it is kept; "composed": made from the spec
        "prompt_source": "hand" if shot.prompt_by_hand else "composed",
        "negative_prompt": shot.negative_prompt,
        "notes": shot.notes,
        "picked_take": shot.picked_take,
        # who made the pick: director, auto or import-edit (None: not recorded, or no pick)
        "picked_by": shot.picked_by.value if shot.picked_by else None,
        # an editor's trim read back by import-edit: frames [in, out) of the take
        "trim": {"in": shot.trim_in, "out": shot.trim_out} if shot.trim_out is not None else None,
        "takes": (totals or Totals()).model_dump(),
    }


def takes_json(project: Project, views: list[TakeView]) -> list[dict[str, Any]]:
    status_names = {"queued", "running", "done", "failed"}
    rows = []
    for view in views:
        take = view.take
        status = take.status.value
        rows.append({
            "take": take.number,
            "kind": take.kind.value,
            "parent_take": take.parent_take,  # a lip-sync take: the video take it re-animates
            "audio_hash": take.audio_hash,  # a lip-sync take: SHA-256 of the audio it speaks
            "seed": take.seed,
            "engine": take.engine,
            "status": status if status in status_names else "done",
            "rejected": status == "rejected",
            "reject_reason": take.reject_reason.value if take.reject_reason else None,
            "reason": take.reason,
            "path": str(project.take_path(take)) if take.media_path else None,
            "duration_frames": take.duration_frames,
            "width": take.width,  # the file's own size and rate, e.g. Kling std's 720×1280
            "height": take.height,
            "fps": take.fps,
            "scores": take.scores,
            "explanations": view.explanations,
            "score": take.score,  # effective: the learned weights' total when they are in use
            "fixed_score": view.fixed_score,  # the total under the fixed weights, as stored
            "rank": view.rank,
            "picked": view.picked,
            "cost_seconds": take.cost_seconds,
            "cost_credits": take.cost_credits,
            "downgrades": take.downgrades,
            # what changed in the shot or its faces since it was drawn; [] when current
            "outdated": bool(view.outdated),
            "outdated_changes": list(view.outdated),
        })
    return rows


def plan_json(plan: Any) -> dict[str, Any]:
    """`render --dry-run --json`: the plan, shot by shot."""
    return {
        "engine": plan.engine, "kind": plan.kind.value, "takes": plan.takes,
        "resumed": plan.resumed, "credits": plan.credits, "notes": list(plan.notes),
        "shots": [
            {"shot_id": e.shot_id, "takes": e.takes, "take_numbers": e.take_numbers,
             "seeds": e.seeds, "width": e.width, "height": e.height,
             "credits_per_take": e.credits_per_take, "credits": e.credits,
             "downgrades": e.downgrades, "notes": e.notes}
            for e in plan.shots
        ],
    }


def until_json(summary: Any) -> dict[str, Any]:
    """`render --until --json`: the rule that stopped each shot, and the run's counts."""
    return {
        "until": summary.until, "max_takes": summary.max_takes, "done": summary.done,
        "failed": summary.failed, "resumed": summary.resumed, "cancelled": summary.cancelled,
        "seconds": round(summary.seconds, 3), "budget_notes": list(summary.budget_notes),
        "shots": [
            {"shot_id": s.shot_id, "takes": s.takes, "drawn": s.drawn, "best_take": s.best_take,
             "best_score": s.best_score, "stopped_by": s.stopped_by, "sentence": s.sentence}
            for s in summary.shots
        ],
    }


def export_json(result: Any) -> dict[str, Any]:
    return result.model_dump(mode="json")


def print_export_summary(console: Console, result: Any) -> None:
    # Text, never markup: the output path is the user's (-o "[x].mp4")
    title = str(result.output) if result.output else "side files only (--no-video)"
    table = Table(show_edge=False, title=Text(title))
    for column in ("shot", "take", "source", "sec"):
        table.add_column(column)
    fps = result.fps or 30
    for clip in result.clips:
        source = clip.source.value if hasattr(clip.source, "value") else str(clip.source)
        style = {"auto": "yellow", "slate": "red"}.get(source, "")
        table.add_row(Text(clip.shot_id), str(clip.take or "—"), Text(source, style=style),
                      f"{clip.duration_frames / fps:.1f}")
    console.print(table)
    auto = [c.shot_id for c in result.clips if str(getattr(c.source, "value", c.source)) == "auto"]
    slates = [c.shot_id for c in result.clips if str(getattr(c.source, "value", c.source)) == "slate"]
    if auto:
        console.print(Text.assemble(
            (f"{len(auto)} shots had no pick and use their top-ranked take:", "yellow"),
            f" {', '.join(auto)}"))
    if slates:
        console.print(Text.assemble((f"{len(slates)} shots have no take and show a slate:", "red"),
                                    f" {', '.join(slates)}"))
    if result.output and getattr(result, "loudness_lufs", None) is not None:
        console.print(Text(f"loudness (measured on the file): {result.loudness_lufs:.1f} LUFS "
                           f"integrated, true peak {result.true_peak_dbtp:.1f} dBTP"))
    if result.output:
        console.print(Text(f"episode: {result.output} ({result.duration_frames / fps:.1f} s, "
                           f"{result.width}×{result.height}, {fps} fps) in {result.seconds:.1f} s"))
    else:
        console.print(Text(f"side files of {result.duration_frames / fps:.1f} s at {fps} fps, "
                           f"no MP4, in {result.seconds:.1f} s"))
    print_sidecars(console, result)


def print_sidecars(console: Console, result: Any) -> None:
    """Where each side file of an export went, by format."""
    files = getattr(result, "files", None) or {
        label: value if isinstance(value, list) else [value]
        for label in ("srt", "otio", "sheet") if (value := getattr(result, label, None))
    }
    for label, paths in files.items():
        console.print(Text(f"{label}: {', '.join(str(p) for p in paths)}"))


def ranker_json(state: Any) -> dict[str, Any]:
    """`ranker --json`: the weights, what they rest on, agreement before and after learning."""
    return {
        "in_use": state.in_use,
        "reason": state.reason,
        "min_picks": state.min_picks,
        "picks_needed": state.picks_needed,
        "picked_shots": state.picked_shots,
        "preferences": state.preferences,
        "left_out": dict(state.left_out),
        "bounds": list(state.bounds),
        "weights": {name: {"default": default, "learned": state.weights.get(name, default)}
                    for name, default in state.defaults.items()},
        "agreement": {"fixed": state.fixed.model_dump(),
                      "learned_held_out": state.learned.model_dump()},
    }


_MAKERS = {"auto": "made by pick --auto", "import-edit": "read back by import-edit",
           "unrecorded": "made before shotcraft recorded who picked"}


def left_out_sentence(left_out: dict[str, int]) -> str:
    """Which picks the ranker does not learn from, by who made them."""
    if not left_out:
        return "left out: no picks but yours to learn from."
    parts = [f"{count} {_MAKERS.get(who, who)}" for who, count in sorted(left_out.items())]
    total = sum(left_out.values())
    return (f"left out: {total} pick{'s' if total != 1 else ''} not made by hand "
            f"({', '.join(parts)}); pick a take yourself to teach the ranker.")


def agreement_sentence(fixed: Any, learned: Any) -> str:
    """How often the fixed and the learned weights (held out) put the director's pick first."""
    if not fixed.shots:
        return "no picked shot with two scored takes to measure agreement on yet"
    return (f"the fixed weights put the director's pick first on {fixed.sentence()}; "
            f"learned weights, held out: {learned.sentence()}")


def stats_json(stats: Any) -> dict[str, Any]:
    """`stats --json`: the producer's numbers (see projects/stats.py)."""
    return stats.model_dump(mode="json")


def stats_lines(stats: Any) -> list[Text]:
    """The producer's numbers as lines of plain text (the CLI and the studio panel share them)."""
    scope = f"episode {stats.episode}" if stats.episode is not None else "the whole project"

    def num(value: float | None, digits: int = 1) -> str:
        return "·" if value is None else f"{value:.{digits}f}"

    lines = [Text(f"{scope}: {stats.picked_shots} of {stats.shots} shots picked, "
                  f"{stats.finished_minutes * 60:.1f} s finished")]
    lines.append(Text(f"draws per picked shot: mean {num(stats.draws_per_pick_mean, 2)}, "
                      f"max {stats.draws_per_pick_max if stats.draws_per_pick_max is not None else '·'}"
                      f" ({stats.draws} draws)"))
    lines.append(Text(f"per picked shot: compute {num(stats.seconds_per_pick)} s, "
                      f"credits {num(stats.credits_per_pick, 2)}"))
    lines.append(Text(f"per finished minute: compute {num(stats.seconds_per_minute)} s, "
                      f"credits {num(stats.credits_per_minute, 2)}"))
    lines.append(Text(f"spent in all: compute {stats.seconds:.1f} s, credits {stats.credits:g}; "
                      f"{stats.takes_failed} takes failed"))
    rejects = ", ".join(f"{reason} {count}" for reason, count in stats.rejects.items())
    lines.append(Text(f"rejects: {rejects or 'none'}"))
    lines.append(Text(f"ranker: {agreement_sentence(stats.ranker_fixed, stats.ranker_learned)}"
                      f"; learned weights {'in use' if stats.ranker_in_use else 'not in use'}"))
    shown = ", ".join(stats.unpicked_ids[:10])
    more = f" and {len(stats.unpicked_ids) - 10} more" if len(stats.unpicked_ids) > 10 else ""
    lines.append(Text(f"unpicked: {stats.unpicked_shots}" + (f" ({shown}{more})" if shown else "")))
    if stats.outdated_picks:
        lines.append(Text(f"outdated picks: {len(stats.outdated_picks)}", style="yellow"))
        lines += [Text(f"  {pick.sentence()}", style="yellow") for pick in stats.outdated_picks]
    return lines


def import_lines(report: Any) -> list[tuple[str, str | None]]:
    """The import report as (line, style) pairs, printed as plain Text (script text is data).

    An import says what it read and did plus the warnings; a dry run lists every scene with its
    heading line, every character with the line that introduced them and the speakers no cast
    list names, and, with --assist, the diff of the rewrite."""
    read = report.read
    lines: list[tuple[str, str | None]] = []
    verb = "would import" if report.dry_run else "imported"
    lines.append((f"{verb} {report.script} ({report.format}"
                  + (f", {read.encoding}" if read and read.encoding else "")
                  + f"): {report.episodes} episodes, {report.scenes} scenes, {report.shots} shots, "
                  f"{report.characters} characters, {report.dialogue_lines} dialogue lines", None))
    if read and read.hygiene:
        lines.append(("  cleaned: " + "; ".join(read.hygiene), "dim"))
    if report.assist is not None:
        a = report.assist
        lines.append((f"  rewritten by {a.model} at {a.server}: {a.parts} parts, {a.asked} asked, "
                      f"{a.cached} from the cache → {a.rewritten}", None))
    if report.dry_run and read:
        for episode in read.episode_list:
            title = f" {episode.title}" if episode.title else ""
            lines.append((f"episode {episode.number}{title} (line {episode.line}): "
                          f"{len(episode.scenes)} scenes", "bold"))
            for scene in episode.scenes:
                heading = scene.heading or "(text before the first heading)"
                lines.append((f"  {scene.id:<6} line {scene.line:<6} {heading} — {scene.shots} shots", None))
        if read.character_list:
            lines.append(("characters: " + ", ".join(
                f"{c.name} (line {c.line})" if c.line else c.name for c in read.character_list), None))
        if read.speakers_not_in_cast:
            lines.append(("speakers not in any cast list: " + ", ".join(
                f"{s.name} (line {s.line}, {s.lines} line{'s' if s.lines != 1 else ''}"
                f"{', a voice' if s.voice_only else ''})"
                for s in read.speakers_not_in_cast), None))
    if report.kept or report.archived or report.dry_run:
        keep = "would keep" if report.dry_run else "kept"
        lines.append((f"{keep} {report.kept} unchanged shots, "
                      f"{'would add' if report.dry_run else 'added'} {report.added}, "
                      f"{'would archive' if report.dry_run else 'archived'} {report.archived}", None))
    for warning in (read.warnings if read else []):
        where = f"line {warning.line}: " if warning.line else ""
        lines.append((f"warning: {where}{warning.message}", "yellow"))
    if report.dry_run and report.assist is not None and report.assist.diff:
        lines.extend((line, None) for line in report.assist.diff.rstrip("\n").split("\n"))
    if report.dry_run:
        lines.append(("nothing was saved (--dry-run)", "dim"))
    return lines
