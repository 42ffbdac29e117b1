"""Helpers shared by the diffusers families: device and dtype, loading, generators, the per-step
callback (progress and cancellation), and turning pipeline output into request-sized frames.

torch and diffusers are imported inside functions only, so importing this module is cheap and
works without the diffusers extra.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from shotcraft.engine.diffusers_settings import DiffusersSettings, env_name
from shotcraft.shots.errors import ConfigError, EngineError


def resolve_device(settings: DiffusersSettings) -> str:
    """"cuda" when asked for or available (auto), else "cpu"."""
    import torch

    if settings.device == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"{env_name('device')}=cuda but torch sees no CUDA GPU; use cpu or auto.")
    if settings.device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return settings.device


def resolve_dtype(settings: DiffusersSettings, device: str) -> Any:
    """torch dtype: bfloat16 on a GPU and float32 on the CPU unless set."""
    import torch

    if settings.dtype == "auto":
        return torch.bfloat16 if device == "cuda" else torch.float32
    return getattr(torch, settings.dtype)


@contextmanager
def hub_offline(settings: DiffusersSettings) -> Iterator[None]:
    """HF_HUB_OFFLINE=1 while loading (unless the user set it or turned this off)."""
    if not settings.hub_offline or "HF_HUB_OFFLINE" in os.environ:
        yield
        return
    os.environ["HF_HUB_OFFLINE"] = "1"
    try:
        yield
    finally:
        os.environ.pop("HF_HUB_OFFLINE", None)


def pipeline_class_name(path: str) -> str | None:
    """The `_class_name` of a local checkpoint's model_index.json, or None."""
    index = Path(path) / "model_index.json"
    if not index.is_file():
        return None
    try:
        return str(json.loads(index.read_text(encoding="utf-8")).get("_class_name") or "") or None
    except (OSError, ValueError):
        return None


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes", "on"}


def quiet_libraries() -> None:
    """No loading bars or chatter from diffusers/transformers: they would write over the
    studio's screen and the CLI's own progress bars. Progress is reported through our callback."""
    import diffusers
    import transformers

    diffusers.utils.logging.disable_progress_bar()
    diffusers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()


def load_pipeline(cls: Any, path: str | None, *, field: str, settings: DiffusersSettings) -> Any:
    """`cls.from_pretrained(path)` on the configured device and dtype, with one clear error for
    a missing or broken model naming the setting to fix."""
    if not path:
        raise ConfigError(f"set {env_name(field)} to a model folder or hub id to use this stage.")
    quiet_libraries()
    device = resolve_device(settings)
    dtype = resolve_dtype(settings, device)
    with hub_offline(settings):
        local = Path(path).expanduser().is_dir()
        if not local and _offline():
            raise ConfigError(
                f"{env_name(field)}={path} is not a local folder and the model hub is offline; "
                "point it at a downloaded model folder."
            )
        try:
            pipe = cls.from_pretrained(str(Path(path).expanduser()) if local else path,
                                       dtype=dtype, local_files_only=local or _offline())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{env_name(field)}={path} could not be loaded: {exc}".rstrip(".") + ".") from exc
    pipe.set_progress_bar_config(disable=True)
    if settings.cpu_offload and device == "cuda":
        pipe.enable_model_cpu_offload()
    else:
        pipe.to(device)
    vae = getattr(pipe, "vae", None)
    if vae is not None:
        if settings.vae_tiling and hasattr(vae, "enable_tiling"):
            vae.enable_tiling()
        if settings.vae_slicing and hasattr(vae, "enable_slicing"):
            vae.enable_slicing()
    return pipe


def generators(seeds: list[int], device: str) -> list[Any]:
    """One torch.Generator per take, seeded with the take's seed (CPU generators on CPU)."""
    import torch

    gen_device = "cuda" if device == "cuda" else "cpu"
    return [torch.Generator(gen_device).manual_seed(int(seed)) for seed in seeds]


def step_callback(
    steps: int, on_step: Callable[[float], None], cancel: threading.Event | None,
) -> Callable[..., dict[str, Any]]:
    """A callback_on_step_end reporting progress and stopping the pipeline when `cancel` is set."""

    def callback(pipe: Any, step: int, _timestep: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        on_step(min(1.0, (step + 1) / max(1, steps)))
        if cancel is not None and cancel.is_set():
            pipe._interrupt = True  # diffusers checks this flag before the next step
        return kwargs

    return callback


def to_uint8(frames: Any) -> np.ndarray:
    """Pipeline output (np floats 0..1, or PIL images) → uint8 array, shape (..., H, W, 3)."""
    if isinstance(frames, list) and frames and isinstance(frames[0], Image.Image):
        return np.stack([np.asarray(f.convert("RGB")) for f in frames])
    array = np.asarray(frames)
    if array.dtype == np.uint8:
        return array
    return (np.clip(array, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def fit_image(image: Image.Image, width: int, height: int) -> Image.Image:
    """`image` scaled and centre-cropped to exactly width×height (no letterbox bars)."""
    return ImageOps.fit(image.convert("RGB"), (width, height), Image.Resampling.LANCZOS)


def load_image(path: Path, width: int, height: int) -> Image.Image:
    """A keyframe or reference file read and fitted to the model's size."""
    try:
        with Image.open(path) as image:
            return fit_image(image, width, height)
    except OSError as exc:
        raise EngineError(f"cannot read image {path.name}: {exc}.") from exc


def resample_indices(native: int, wanted: int) -> list[int]:
    """Which native frame to show at each output frame: evenly repeated or dropped frames,
    first and last kept, so a keyframe at either end stays at that end."""
    if wanted <= 1 or native <= 1:
        return [0] * max(1, wanted)
    return [round(i * (native - 1) / (wanted - 1)) for i in range(wanted)]


def to_request_frames(video: np.ndarray, *, num_frames: int, width: int, height: int) -> list[np.ndarray]:
    """A (F, H, W, 3) uint8 clip time-resampled to `num_frames` and fitted to width×height."""
    out = []
    cache: dict[int, np.ndarray] = {}
    for index in resample_indices(len(video), num_frames):
        if index not in cache:
            frame = video[index]
            if frame.shape[:2] != (height, width):
                frame = np.asarray(fit_image(Image.fromarray(frame), width, height))
            cache[index] = frame
        out.append(cache[index])
    return out


def batches(seeds: list[int], size: int) -> list[list[int]]:
    """Seeds cut into calls of at most `size` takes, in order."""
    size = max(1, size)
    return [seeds[i:i + size] for i in range(0, len(seeds), size)]


def batch_layouts(seeds: list[int], size: int, params: dict[str, Any]) -> list[list[int]]:
    """The seed groups to run: `params["batch_seeds"]` reproduces one recorded layout exactly."""
    recorded = params.get("batch_seeds")
    if recorded:
        layout = [int(s) for s in recorded]
        missing = [s for s in seeds if s not in layout]
        if missing:
            raise EngineError(
                f"batch_seeds {layout} do not contain the seeds {missing} to reproduce; pass the "
                "batch_seeds recorded on the take."
            )
        return [layout]
    return batches(seeds, size)


class VideoJob:
    """One motion-stage call: the same prompt and keyframes for `len(seeds)` takes."""

    def __init__(
        self, *, prompt: str, negative: str, first: Image.Image | None, last: Image.Image | None,
        references: list[Image.Image], width: int, height: int, frames: int, steps: int,
        guidance: float, seeds: list[int], device: str, callback: Any,
        max_sequence_length: int | None,
    ) -> None:
        self.prompt, self.negative = prompt, negative
        self.first, self.last, self.references = first, last, references
        self.width, self.height, self.frames = width, height, frames
        self.steps, self.guidance, self.seeds = steps, guidance, seeds
        self.device, self.callback = device, callback
        self.max_sequence_length = max_sequence_length

    def common_kwargs(self) -> dict[str, Any]:
        """Arguments every video pipeline shares."""
        kwargs: dict[str, Any] = {
            "height": self.height, "width": self.width, "num_frames": self.frames,
            "num_inference_steps": self.steps, "guidance_scale": self.guidance,
            "output_type": "np", "callback_on_step_end": self.callback,
        }
        if self.max_sequence_length:
            kwargs["max_sequence_length"] = self.max_sequence_length
        return kwargs
