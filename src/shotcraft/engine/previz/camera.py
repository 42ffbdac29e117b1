"""The camera: the shots motion model as per-frame crops of the panel, keyframes on top."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from shotcraft.engine.previz.captions import Patch
from shotcraft.engine.previz.framing import Composition
from shotcraft.engine.protocol import RenderRequest
from shotcraft.shots.models import Move
from shotcraft.shots.motion import CameraPath, shake_amplitude


def camera_path(
    move: Move, intensity: float, num_frames: int, *, frame: tuple[int, int],
    canvas: tuple[int, int], comp: Composition, fps: int,
) -> list[tuple[float, float, float]]:
    """Per frame (crop centre x, crop centre y, zoom) on the canvas; zoom 1 = one frame's size."""
    W, H = frame
    Wc, Hc = canvas
    spare_x, spare_y = (Wc - W) / 2, (Hc - H) / 2
    base_x = Wc / 2 + comp.offset[0] * spare_x * 0.25
    base_y = Hc / 2 + comp.offset[1] * spare_y * 0.25
    motion = CameraPath(move=move, intensity=intensity)
    path = []
    for i in range(num_frames):
        t = i / (num_frames - 1) if num_frames > 1 else 0.0
        cam_x, cam_y, log_zoom = motion.at(t)
        # the crop is the frame seen from the camera: closer in means a smaller crop
        x, y, z = base_x + cam_x * W, base_y + cam_y * H, math.exp(-log_zoom)
        if move is Move.HANDHELD:
            sec = i / fps
            amp = W * shake_amplitude(intensity)
            p = comp.shake + [0.0] * 4
            x += amp * (math.sin(2 * math.pi * 0.7 * sec + p[0]) + 0.5 * math.sin(2 * math.pi * 1.9 * sec + p[1]))
            y += amp * (math.sin(2 * math.pi * 0.5 * sec + p[2]) + 0.5 * math.sin(2 * math.pi * 1.3 * sec + p[3]))
        path.append((x, y, z))
    return path


def shifted(canvas: np.ndarray, x0: float, y0: float, width: int, height: int) -> np.ndarray:
    """The `width`×`height` window of `canvas` at (x0, y0), to 1/256 of a pixel: neighbouring
    whole-pixel windows blended by the fraction. Rounding to whole pixels would show a slow
    pan as the same frame twice, then a jump — the stutter the ranker marks down."""
    xi, yi = int(math.floor(x0)), int(math.floor(y0))
    fx = round((x0 - xi) * 256) if xi + width < canvas.shape[1] else 0
    fy = round((y0 - yi) * 256) if yi + height < canvas.shape[0] else 0
    if fx == 256:
        xi, fx = xi + 1, 0
    if fy == 256:
        yi, fy = yi + 1, 0
    rows = height + (1 if fy else 0)
    if fx:
        out = _mix(canvas[yi : yi + rows, xi : xi + width], canvas[yi : yi + rows, xi + 1 : xi + 1 + width], fx)
    else:
        out = canvas[yi : yi + rows, xi : xi + width]
    if fy:
        out = _mix(out[:height], out[1 : height + 1], fy)
    return out.copy() if out.base is not None else out


def _mix(a: np.ndarray, b: np.ndarray, weight: int) -> np.ndarray:
    """(a·(256 − weight) + b·weight) / 256, rounded, in place on uint16 (cheap at 1080×1920)."""
    mixed = a.astype(np.uint16)
    mixed *= 256 - weight
    other = b.astype(np.uint16)
    other *= weight
    mixed += other
    mixed += 128
    mixed >>= 8
    return mixed.astype(np.uint8)


class Frames:
    """Cuts frames out of the composed canvas and lays the overlay and keyframes on them."""

    def __init__(
        self, canvas: Image.Image, request: RenderRequest, overlay: list[Patch], comp: Composition,
        first: np.ndarray | None, last: np.ndarray | None, resample: Image.Resampling,
    ) -> None:
        self.canvas, self.arr = canvas, np.asarray(canvas)
        self.W, self.H = request.width, request.height
        self.n = request.num_frames
        self.overlay, self.first, self.last, self.resample = overlay, first, last, resample
        self.path = camera_path(
            request.camera.move, request.camera.intensity, self.n, frame=(self.W, self.H),
            canvas=canvas.size, comp=comp, fps=request.fps,
        )
        # keyframes ARE the first/last frames; the panel dissolves in over a third of the take
        self.fade = max(1, round(self.n / 3))

    def weights(self, i: int) -> tuple[float, float]:
        wf = max(0.0, 1 - i / self.fade) if self.first is not None else 0.0
        wl = max(0.0, 1 - (self.n - 1 - i) / self.fade) if self.last is not None else 0.0
        total = wf + wl
        if total > 1:
            wf, wl = wf / total, wl / total
        return wf, wl

    def frame(self, i: int) -> np.ndarray:
        cx, cy, z = self.path[i]
        Wc, Hc = self.canvas.size
        w, h = self.W * z, self.H * z
        x0 = min(max(cx - w / 2, 0.0), Wc - w)
        y0 = min(max(cy - h / 2, 0.0), Hc - h)
        if z == 1.0:
            out = shifted(self.arr, x0, y0, self.W, self.H)
        else:
            out = np.array(self.canvas.resize((self.W, self.H), self.resample, box=(x0, y0, x0 + w, y0 + h)))
        wf, wl = self.weights(i)
        if wf or wl:
            mixed = out.astype(np.float32) * (1 - wf - wl)
            if wf:
                mixed += self.first.astype(np.float32) * wf  # type: ignore[union-attr]
            if wl:
                mixed += self.last.astype(np.float32) * wl  # type: ignore[union-attr]
            out = np.clip(mixed + 0.5, 0, 255).astype(np.uint8)
        # the slate and caption come in quickly, so the keyframe's own text is soon covered
        strength = min(1.0, 3 * (1 - wf - wl))
        for patch in self.overlay:
            patch.apply(out, strength)
        return out


def fit_keyframe(path: Path, width: int, height: int) -> np.ndarray:
    with Image.open(path) as img:
        return np.array(ImageOps.fit(img.convert("RGB"), (width, height), Image.Resampling.BILINEAR))
