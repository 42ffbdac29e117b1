"""Write RGB frames to an H.264 MP4 by piping raw frames into ffmpeg (no temp image per frame).

Every engine that produces frames in-process (previz, diffusers) writes through here, so takes
share one encoder setting and one failure path.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

import numpy as np

from shotcraft.shots.errors import EngineError, ShotcraftError
from shotcraft.shots.ffmpeg import FramePipe

# x264 settings shared by every take; benchmarks compare against the same ones
X264_ARGS = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p"]


class FrameWriter:
    """Context manager: `with FrameWriter(path, w, h, fps) as out: out.write(frame)`.

    Frames are HxWx3 uint8 RGB arrays. On an exception inside the block the partial file is
    removed, so a half-written take never looks finished.
    """

    def __init__(self, path: str | Path, width: int, height: int, fps: int | float, *,
                 cancel: threading.Event | None = None) -> None:
        if width % 2 or height % 2:
            raise EngineError(f"frame size {width}×{height} must be even for H.264 yuv420p.")
        self.path = Path(path)
        self.width, self.height, self.fps = width, height, fps
        self.frames = 0
        self.cancel = cancel  # set: the encoder is killed, a blocked write ends at once
        self._pipe: FramePipe | None = None

    def __enter__(self) -> FrameWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        args = [
            "-v", "error", "-nostdin", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{self.width}x{self.height}",
            "-r", str(self.fps), "-i", "-",
            *X264_ARGS, "-r", str(self.fps), "-movflags", "+faststart", "-f", "mp4", str(self.path),
        ]
        self._pipe = FramePipe(args, what=f"encoding {self.path.name}", error=EngineError,
                               cancel=self.cancel)
        return self

    def write(self, frame: np.ndarray) -> None:
        assert self._pipe
        if frame.shape != (self.height, self.width, 3) or frame.dtype != np.uint8:
            raise EngineError(
                f"frame {self.frames} is {frame.shape} {frame.dtype}, expected "
                f"({self.height}, {self.width}, 3) uint8."
            )
        self._pipe.write(np.ascontiguousarray(frame).data)
        self.frames += 1

    def write_all(self, frames: Iterable[np.ndarray]) -> None:
        for frame in frames:
            self.write(frame)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._pipe
        if exc_type is not None:
            self._pipe.kill()
            self.path.unlink(missing_ok=True)
            return
        try:
            self._pipe.close()
        except ShotcraftError:  # the encoder's failure, or a full disk (DiskFullError)
            self.path.unlink(missing_ok=True)
            raise


def write_video(frames: Iterable[np.ndarray], path: str | Path, *, width: int, height: int, fps: int | float) -> int:
    """Encode `frames` to `path`; returns the number of frames written."""
    with FrameWriter(path, width, height, fps) as out:
        out.write_all(frames)
    return out.frames


def write_still(frame: np.ndarray, path: str | Path) -> Path:
    """Save one RGB frame as PNG (keyframe takes are stills)."""
    from PIL import Image

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(frame).save(path)
    return path
