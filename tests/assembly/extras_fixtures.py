"""Tiny real media and timelines for the subtitle/audio/OTIO/sheet tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

from shotcraft.assembly.timeline import Alternate, Clip, ClipSource, Timeline
from shotcraft.shots.media import ffmpeg_binary
from shotcraft.shots.models import DialogueLine, DialogueMode


def tiny_video(path: Path, *, frames: int = 30, fps: int = 30, size: str = "90x160",
               hue: int = 0) -> Path:
    """A short H.264 test pattern (each hue gives a visibly different clip)."""
    args = [ffmpeg_binary(), "-v", "error", "-y", "-f", "lavfi", "-i",
            f"testsrc2=s={size}:r={fps}", "-vf", f"hue=h={hue}", "-frames:v", str(frames),
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)]
    subprocess.run(args, check=True, capture_output=True)
    return path


def six_shot_timeline(folder: Path) -> Timeline:
    """Two scenes, six shots: picked, auto and a slate; Chinese and English dialogue."""
    folder.mkdir(parents=True, exist_ok=True)
    still = folder / "keyframe.png"
    subprocess.run(
        [ffmpeg_binary(), "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=s=90x160",
         "-frames:v", "1", str(still)], check=True, capture_output=True,
    )
    specs = [
        ("E01-S01-001", "1-1", 30, "WS", "dolly_in", ClipSource.PICKED, None, "雨夜，街角的咖啡馆亮着灯。"),
        ("E01-S01-002", "1-1", 24, "MCU", "static", ClipSource.AUTO,
         DialogueLine(speaker="林夏", text="你终于来了。我等了你整整三个小时，外面的雨一直没停。"), None),
        ("E01-S01-003", "1-1", 18, "CU", "handheld", ClipSource.SLATE, None, "陈默推门而入，浑身湿透。"),
        ("E01-S02-001", "1-2", 30, "MS", "pan_left", ClipSource.PICKED,
         DialogueLine(speaker="陈默", text="对不起。", mode=DialogueMode.OS), None),
        ("E01-S02-002", "1-2", 36, "ECU", "zoom_in", ClipSource.PICKED,
         DialogueLine(speaker="Sam", text="Sorry I'm late — the trains stopped at 100% capacity."), None),
        ("E01-S02-003", "1-2", 30, "EWS", "orbit", ClipSource.AUTO, None, "两人隔着桌子对视，沉默良久。"),
    ]
    clips = []
    for number, (shot, scene, frames, size, camera, source, line, action) in enumerate(specs):
        if source == ClipSource.SLATE:
            media = None
        elif number == 5:
            media = still  # a keyframe take: a still used as the shot
        else:
            media = tiny_video(folder / f"{shot}.mp4", frames=frames, hue=number * 60)
        clips.append(Clip(
            shot_id=shot, scene_id=scene,
            scene_heading="1-1 内 咖啡馆 夜" if scene == "1-1" else "1-2 外 街道 夜",
            duration_frames=frames, media=media, take=None if media is None else number + 1,
            source=source, size=size, camera=camera, action=action,
            dialogue=[line] if line else [],
            alternates=[] if media is None else [
                Alternate(take=number + 1, path=str(media), score=0.9, seed=1000 + number,
                          engine="previz"),
                Alternate(take=number + 10, path=None, score=0.4, seed=2000 + number,
                          engine="previz"),
            ],
        ))
    return Timeline(title="雨夜重逢", episode=1, fps=30, clips=clips)
