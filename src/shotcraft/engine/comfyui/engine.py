"""ComfyUIEngine: draw takes on a self-hosted ComfyUI server from the director's workflow.

Each take is one prompt: the workflow filled from the shot (prompt, negative, seed, size, frame
count, fps, keyframes uploaded through /upload/image), queued under a prompt id chosen here and
checkpointed before `POST /prompt`, so a restarted render looks the prompt up in /history and
/queue instead of queueing it again. Progress comes from the websocket; cancel interrupts the
running prompt or takes a pending one out of the queue; outputs (a video, or an image
sequence joined with ffmpeg) are read from the history and fetched through /view.
"""

from __future__ import annotations

import hashlib
import math
import threading
from pathlib import Path
from typing import Any

from shotcraft.engine.comfyui.plan import ComfyPlan
from shotcraft.engine.comfyui.run import ComfyRun
from shotcraft.engine.comfyui.workflow import (
    Mapping,
    Workflow,
    check_against,
    find_mapping,
    load_workflow,
    resolve_inputs,
    to_api,
)
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
from shotcraft.engine.settings import parse_aspect
from shotcraft.providers.comfyui.client import ComfyClient, ComfyRefused, ComfyUnreachable
from shotcraft.providers.comfyui.settings import URL_MISSING, ComfyUISettings
from shotcraft.shots.errors import EngineError
from shotcraft.shots.models import Move, TakeKind

__version__ = "1"


class ComfyUIEngine(Engine):
    """Draws video takes on a ComfyUI server through a mapped workflow."""

    name = "comfyui"
    version = __version__

    def __init__(self, settings: ComfyUISettings | None = None, workflow: str | None = None) -> None:
        self.settings = settings or ComfyUISettings()
        self.workflow_path = workflow or self.settings.workflow
        self._workflow: Workflow | None = None
        self._mapping: Mapping | None = None
        self._info: dict[str, Any] | None = None
        self._lock = threading.Lock()

    # --- the workflow and the server -------------------------------------------------------

    def workflow(self) -> tuple[Workflow, Mapping]:
        if not self.workflow_path:
            raise EngineError("ComfyUI needs a workflow: set SHOTCRAFT_COMFYUI_WORKFLOW or pass "
                              "--workflow FILE.")
        if self._workflow is None:
            self._workflow = load_workflow(self.workflow_path)
            self._mapping = find_mapping(self._workflow)
        assert self._mapping is not None
        return self._workflow, self._mapping

    def object_info(self) -> dict[str, Any]:
        with self._lock:
            if self._info is None:
                if not self.settings.url:
                    raise EngineError(URL_MISSING)
                client = ComfyClient(self.settings.url, timeout=self.settings.request_timeout)
                try:
                    self._info = client.object_info()
                except ComfyUnreachable as exc:
                    raise EngineError(f"The ComfyUI server at {self.settings.url} did not answer "
                                      f"({exc}); start it or fix SHOTCRAFT_COMFYUI_URL.") from None
                except ComfyRefused as exc:
                    raise EngineError(f"The ComfyUI server at {self.settings.url} refused "
                                      f"/object_info (HTTP {exc.status}).") from None
                finally:
                    client.close()
            return self._info

    # --- the contract ----------------------------------------------------------------------

    def capabilities(self, kind: TakeKind = TakeKind.VIDEO) -> Capabilities:
        try:
            _workflow, mapping = self.workflow()
            roles = set(mapping.roles)
        except EngineError:
            roles = {"prompt"}  # no workflow yet: check() and check_ready() say what is missing
        if kind is not TakeKind.VIDEO:
            return Capabilities(text_to_video=False, cloud=True)
        first = "first_frame" in roles
        return Capabilities(text_to_video="prompt" in roles and not first, image_to_video=first,
                            first_frame=first, last_frame="last_frame" in roles,
                            character_references="reference" in roles, keyframes=False,
                            batch_size=1, parallel=1, cloud=True)

    def check_ready(self) -> None:
        if not self.settings.url:
            raise EngineError(URL_MISSING)
        self.workflow()
        self.object_info()

    def check(self, request: RenderRequest) -> None:
        self.plan(request)

    def delivers(self, request: RenderRequest) -> Delivery:
        """The size, fps and frame count the filled workflow draws (the template's own frame
        rate, its frame-count rule, the shot's aspect at the workflow's long side)."""
        plan = self.plan(request)
        return Delivery(width=plan.width, height=plan.height, fps=plan.fps, frames=plan.frames,
                        frames_tolerance=1)

    def describe_cost(self, request: RenderRequest) -> float | None:
        return None  # the director's own GPU: compute seconds, no credits

    def plan(self, request: RenderRequest) -> ComfyPlan:
        """The workflow filled from `request` (all but the seed and uploads); EngineError in one
        sentence when it cannot be (a node the server lacks, an unmapped required input)."""
        if request.kind is not TakeKind.VIDEO:
            raise EngineError("ComfyUI draws video takes only here; draw keyframes with another "
                              "engine.")
        if request.sequence:
            raise EngineError("ComfyUI draws one shot per prompt; draw the sequence on an engine "
                              "with multi-shot (seedance, or kling-v3).")
        workflow, mapping = self.workflow()
        info = self.object_info()
        where = workflow.path.name
        api = to_api(workflow, info)
        try:
            inputs = resolve_inputs(api, mapping)
        except EngineError as exc:
            raise EngineError(f"ComfyUI workflow {where}: {exc}") from None
        downgrades: list[str] = []
        if "prompt" not in inputs:
            raise EngineError(f"ComfyUI workflow {where} has no prompt input mapped; title the "
                              "positive text node shotcraft.prompt.")
        if request.first_frame is None and "first_frame" in inputs:
            raise EngineError(f"ComfyUI workflow {where} starts from an image ({mapping.template})"
                              "; give the shot a first keyframe.")
        if request.last_frame is not None and "last_frame" not in inputs:
            if not request.allow_downgrade:
                raise EngineError(f"ComfyUI workflow {where} has no last frame input; drop the "
                                  "last keyframe or use a first-last-frame workflow.")
            downgrades.append("last keyframe ignored: the workflow takes none")
        if request.first_frame is not None and "first_frame" not in inputs:
            downgrades.append("first keyframe ignored: the workflow takes no image")
        for role in ("width", "height", "frames"):
            if role not in inputs:
                raise EngineError(f"ComfyUI workflow {where} has no {role} input mapped; title the "
                                  f"latent node shotcraft.width+height+frames.")

        def value(role: str) -> Any:
            node, name = inputs[role]
            return api[node]["inputs"].get(name)

        def put(role: str, new: Any) -> None:
            node, name = inputs[role]
            api[node]["inputs"][name] = new

        own_w, own_h = int(value("width")), int(value("height"))
        long_side = self.settings.long_side or max(own_w, own_h)
        aw, ah = parse_aspect(request.aspect)
        step = 32
        wide, tall = (long_side, long_side * ah / aw) if aw >= ah else (long_side * aw / ah,
                                                                         long_side)
        width = max(step, int(round(wide / step)) * step)
        height = max(step, int(round(tall / step)) * step)
        fps = float(value("fps")) if "fps" in inputs else self.settings.fps
        wanted = request.num_frames * fps / request.fps
        rule = mapping.frame_step
        frames = int(math.ceil(max(1.0, wanted - 1) / rule - 1e-9)) * rule + 1
        put("width", width)
        put("height", height)
        put("frames", frames)
        if "fps" in inputs:
            put("fps", fps)
        for node, name in mapping.linked_fps.items():
            if node in api:
                api[node]["inputs"][name] = fps
        text = request.prompt.rstrip()
        if request.camera.move is not Move.STATIC:
            text += f". camera {request.camera.move.value.replace('_', ' ')}"
        put("prompt", text)
        if "negative" in inputs and request.negative_prompt:
            put("negative", request.negative_prompt)
        check_against(api, info, where)
        params = {"workflow": where, "template": mapping.template, "width": width,
                  "height": height, "frames": frames, "fps": fps,
                  "workflow_sha256": hashlib.sha256(workflow.path.read_bytes()).hexdigest(),
                  "seed_used": "seed" in inputs}
        return ComfyPlan(api, inputs, width, height, frames, fps, downgrades, params)

    def render(self, request: RenderRequest, *, out_dir: Path, progress: ProgressFn = no_progress,
               cancel: threading.Event | None = None,
               checkpoint: CheckpointFn = no_checkpoint) -> list[RenderedTake]:
        plan = self.plan(request)
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        client = ComfyClient(self.settings.url, timeout=self.settings.request_timeout)
        run = ComfyRun(self, request, plan, out_dir, progress, cancel or threading.Event(),
                       checkpoint, client)
        try:
            results = [run.take(n, s) for n, s in zip(request.take_numbers, request.seeds,
                                                      strict=True)]
        finally:
            client.close()
        return [r for r in results if r is not None]
