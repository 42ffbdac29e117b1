"""SeedanceEngine: ByteDance's Seedance on Volcengine Ark (china) or BytePlus ModelArk
(international), one task per take, never paid twice, multi-shot sequences on Seedance 2.0."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from shotcraft.engine.protocol import (
    Capabilities,
    CheckpointFn,
    Delivery,
    Engine,
    ProgressFn,
    RenderedTake,
    RenderRequest,
    no_checkpoint,
    no_progress,
)
from shotcraft.engine.registry import configured_engines
from shotcraft.engine.seedance.models import FPS, MAX_SHOTS, MODELS, RATIOS
from shotcraft.engine.seedance.planner import SeedancePlan, plan_task
from shotcraft.engine.seedance.run import SeedanceRun
from shotcraft.providers.ark.client import ArkClient
from shotcraft.providers.ark.settings import KEY_MISSING, SeedanceSettings
from shotcraft.shots.errors import ConfigError, EngineError
from shotcraft.shots.models import TakeKind

__version__ = "1"


class SeedanceEngine(Engine):
    """Draws video takes with Seedance: text, first frame, first+last frame or references."""

    name = "seedance"
    version = __version__

    def __init__(self, settings: SeedanceSettings | None = None) -> None:
        self.settings = settings or SeedanceSettings()
        if self.settings.model not in MODELS:
            raise ConfigError(f"Seedance model {self.settings.model!r} is unknown; set "
                              f"SHOTCRAFT_SEEDANCE_MODEL to one of {', '.join(MODELS)}.")
        self.facts = MODELS[self.settings.model]

    def capabilities(self, kind: TakeKind = TakeKind.VIDEO) -> Capabilities:
        f = self.facts
        if kind is not TakeKind.VIDEO:
            return Capabilities(text_to_video=False, aspects=list(RATIOS), needs_keys=True,
                                cloud=True)
        return Capabilities(
            text_to_video=f.text, image_to_video=f.first_frame, first_frame=f.first_frame,
            last_frame=f.last_frame, character_references=f.references > 0,
            camera_control=False, keyframes=False, max_seconds=float(f.durations[1]),
            aspects=list(RATIOS), batch_size=1, parallel=max(1, self.settings.max_tasks),
            needs_keys=True, cloud=True, multi_shot=f.v2, max_shots=MAX_SHOTS if f.v2 else 1)

    def plan(self, request: RenderRequest) -> SeedancePlan:
        return plan_task(request, self.settings)

    def check(self, request: RenderRequest) -> None:
        self.plan(request)

    def check_ready(self) -> None:
        key = self.settings.api_key
        if key is None or not key.get_secret_value():
            raise EngineError(KEY_MISSING)

    def delivers(self, request: RenderRequest) -> Delivery:
        """Seedance's own size for the resolution and ratio, 24 fps, whole seconds (the shot's
        length rounded up, at least the model's shortest)."""
        plan = self.plan(request)
        return Delivery(width=plan.width, height=plan.height, fps=FPS, frames=plan.seconds * FPS,
                        frames_tolerance=2, cuts=list(plan.cuts))

    def describe_cost(self, request: RenderRequest) -> float | None:
        return self.plan(request).cost

    def other_engines(self) -> list[str]:
        """The configured engines besides this one (named when Seedance refuses a shot)."""
        return configured_engines(exclude={self.name})

    def render(self, request: RenderRequest, *, out_dir: Path, progress: ProgressFn = no_progress,
               cancel: threading.Event | None = None,
               checkpoint: CheckpointFn = no_checkpoint) -> list[RenderedTake]:
        self.check_ready()
        plan = self.plan(request)
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        s = self.settings
        assert s.api_key is not None
        client = ArkClient(s.base_url, s.api_key.get_secret_value(), timeout=s.request_timeout)
        run = SeedanceRun(self, request, plan, out_dir, progress, cancel or threading.Event(),
                          checkpoint, client)
        try:
            with ThreadPoolExecutor(max_workers=max(1, min(s.max_tasks, len(request.seeds))),
                                    thread_name_prefix="seedance") as pool:
                jobs = list(zip(request.take_numbers, request.seeds, strict=True))
                results = list(pool.map(lambda job: run.take(*job), jobs))
        finally:
            client.close()
        takes = [t for t in results if t is not None]
        if run.auth_error and not any(t.path for t in takes):
            raise EngineError(run.auth_error)
        return takes
