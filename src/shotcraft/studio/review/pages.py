"""What each page shows, shaped from the facade's answers into plain dicts for the templates.

Presentation only: which take a card shows is the cut's (the pick, else what export would use),
ranks and scores are the facade's. Each card carries a signature of what it shows, so a live
update replaces only the cards that changed (and never a video that is playing).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import quote

from shotcraft.projects import Project, TakeView
from shotcraft.shots.models import RejectReason, Shot, TakeKind, TakeStatus

REASONS = [reason.value for reason in RejectReason]


def signature(value: Any) -> str:
    return hashlib.sha1(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:12]


def media_url(shot_id: str, take: int, kind: str) -> str:
    return f"/media/{quote(shot_id, safe='')}/{take}/{kind}"


def seconds(frames: int | None, fps: float | None) -> str:
    return "" if not frames or not fps else f"{frames / fps:.1f}"


def spoken(shot: Shot) -> list[dict[str, str]]:
    return [{"speaker": line.speaker, "text": line.text,
             "mode": line.mode.value if line.mode else "",
             "parenthetical": line.parenthetical or ""} for line in shot.dialogue]


def grid(project: Project, episode: int) -> dict[str, Any]:
    """Scenes of the episode, each with a card per shot."""
    board = project.storyboard(episode=episode)
    views = project.takes_by_shot(episode=episode)
    covers = project.covers(episode=episode)
    scenes: list[dict[str, Any]] = []
    for ep in board.episodes:
        for scene in ep.scenes:
            scenes.append({"id": scene.id, "heading": scene.heading, "cards": [
                _card(project, shot, views.get(shot.id, []), covers.get(shot.id, (None, "slate")))
                for shot in scene.shots]})
    cards = [card for scene in scenes for card in scene["cards"]]
    shots, picked = len(cards), sum(1 for card in cards if card["picked"])
    return {"episode": episode, "episodes": project.episodes(), "scenes": scenes,
            "title": board.title or project.title, "shots": shots, "picked": picked,
            "summary_sig": signature([episode, shots, picked])}


def _card(project: Project, shot: Shot, views: list[TakeView],
          cover: tuple[TakeView | None, str]) -> dict[str, Any]:
    shown, source = cover
    done = [v for v in views if v.take.status in (TakeStatus.DONE, TakeStatus.REJECTED)]
    busy = [v for v in views if v.take.status in (TakeStatus.QUEUED, TakeStatus.RUNNING)]
    take = shown.take if shown else None
    card = {
        "id": shot.id, "url": f"/shot/{quote(shot.id, safe='')}",
        "size": shot.size.value, "move": shot.camera.move.value,
        "seconds": seconds(shot.duration_frames, project.fps),
        "characters": shot.characters, "line": _line(shot),
        "takes": len(done), "drawing": len(busy),
        "picked": shot.picked_take is not None,
        "source": source,
        "take": take.number if take else None,
        "score": f"{take.score:.2f}" if take and take.score is not None else "",
        "identity": f"{take.scores['identity']:.2f}" if take and "identity" in take.scores else "",
        "poster": media_url(shot.id, take.number, "poster") if take and take.media_path else "",
        "still": bool(take and take.kind is TakeKind.KEYFRAME),
    }
    card["sig"] = signature(card)
    return card


def _line(shot: Shot) -> str:
    if shot.dialogue:
        return f"{shot.dialogue[0].speaker}：{shot.dialogue[0].text}"
    return shot.action or ""


def shot_page(project: Project, shot_id: str) -> dict[str, Any]:
    """The shot, and every take with its scores, explanations, engine, seed and cost."""
    shot = project.shot(shot_id)
    scene = project.scene(shot.scene_id)
    views = project.takes(shot_id)
    ids = [s.id for s in project.shots(episode=shot.episode)]
    at = ids.index(shot.id) if shot.id in ids else 0
    takes = [_take(project, shot, view) for view in views]
    return {
        "shot": shot, "scene": scene, "lines": spoken(shot), "takes": takes,
        "seconds": seconds(shot.duration_frames, project.fps), "fps": project.fps,
        "previous": ids[at - 1] if at > 0 else None,
        "next": ids[at + 1] if at + 1 < len(ids) else None,
        "reasons": REASONS, "episode": shot.episode,
        "header_sig": signature([shot.picked_take, len(takes)]),
    }


def _take(project: Project, shot: Shot, view: TakeView) -> dict[str, Any]:
    take = view.take
    has_media = bool(take.media_path) and take.status in (TakeStatus.DONE, TakeStatus.REJECTED)
    proxy = project.rendition(take, "proxy", make=False) if has_media else None
    play = "proxy" if proxy is not None else "original"
    scores = sorted(take.scores.items(), key=lambda item: (item[0] != "identity", item[0]))
    row = {
        "number": take.number, "kind": take.kind.value, "status": take.status.value,
        "rank": view.rank, "picked": view.picked,
        "score": f"{take.score:.2f}" if take.score is not None else "",
        "reject_reason": take.reject_reason.value if take.reject_reason else "",
        "reason": take.reason or "", "engine": take.engine, "seed": take.seed,
        "seconds": seconds(take.duration_frames, take.fps),
        "size": f"{take.width}×{take.height}" if take.width and take.height else "",
        "cost_seconds": f"{take.cost_seconds:.1f}",
        "credits": f"{take.cost_credits:g}" if take.cost_credits else "",
        "scores": [{"name": name, "value": f"{value:.2f}", "why": view.explanations.get(name, "")}
                   for name, value in scores],
        "media": has_media, "still": take.kind is TakeKind.KEYFRAME,
        "src": media_url(shot.id, take.number, play) if has_media else "",
        "proxy": proxy is not None,
        "poster": media_url(shot.id, take.number, "poster") if has_media else "",
        "fps": take.fps or project.fps,
        "parent": take.parent_take,
    }
    row["sig"] = signature(row)
    return row


def compare_page(project: Project, shot_id: str, numbers: list[int]) -> dict[str, Any]:
    page = shot_page(project, shot_id)
    chosen = [t for n in numbers for t in page["takes"] if t["number"] == n and t["media"]]
    page["compared"] = chosen
    return page


def episode_page(project: Project, episode: int) -> dict[str, Any]:
    """The cut playing through the picks, the subtitles, and what is still unpicked."""
    cut = project.cut(episode)
    shots = {shot.id: shot for shot in project.shots(episode=episode)}
    clips = []
    for clip in cut.clips:
        proxy_ready = False
        if clip.take is not None:
            take = next((v.take for v in project.takes(clip.shot_id)
                         if v.take.number == clip.take), None)
            proxy_ready = take is not None and project.rendition(take, "proxy", make=False) is not None
        clips.append({
            "shot": clip.shot_id, "take": clip.take, "source": clip.source,
            "start": clip.start_frame / cut.fps, "length": clip.frames / cut.fps,
            "offset": clip.source_start_frames / cut.fps, "still": clip.still,
            "src": (media_url(clip.shot_id, clip.take, "proxy" if proxy_ready else "original")
                    if clip.take is not None else ""),
            "action": clip.action or "",
        })
    cues = [{"start": c.start_frame / cut.fps, "end": c.end_frame / cut.fps,
             "speaker": c.speaker, "text": c.text} for c in cut.cues]
    open_shots = [{"id": c.shot_id, "url": f"/shot/{quote(c.shot_id, safe='')}",
                   "why": "no take yet" if c.source == "slate" else f"unpicked: plays take {c.take}",
                   "line": _line(shots[c.shot_id]) if c.shot_id in shots else ""}
                  for c in cut.clips if c.source != "picked"]
    return {"episode": episode, "episodes": project.episodes(), "clips": clips, "cues": cues,
            "open_shots": open_shots, "seconds": f"{cut.duration_frames / cut.fps:.1f}",
            "exported": cut.exported is not None,
            "sig": signature([clips, cues])}
