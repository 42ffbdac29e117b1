"""KlingEngine: capabilities, checks and costs from the tables, one Kling task per take."""

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
from shotcraft.shots.errors import ConfigError, EngineError
from shotcraft.shots.models import TakeKind

try:  # the `kling` extra; without it the engine is listed but refuses to start
    import httpx
    import jwt
except ImportError:  # pragma: no cover - exercised only on installs without the extra
    httpx = None  # type: ignore[assignment]
    jwt = None  # type: ignore[assignment]

from shotcraft.engine.kling.client import TakeRun
from shotcraft.engine.kling.elements import make_elements, region_of
from shotcraft.engine.kling.extend import EXTENDABLE, MAX_TOTAL_SECONDS, stitched_seconds
from shotcraft.engine.kling.limits import ASPECTS
from shotcraft.engine.kling.lipsync import LipsyncRun, lipsync_delivery, plan_lipsync
from shotcraft.engine.kling.models import MODELS, native_format, task_cost
from shotcraft.engine.kling.multishot import MAX_SHOTS, MULTI_SHOT_MODELS, plan_multi_shot
from shotcraft.engine.kling.omni import OMNI_ENDPOINT, omni_format, plan_omni, wants_omni
from shotcraft.engine.kling.planner import TaskPlan, plan_task
from shotcraft.engine.kling.stills import STILL_SIZES, StillRun, plan_still
from shotcraft.engine.protocol import CharacterRef
from shotcraft.providers.kling.auth import BearerToken
from shotcraft.providers.kling.settings import KEYS_MISSING, KlingSettings

__version__ = "1"


class KlingEngine(Engine):
    """Draws video takes through Kling's API: one task per take, resumable, costed."""

    name = "kling"
    kinds = frozenset({TakeKind.VIDEO, TakeKind.KEYFRAME, TakeKind.LIPSYNC})
    version = __version__

    def __init__(self, settings: KlingSettings | None = None) -> None:
        if httpx is None or jwt is None:
            raise ConfigError("Kling needs httpx and pyjwt: pip install 'shotcraft[kling]'.")
        self.settings = settings or KlingSettings()
        if self.settings.model_name not in MODELS:
            known = ", ".join(MODELS)
            raise ConfigError(
                f"Kling model {self.settings.model_name!r} is unknown; use one of {known}."
            )
        self.caps = MODELS[self.settings.model_name]
        if self.settings.mode not in self.caps.modes:
            raise ConfigError(f"{self.settings.model_name} has no {self.settings.mode} mode.")
        self._token = BearerToken(self.settings)

    # --- what it can do -------------------------------------------------------------------

    def capabilities(self, kind: TakeKind = TakeKind.VIDEO) -> Capabilities:
        """What the configured model+mode can do; keyframe stills come from image generation
        (one image per take, the first character's face as the reference)."""
        if kind is TakeKind.KEYFRAME:
            return Capabilities(text_to_video=False, keyframes=True, character_references=True,
                                needs_keys=True, aspects=list(ASPECTS), batch_size=1, cloud=True)
        if kind is TakeKind.LIPSYNC:  # a Kling video take of the shot, re-animated to its lines
            return Capabilities(text_to_video=False, lipsync=True, needs_keys=True,
                                aspects=list(ASPECTS), batch_size=1, cloud=True,
                                parallel=max(1, self.settings.max_tasks))
        caps, mode = self.caps, self.settings.mode
        return Capabilities(
            text_to_video=caps.text,
            image_to_video=caps.image,
            first_frame=caps.image,
            last_frame=any(m == mode for m, _ in caps.last_frame),
            character_references=any(m == mode for m, _ in caps.multi_image),
            camera_control=any(m == mode for m, _ in caps.camera),
            keyframes=False,
            # a longer shot is a clip plus extensions where the model can extend; elsewhere
            # check() refuses it in one sentence (or draws the longest clip, with a downgrade)
            max_seconds=float(MAX_TOTAL_SECONDS) if self.settings.model_name in EXTENDABLE
            else None,
            aspects=list(ASPECTS),
            batch_size=1,
            # one take per call: the executor runs up to the account's task limit at once (the
            # process-wide slots in client.py hold it there across all calls)
            parallel=max(1, self.settings.max_tasks),
            needs_keys=True,
            cloud=True,
            elements=True,
            multi_shot=self.settings.model_name in MULTI_SHOT_MODELS,
            max_shots=MAX_SHOTS if self.settings.model_name in MULTI_SHOT_MODELS else 1,
        )

    def check(self, request: RenderRequest) -> None:
        """Raise EngineError, in one sentence, if the model+mode cannot draw this request."""
        self.plan(request)

    def delivers(self, request: RenderRequest) -> Delivery:
        """Kling's own format, not the project's: 720p in std and 1080p in pro (see
        models.NATIVE), at the model's fps, for the seconds actually asked of it (5 or 10, or
        for kling-v3 the shot's own length rounded up to a whole second, 3 to 15), or for the
        clip plus its extensions (4 to 5 s each) when the shot is longer than one task. A still
        is image generation's size for the aspect (stills.STILL_SIZES)."""
        plan = self.plan(request)
        if request.kind is TakeKind.LIPSYNC:
            return lipsync_delivery(request)
        if request.kind is TakeKind.KEYFRAME:
            width, height = STILL_SIZES[plan.aspect]
            return Delivery(width=width, height=height)
        if plan.endpoint == OMNI_ENDPOINT:
            width, height, fps = omni_format(self.settings.mode, plan.aspect)
        else:
            width, height, fps = native_format(self.settings.model_name, self.settings.mode,
                                               plan.aspect)
        seconds = int(plan.params["duration"])
        # a quarter second either way, for how a container rounds the last frame
        tolerance = max(1, fps // 4)
        if plan.extensions:
            # clip + extensions, each documented as 4 to 5 s: the middle, ± half the spread
            low, high = stitched_seconds(seconds, plan.extensions)
            return Delivery(width=width, height=height, fps=fps,
                            frames=round((low + high) / 2 * fps),
                            frames_tolerance=round((high - low) / 2 * fps) + tolerance)
        return Delivery(width=width, height=height, fps=fps, frames=seconds * fps,
                        frames_tolerance=tolerance, cuts=list(plan.params.get("cuts") or []))

    def describe_cost(self, request: RenderRequest) -> float | None:
        return self.plan(request).cost

    def _cost(self, model: str, mode: str, seconds: int, sound: bool = False) -> float | None:
        return task_cost(model, mode, seconds, self.settings.cost_table, sound)

    def plan(self, request: RenderRequest) -> TaskPlan:
        """The Kling request for `request`: endpoint, body, recorded params and downgrades.

        Keyframes go to image generation; lip-sync takes to lip-sync (lipsync.py); a shot whose characters are elements (and that no
        keyframe starts) to omni-video; the rest to the model's own endpoints."""
        if request.kind is TakeKind.KEYFRAME:
            return plan_still(request, self.settings)
        if request.kind is TakeKind.LIPSYNC:
            return plan_lipsync(request, self.settings)
        if request.sequence:
            return plan_multi_shot(request, self.settings, self.caps)
        if wants_omni(request):
            return plan_omni(request, self.settings)
        return plan_task(request, self.settings, self.caps)

    def element_region(self) -> str | None:
        """The API host elements are made on (they belong to one account and region)."""
        return region_of(self.settings.base_url)

    def ensure_elements(self, characters: list[CharacterRef]) -> dict[str, str]:
        """Make a Kling element of each character with two or more references (a frontal one
        and 1-3 more); `{name: element id}`. The project keeps the ids."""
        self._require_keys()
        return make_elements(self.settings, self._token, characters)

    def check_ready(self) -> None:
        self._require_keys()

    def _require_keys(self) -> None:
        s = self.settings
        if not (s.access_key and s.secret_key and s.access_key.get_secret_value()
                and s.secret_key.get_secret_value()):
            raise EngineError(KEYS_MISSING)

    def render(
        self,
        request: RenderRequest,
        *,
        out_dir: Path,
        progress: ProgressFn = no_progress,
        cancel: threading.Event | None = None,
        checkpoint: CheckpointFn = no_checkpoint,
    ) -> list[RenderedTake]:
        """Draw one Kling task per take; failed takes carry the reason, cancelled ones are left
        out (their checkpoint lets a later render resume them without paying again)."""
        s = self.settings
        if not (s.access_key and s.secret_key and s.access_key.get_secret_value()
                and s.secret_key.get_secret_value()):
            raise EngineError(KEYS_MISSING)
        plan = self.plan(request)
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        runner = {TakeKind.KEYFRAME: StillRun, TakeKind.LIPSYNC: LipsyncRun}.get(request.kind,
                                                                                 TakeRun)
        run = runner(self, request, plan, out_dir, progress, cancel or threading.Event(), checkpoint)
        with httpx.Client(timeout=s.request_timeout) as client, ThreadPoolExecutor(
            max_workers=max(1, s.concurrency or min(s.max_tasks, len(request.take_numbers))),
            thread_name_prefix="kling"
        ) as pool:
            run.connect(client)
            jobs = list(zip(request.take_numbers, request.seeds, strict=True))
            results = list(pool.map(lambda job: run.take(*job), jobs))
        takes = [t for t in results if t is not None]
        if run.auth_error and not any(t.path for t in takes):
            raise EngineError(run.auth_error)
        return takes

    def _bearer(self) -> str:
        """A cached JWT, re-signed when less than five minutes of it are left."""
        return self._token.get()
