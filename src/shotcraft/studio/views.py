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
                        "shots": [_shot_json(shot, totals.get(shot.id)) for shot in scene.shots],
                    }
                    for scene in ep.scenes
                ],
            }
            for ep in board.episodes
        ],
    }


def _shot_json(shot: Any, totals: Totals | None) -> dict[str, Any]:
    return {
        "id": shot.id,
        "kind": shot.kind.value,
        "size": shot.size.value,
        "camera": {"move": shot.camera.move.value, "intensity": shot.camera.intensity},
        "duration_frames": shot.duration_frames,
        "characters": shot.characters,
        "action": shot.action,
        "dialogue": [
            {"speaker": d.speaker, "text": d.text, "parenthetical": d.parenthetical,
             "mode": d.mode.value if d.mode else None}
            for d in shot.dialogue
        ],
        "prompt": shot.prompt,
        "negative_prompt": shot.negative_prompt,
        "picked_take": shot.picked_take,
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
            "seed": take.seed,
            "engine": take.engine,
            "status": status if status in status_names else "done",
            "rejected": status == "rejected",
            "reason": take.reason,
            "path": str(project.take_path(take)) if take.media_path else None,
            "duration_frames": take.duration_frames,
            "width": take.width,  # the file's own size and rate, e.g. Kling std's 720×1280
            "height": take.height,
            "fps": take.fps,
            "scores": take.scores,
            "explanations": view.explanations,
            "score": take.score,
            "rank": view.rank,
            "picked": view.picked,
            "cost_seconds": take.cost_seconds,
            "cost_credits": take.cost_credits,
            "downgrades": take.downgrades,
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
