"""diffusers: character-consistent keyframes and keyframe-conditioned video on a local GPU.

Two stages, each a diffusers pipeline named by settings (engine/diffusers_settings.py):

- keyframe (TakeKind.KEYFRAME): SD / SDXL / Flux text → still; each character's references
  applied through IP-Adapter (engine/diffusers_keyframe.py);
- motion (TakeKind.VIDEO): one family — ltx, wan_i2v, wan_vace, cogvideox_i2v — from the first
  (and, where the family can, last) keyframe. With no keyframe and a keyframe model configured,
  each take first draws its own keyframe with the same seed.

Card draw: the request's seeds run in calls of up to `max_batch` takes where the family batches,
one torch.Generator per take. The batch layout (size, index, seeds) goes into each take's params;
`params={"batch_seeds": [...]}` re-runs that layout, which reproduces a take exactly.

Output: the model draws `frames_per_clip` frames at its bucket size; every clip is then
time-resampled (frames repeated or dropped evenly, ends kept) to request.num_frames and fitted
(scaled, centre-cropped) to request.width×height, and written through engine.writer.
"""

from __future__ import annotations

import importlib.util
import threading
import time
from pathlib import Path
from typing import Any, ClassVar

for _needed in ("torch", "diffusers", "transformers"):
    if importlib.util.find_spec(_needed) is None:
        # the registry turns this into "install shotcraft[diffusers]"
        raise ImportError(f"the diffusers engine needs {_needed}", name=_needed)

from PIL import Image  # noqa: E402

from shotcraft.engine.diffusers_cogvideox import draw as draw_cog  # noqa: E402
from shotcraft.engine.diffusers_common import (  # noqa: E402
    VideoJob,
    batch_layouts,
    load_image,
    load_pipeline,
    pipeline_class_name,
    quiet_libraries,
    resolve_device,
    step_callback,
    to_request_frames,
)
from shotcraft.engine.diffusers_keyframe import (  # noqa: E402
    WITH_IP_ADAPTER,
    KeyframeStage,
    keyframe_family,
    keyframe_size,
)
from shotcraft.engine.diffusers_ltx import draw as draw_ltx  # noqa: E402
from shotcraft.engine.diffusers_settings import (  # noqa: E402
    FAMILIES,
    FAMILY_OF_PIPELINE,
    DiffusersSettings,
    check_frames,
    check_size,
    env_name,
    parse_size,
)
from shotcraft.engine.diffusers_wan import draw_i2v, draw_vace, last_frame_supported  # noqa: E402
from shotcraft.engine.protocol import (  # noqa: E402
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
from shotcraft.engine.writer import write_still, write_video  # noqa: E402
from shotcraft.shots.errors import ConfigError, EngineError, ShotcraftError  # noqa: E402
from shotcraft.shots.models import TakeKind  # noqa: E402

VERSION = "1.0"
_CACHE: dict[tuple[Any, ...], Any] = {}  # loaded pipelines, so a session loads each model once
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 3


def _cached(key: tuple[Any, ...], load: Any) -> Any:
    with _CACHE_LOCK:
        if key not in _CACHE:
            while len(_CACHE) >= _CACHE_SIZE:
                _CACHE.pop(next(iter(_CACHE)))
            _CACHE[key] = load()
        return _CACHE[key]


def clear_pipeline_cache() -> None:
    """Forget loaded pipelines (frees their memory once nothing else holds them)."""
    with _CACHE_LOCK:
        _CACHE.clear()


class DiffusersEngine(Engine):
    """Local diffusers pipelines; `DiffusersEngine(video_model=..., family=...)` overrides env."""

    name: ClassVar[str] = "diffusers"
    kinds: ClassVar[frozenset[TakeKind]] = frozenset({TakeKind.VIDEO, TakeKind.KEYFRAME})
    version: ClassVar[str] = VERSION

    def __init__(self, **settings: Any) -> None:
        quiet_libraries()  # before any pipeline class is imported: some warn on import
        try:
            self.settings = DiffusersSettings(**settings)
        except ValueError as exc:  # pydantic's ValidationError is a ValueError
            raise ConfigError(f"diffusers settings are invalid: {exc}".replace("\n", " ")) from exc
        if self.settings.frames_per_clip is not None and self.family:
            check_frames(self.family, self.settings.frames_per_clip)

    # -- what it can do ------------------------------------------------------------------------

    @property
    def family(self) -> str | None:
        """The video family from the settings, or from the checkpoint's model_index.json."""
        s = self.settings
        if s.family:
            return s.family
        if not s.video_model:
            return None
        name = pipeline_class_name(s.video_model)
        return FAMILY_OF_PIPELINE.get(name or "")

    def frames_per_clip(self) -> int:
        family = self._need_family()
        frames = self.settings.frames_per_clip or FAMILIES[family].default_frames
        check_frames(family, frames)
        return frames

    def _need_family(self) -> str:
        family = self.family
        if family is None:
            if not self.settings.video_model:
                raise ConfigError(f"set {env_name('video_model')} to a video model folder to draw video takes.")
            raise ConfigError(
                f"cannot tell which pipeline {self.settings.video_model} is; set "
                f"{env_name('family')} to one of {', '.join(FAMILIES)}."
            )
        return family

    def _last_frame(self, family: str) -> bool:
        if family == "wan_i2v":
            if self.settings.last_frame is not None:
                return self.settings.last_frame
            return last_frame_supported(self.settings.video_model)
        return family in {"ltx", "wan_vace"}

    def capabilities(self, kind: TakeKind = TakeKind.VIDEO) -> Capabilities:
        s = self.settings
        kf_family = keyframe_family(s)
        refs_in_keyframes = bool(s.ip_adapter) and kf_family in WITH_IP_ADAPTER
        if kind is TakeKind.KEYFRAME:
            return Capabilities(
                text_to_video=False, keyframes=kf_family is not None,
                character_references=refs_in_keyframes, batch_size=max(1, s.max_batch), gpu=True,
            )
        family = self.family
        if family is None:
            # nothing to draw video with; keyframe stills may still be drawn
            return Capabilities(text_to_video=False, keyframes=kf_family is not None,
                                batch_size=max(1, s.max_batch), gpu=True)
        rule = FAMILIES[family]
        frames = s.frames_per_clip or rule.default_frames
        return Capabilities(
            # a family that needs a first frame draws it with the keyframe model when there is one
            text_to_video=family == "ltx" or kf_family is not None,
            image_to_video=True, first_frame=True, last_frame=self._last_frame(family),
            character_references=family == "wan_vace" or (refs_in_keyframes and family != "ltx"),
            camera_control=False, keyframes=kf_family is not None,
            max_seconds=frames / rule.native_fps, batch_size=max(1, s.max_batch), gpu=True,
        )

    # -- loading -------------------------------------------------------------------------------

    def _device(self) -> str:
        return resolve_device(self.settings)

    def _run_key(self) -> tuple[Any, ...]:
        s = self.settings
        return (self._device(), s.dtype, s.cpu_offload, s.vae_tiling, s.vae_slicing)

    def keyframe_stage(self) -> KeyframeStage:
        """The loaded keyframe pipeline (with its IP-Adapter), loaded once per process."""
        s = self.settings
        if not s.keyframe_model:
            raise ConfigError(f"set {env_name('keyframe_model')} to a text-to-image model folder.")
        key = ("keyframe", s.keyframe_model, keyframe_family(s), s.ip_adapter,
               s.ip_adapter_subfolder, s.ip_adapter_weight_name, s.image_encoder, *self._run_key())
        stage = _cached(key, lambda: KeyframeStage.load(s))
        stage.settings = s  # steps, guidance and cache folder may differ between engines
        return stage

    def video_pipeline(self) -> Any:
        """The loaded motion pipeline of the configured family, loaded once per process."""
        import diffusers

        family = self._need_family()
        cls = getattr(diffusers, FAMILIES[family].pipeline)
        key = ("video", self.settings.video_model, family, *self._run_key())
        return _cached(key, lambda: load_pipeline(cls, self.settings.video_model,
                                                  field="video_model", settings=self.settings))

    def video_size(self, aspect: str) -> tuple[int, int]:
        family = self._need_family()
        buckets = {**FAMILIES[family].buckets, **self.settings.video_buckets}
        text = buckets.get(aspect) or next(iter(buckets.values()))
        width, height = parse_size(text, field="video_buckets")
        check_size(family, width, height, field="video_buckets")
        return width, height

    # -- drawing -------------------------------------------------------------------------------

    def render(
        self,
        request: RenderRequest,
        *,
        out_dir: Path,
        progress: ProgressFn = no_progress,
        cancel: threading.Event | None = None,
        checkpoint: CheckpointFn = no_checkpoint,
    ) -> list[RenderedTake]:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        video = request.kind is TakeKind.VIDEO
        if video:
            family = self._need_family()
            size = self.settings.max_batch if FAMILIES[family].batches else 1
        else:
            size = self.settings.max_batch
        numbers = dict(zip(request.seeds, request.take_numbers, strict=True))
        layouts = batch_layouts(request.seeds, size, request.params)
        results: list[RenderedTake] = []
        for layout in layouts:
            if cancel is not None and cancel.is_set():
                break
            started = time.monotonic()
            wanted = [s for s in layout if s in numbers]
            try:
                drawn = self._draw_batch(request, layout, progress, cancel, numbers)
            except (ConfigError, EngineError):
                raise
            except (ShotcraftError, RuntimeError, ValueError, OSError) as exc:
                reason = f"the pipeline failed: {exc}".replace("\n", " ")[:300]
                results += [RenderedTake(take_number=numbers[s], seed=s, failed=reason) for s in wanted]
                continue
            if cancel is not None and cancel.is_set():
                break  # an interrupted call returns half-denoised frames; keep none of them
            seconds = (time.monotonic() - started) / max(1, len(layout))
            for index, seed in enumerate(layout):
                if seed not in numbers:
                    continue  # a seed re-run only to reproduce the recorded batch layout
                frames, params = drawn[index]
                params["batch"] = {"size": len(layout), "index": index, "seeds": list(layout)}
                params["batch_seeds"] = list(layout)
                path = self._write(request, numbers[seed], frames, out_dir)
                results.append(RenderedTake(take_number=numbers[seed], seed=seed, path=path,
                                            params=params, cost_seconds=seconds))
                progress(Progress(take_number=numbers[seed], done=1.0, message="written"))
        return results

    def _write(self, request: RenderRequest, number: int, frames: Any, out_dir: Path) -> Path:
        if request.kind is TakeKind.KEYFRAME:
            (still,) = to_request_frames(frames[None], num_frames=1, width=request.width,
                                         height=request.height)
            return write_still(still, out_dir / f"take{number:03d}.png")
        clip = to_request_frames(frames, num_frames=request.num_frames, width=request.width,
                                 height=request.height)
        path = out_dir / f"take{number:03d}.mp4"
        write_video(clip, path, width=request.width, height=request.height, fps=request.fps)
        return path

    def _reporter(self, request: RenderRequest, layout: list[int], numbers: dict[int, int],
                  progress: ProgressFn, lo: float, hi: float, what: str) -> Any:
        def on_step(done: float) -> None:
            for seed in layout:
                if seed in numbers:
                    progress(Progress(take_number=numbers[seed], done=lo + (hi - lo) * done,
                                      message=what))
        return on_step

    def _draw_batch(
        self, request: RenderRequest, layout: list[int], progress: ProgressFn,
        cancel: threading.Event | None, numbers: dict[int, int],
    ) -> list[tuple[Any, dict[str, Any]]]:
        """One pipeline call (per stage) for the seeds of `layout`: [(frames, params)] in order."""
        s = self.settings
        scale = float(request.params.get("ip_adapter_scale", s.ip_adapter_scale))
        base = {"engine_version": f"diffusers-{VERSION}", "seed_layout": "one generator per take"}
        if request.kind is TakeKind.KEYFRAME:
            stage = self.keyframe_stage()
            width, height = keyframe_size(s, request.aspect)
            callback = step_callback(s.keyframe_steps, self._reporter(
                request, layout, numbers, progress, 0.0, 0.95, "keyframe"), cancel)
            stills, used = stage.draw(prompt=request.prompt, negative=request.negative_prompt,
                                      refs=request.characters, width=width, height=height,
                                      seeds=layout, scale=scale, callback=callback)
            return [(still, {**base, **used}) for still in stills]

        family = self._need_family()
        frames = self.frames_per_clip()
        width, height = self.video_size(request.aspect)
        firsts: list[Any] = [None] * len(layout)
        kf_params: dict[str, Any] = {}
        if request.first_frame is not None:
            firsts = [load_image(request.first_frame, width, height)] * len(layout)
        elif family != "ltx":
            stage = self.keyframe_stage()
            callback = step_callback(s.keyframe_steps, self._reporter(
                request, layout, numbers, progress, 0.0, 0.3, "keyframe"), cancel)
            stills, kf_params = stage.draw(prompt=request.prompt, negative=request.negative_prompt,
                                           refs=request.characters, width=width, height=height,
                                           seeds=layout, scale=scale, callback=callback)
            firsts = [Image.fromarray(still) for still in stills]
            kf_params["keyframe_drawn"] = True
        last = load_image(request.last_frame, width, height) if request.last_frame else None
        refs = [load_image(r.references[0], width, height) for r in request.characters
                if r.references] if family == "wan_vace" else []
        pipe = self.video_pipeline()
        callback = step_callback(s.video_steps, self._reporter(
            request, layout, numbers, progress, 0.3 if kf_params else 0.0, 0.95, "video"), cancel)
        # one call when every take starts from the same image; else one call per take
        groups = [list(range(len(layout)))] if len({id(f) for f in firsts}) == 1 else \
            [[i] for i in range(len(layout))]
        clips: list[Any] = [None] * len(layout)
        for group in groups:
            job = VideoJob(
                prompt=request.prompt, negative=request.negative_prompt, first=firsts[group[0]],
                last=last, references=refs, width=width, height=height, frames=frames,
                steps=s.video_steps, guidance=s.video_guidance, seeds=[layout[i] for i in group],
                device=self._device(), callback=callback, max_sequence_length=s.max_sequence_length,
            )
            out = _draw_family(family, pipe, job)
            for i, clip in zip(group, out, strict=True):
                clips[i] = clip
        params = {
            **base, **kf_params, "video_model": s.video_model, "family": family,
            "video_steps": s.video_steps, "video_guidance": s.video_guidance,
            "native_size": [width, height], "native_frames": frames,
            "resampled_to": {"frames": request.num_frames, "size": [request.width, request.height],
                             "how": "frames repeated/dropped evenly, fitted with centre crop"},
            "conditions": {"first_frame": firsts[0] is not None, "last_frame": last is not None,
                           "references": len(refs)},
        }
        return [(clip, dict(params)) for clip in clips]


def _draw_family(family: str, pipe: Any, job: VideoJob) -> Any:
    if family == "ltx":
        return np_list(draw_ltx(pipe, job))
    if family == "wan_i2v":
        return np_list(draw_i2v(pipe, job))
    if family == "wan_vace":
        return np_list(draw_vace(pipe, job))
    return np_list(draw_cog(pipe, job))


def np_list(batch: Any) -> list[Any]:
    """(B, F, H, W, 3) → B clips."""
    return [batch[i] for i in range(len(batch))]
