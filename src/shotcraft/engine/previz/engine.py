"""PrevizEngine: one take per seed, composed once and cut into frames piped to ffmpeg."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

from PIL import Image

from shotcraft.engine.previz.camera import Frames, fit_keyframe
from shotcraft.engine.previz.captions import build_overlay
from shotcraft.engine.previz.framing import Composition, composition_for
from shotcraft.engine.previz.panel import MARGIN, Panel
from shotcraft.engine.protocol import (
    Capabilities,
    CheckpointFn,
    Engine,
    Progress,
    ProgressFn,
    RenderedTake,
    RenderRequest,
    no_checkpoint,
    no_progress,
)
from shotcraft.engine.settings import EngineSettings
from shotcraft.engine.writer import FrameWriter, write_still
from shotcraft.shots.errors import ShotcraftError, is_disk_full
from shotcraft.shots.models import TakeKind

VERSION = "1.0"


class _Cancelled(Exception):
    pass


class PrevizEngine(Engine):
    """The deterministic CPU animatic: storyboard panels with the camera move, in seconds."""

    name = "previz"
    kinds = frozenset({TakeKind.VIDEO, TakeKind.KEYFRAME})
    version = VERSION

    def __init__(self, *, resample: str = "bilinear", progress_every: int = 10) -> None:
        # bilinear: a nearest-neighbour zoom snaps to whole pixels and its frames step unevenly,
        # which reads as stutter; a translation is cut to 1/256 px either way (camera.shifted)
        if resample not in ("nearest", "bilinear"):
            raise ValueError(f"resample must be 'nearest' or 'bilinear', not {resample!r}")
        self.resample = resample
        self.progress_every = max(1, progress_every)

    def capabilities(self, kind: TakeKind = TakeKind.VIDEO) -> Capabilities:
        return Capabilities(
            text_to_video=True, image_to_video=True, first_frame=True, last_frame=True,
            character_references=True, camera_control=True, keyframes=True, max_seconds=None,
            # two shots at once: one composes while the other's ffmpeg encodes and is scored
            batch_size=4, parallel=2, scale=EngineSettings().previz_scale,
            deterministic=True,  # a seed moves the composition, never the camera or the look
        )

    def render(
        self,
        request: RenderRequest,
        *,
        out_dir: Path,
        progress: ProgressFn = no_progress,
        cancel: threading.Event | None = None,
        checkpoint: CheckpointFn = no_checkpoint,
    ) -> list[RenderedTake]:
        """Draw one take per seed into `out_dir`; a take that fails is reported and the rest go on."""
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        refs = self._load_references(request)
        results: list[RenderedTake] = []
        for seed, take in zip(request.seeds, request.take_numbers, strict=True):
            if cancel is not None and cancel.is_set():
                break
            started = time.perf_counter()
            try:
                path, params = self._render_take(request, seed, take, out_dir, refs, progress, cancel)
            except _Cancelled:
                results.append(RenderedTake(take_number=take, seed=seed, failed="cancelled"))
                break
            except Exception as exc:  # noqa: BLE001 - one bad take must not stop the others
                if is_disk_full(exc):
                    raise  # but a full disk fails every take after it: the render stops
                reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                results.append(RenderedTake(
                    take_number=take, seed=seed, failed=f"previz could not draw take {take}: {reason}",
                    downgrades=list(request.downgrades),
                ))
                continue
            results.append(RenderedTake(
                take_number=take, seed=seed, path=path, params=params,
                cost_seconds=round(time.perf_counter() - started, 3), downgrades=list(request.downgrades),
            ))
        return results

    def _load_references(self, request: RenderRequest) -> dict[str, Image.Image]:
        refs: dict[str, Image.Image] = {}
        for character in request.characters:
            if character.references:
                try:
                    with Image.open(character.references[0]) as img:
                        refs[character.name] = img.convert("RGB")
                except OSError:
                    continue  # an unreadable reference falls back to the drawn figure
        return refs

    def _render_take(
        self, request: RenderRequest, seed: int, take: int, out_dir: Path,
        refs: dict[str, Image.Image], progress: ProgressFn, cancel: threading.Event | None,
    ) -> tuple[Path, dict[str, Any]]:
        comp = composition_for(seed, len(request.characters))
        canvas = Panel(request, comp, refs).compose()
        overlay = build_overlay(request, take, seed)
        resample = Image.Resampling.NEAREST if self.resample == "nearest" else Image.Resampling.BILINEAR
        first = fit_keyframe(request.first_frame, request.width, request.height) if request.first_frame else None
        last = fit_keyframe(request.last_frame, request.width, request.height) if request.last_frame else None
        params = self._params(request, seed, comp)
        stem = f"{request.shot_id}-t{take:03d}-s{seed}"
        if request.kind is TakeKind.KEYFRAME:
            frames = Frames(canvas, request.model_copy(update={"num_frames": 1}), overlay, comp, first, None, resample)
            path = write_still(frames.frame(0), out_dir / f"{stem}.png")
            progress(Progress(take_number=take, done=1.0, message="keyframe drawn"))
            return path, params
        frames = Frames(canvas, request, overlay, comp, first, last, resample)
        path = out_dir / f"{stem}.mp4"
        n = request.num_frames
        # the next frame is cut (PIL lets go of the GIL) while this one goes down the pipe
        with FrameWriter(path, request.width, request.height, request.fps, cancel=cancel) as writer, \
                ThreadPoolExecutor(max_workers=1) as ahead:
            upcoming = ahead.submit(frames.frame, 0)
            for i in range(n):
                if cancel is not None and cancel.is_set():
                    raise _Cancelled
                frame = upcoming.result()
                if i + 1 < n:
                    upcoming = ahead.submit(frames.frame, i + 1)
                try:
                    writer.write(frame)
                except ShotcraftError:
                    if cancel is not None and cancel.is_set():  # the encoder was stopped for it
                        raise _Cancelled from None
                    raise
                if (i + 1) % self.progress_every == 0 or i + 1 == n:
                    progress(Progress(take_number=take, done=(i + 1) / n, message=f"frame {i + 1}/{n}"))
        return path, params

    def _params(self, request: RenderRequest, seed: int, comp: Composition) -> dict[str, Any]:
        return {
            "engine": self.name,
            "engine_version": self.version,
            "kind": request.kind.value,
            "seed": seed,
            "width": request.width,
            "height": request.height,
            "fps": request.fps,
            "num_frames": 1 if request.kind is TakeKind.KEYFRAME else request.num_frames,
            "aspect": request.aspect,
            "size": request.size.value,
            "framing": request.framing.value,
            "angle": request.angle.value if request.angle else None,
            "camera": request.camera.model_dump(mode="json"),
            "location": request.location,
            "time_of_day": request.time_of_day,
            "interior": request.interior,
            "characters": [c.name for c in request.characters],
            "reference_hashes": {c.name: c.reference_hashes for c in request.characters if c.reference_hashes},
            "first_frame": str(request.first_frame) if request.first_frame else None,
            "last_frame": str(request.last_frame) if request.last_frame else None,
            "resample": self.resample,
            "margin": MARGIN,
            "composition": asdict(comp),
        }
