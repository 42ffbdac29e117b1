"""An engine that draws each take as one solid colour, picked by its seed, through ffmpeg."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import ClassVar

from shotcraft.engine.protocol import (
    Capabilities,
    CheckpointFn,
    Engine,
    ProgressFn,
    RenderedTake,
    RenderRequest,
    no_checkpoint,
    no_progress,
)
from shotcraft.shots import ffmpeg
from shotcraft.shots.errors import EngineError
from shotcraft.shots.models import TakeKind


class SolidEngine(Engine):
    name: ClassVar[str] = "solid"
    version: ClassVar[str] = "0.1"
    kinds: ClassVar[frozenset[TakeKind]] = frozenset({TakeKind.VIDEO})

    def capabilities(self, kind: TakeKind = TakeKind.VIDEO) -> Capabilities:
        return Capabilities(text_to_video=True, batch_size=4, scale=0.1)

    def render(self, request: RenderRequest, *, out_dir: Path, progress: ProgressFn = no_progress,
               cancel: threading.Event | None = None,
               checkpoint: CheckpointFn = no_checkpoint) -> list[RenderedTake]:
        takes = []
        for number, seed in zip(request.take_numbers, request.seeds, strict=True):
            colour = f"0x{(seed * 2654435761) % 0xFFFFFF:06x}"
            path = Path(out_dir) / f"{request.shot_id}-{number}.mp4"
            ffmpeg.run(["-hide_banner", "-nostdin", "-y", "-f", "lavfi", "-i",
                        f"color=c={colour}:s={request.width}x{request.height}:r={request.fps}",
                        "-frames:v", str(request.num_frames), "-c:v", "libx264",
                        "-pix_fmt", "yuv420p", str(path)],
                       what="draw a solid take", error=EngineError)
            takes.append(RenderedTake(take_number=number, seed=seed, path=path,
                                      params={"colour": colour}))
        return takes
