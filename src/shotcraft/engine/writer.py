"""Write RGB frames to an H.264 MP4 by piping raw frames into ffmpeg (no temp image per frame).

Every engine that produces frames in-process (previz, diffusers) writes through here, so takes
share one encoder setting and one failure path.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

import numpy as np

from shotcraft.shots.errors import EngineError
from shotcraft.shots.media import ffmpeg_binary

# x264 settings shared by every take; benchmarks compare against the same ones
X264_ARGS = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p"]


class FrameWriter:
    """Context manager: `with FrameWriter(path, w, h, fps) as out: out.write(frame)`.

    Frames are HxWx3 uint8 RGB arrays. On an exception inside the block the partial file is
    removed, so a half-written take never looks finished.
    """

    def __init__(self, path: str | Path, width: int, height: int, fps: int | float) -> None:
        if width % 2 or height % 2:
            raise EngineError(f"frame size {width}×{height} must be even for H.264 yuv420p.")
        self.path = Path(path)
        self.width, self.height, self.fps = width, height, fps
        self.frames = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr = b""
        self._reader: threading.Thread | None = None

    def __enter__(self) -> FrameWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        args = [
            ffmpeg_binary(), "-v", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{self.width}x{self.height}",
            "-r", str(self.fps), "-i", "-",
            *X264_ARGS, "-r", str(self.fps), "-movflags", "+faststart", "-f", "mp4", str(self.path),
        ]
        self._proc = subprocess.Popen(args, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        # drain stderr on a thread so a chatty ffmpeg never blocks on a full pipe
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        return self

    def _drain(self) -> None:
        assert self._proc and self._proc.stderr
        self._stderr = self._proc.stderr.read()

    def write(self, frame: np.ndarray) -> None:
        assert self._proc and self._proc.stdin
        if frame.shape != (self.height, self.width, 3) or frame.dtype != np.uint8:
            raise EngineError(
                f"frame {self.frames} is {frame.shape} {frame.dtype}, expected "
                f"({self.height}, {self.width}, 3) uint8."
            )
        try:
            self._proc.stdin.write(np.ascontiguousarray(frame).data)
        except BrokenPipeError as exc:
            raise EngineError(f"ffmpeg stopped while writing {self.path.name}: {self._tail()}") from exc
        self.frames += 1

    def write_all(self, frames: Iterable[np.ndarray]) -> None:
        for frame in frames:
            self.write(frame)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._proc
        if self._proc.stdin:
            try:
                self._proc.stdin.close()
            except BrokenPipeError:
                pass
        if exc_type is not None:
            self._proc.kill()
        code = self._proc.wait()
        if self._reader:
            self._reader.join()
        if exc_type is not None or code != 0:
            self.path.unlink(missing_ok=True)
            if exc_type is None:
                raise EngineError(f"ffmpeg could not encode {self.path.name}: {self._tail()}")

    def _tail(self) -> str:
        lines = [ln for ln in self._stderr.decode(errors="replace").splitlines() if ln.strip()]
        return " / ".join(lines[-3:]) or "no details"


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
