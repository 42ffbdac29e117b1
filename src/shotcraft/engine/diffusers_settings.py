"""Settings of the diffusers engine (`SHOTCRAFT_DIFFUSERS_*` environment variables).

No torch here: the registry, the CLI's help and the TUI read these without the diffusers extra.
Per-family constants (frame-count rule, size multiple, native fps, default bucket) live here too,
so capabilities can be declared before any model is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic_settings import SettingsConfigDict

from shotcraft.shots.errors import ConfigError
from shotcraft.shots.settings import Section

VideoFamily = Literal["ltx", "wan_i2v", "wan_vace", "cogvideox_i2v"]
KeyframeFamily = Literal["sd", "sdxl", "flux"]


@dataclass(frozen=True)
class FamilyRule:
    """What a video family's model accepts: frames = step·k + 1, sizes a multiple of `multiple`."""

    pipeline: str  # diffusers class name
    frame_step: int
    multiple: int
    native_fps: int
    default_frames: int
    buckets: dict[str, str]
    batches: bool  # a list of prompts + a list of generators draws N takes in one call


FAMILIES: dict[str, FamilyRule] = {
    "ltx": FamilyRule("LTXConditionPipeline", 8, 32, 24, 97,
                      {"9:16": "480x832", "16:9": "832x480", "1:1": "640x640"}, batches=False),
    "wan_i2v": FamilyRule("WanImageToVideoPipeline", 4, 16, 16, 81,
                          {"9:16": "480x832", "16:9": "832x480", "1:1": "624x624"}, batches=True),
    "wan_vace": FamilyRule("WanVACEPipeline", 4, 16, 16, 81,
                           {"9:16": "480x832", "16:9": "832x480", "1:1": "624x624"}, batches=False),
    "cogvideox_i2v": FamilyRule("CogVideoXImageToVideoPipeline", 4, 16, 8, 49,
                                {"9:16": "480x720", "16:9": "720x480", "1:1": "480x480"},
                                batches=True),
}
# diffusers class name → family, to detect the family from a checkpoint's model_index.json
FAMILY_OF_PIPELINE = {rule.pipeline: name for name, rule in FAMILIES.items()}
KEYFRAME_PIPELINES = {
    "StableDiffusionPipeline": "sd", "StableDiffusionXLPipeline": "sdxl", "FluxPipeline": "flux",
}
KEYFRAME_BUCKETS = {
    "sd": {"9:16": "512x912", "16:9": "912x512", "1:1": "512x512"},
    "sdxl": {"9:16": "768x1344", "16:9": "1344x768", "1:1": "1024x1024"},
    "flux": {"9:16": "768x1344", "16:9": "1344x768", "1:1": "1024x1024"},
}


class DiffusersSettings(Section):
    """Where the models are and how to run them (`[diffusers]`, `SHOTCRAFT_DIFFUSERS_*`);
    constructor arguments override the files and the environment."""

    section = "diffusers"
    model_config = SettingsConfigDict(env_prefix="SHOTCRAFT_DIFFUSERS_", extra="forbid")

    # the keyframe stage (text → still, with character references through IP-Adapter)
    keyframe_model: str | None = None
    keyframe_family: KeyframeFamily | None = None  # None: read from the checkpoint
    keyframe_steps: int = 30
    keyframe_guidance: float = 7.0
    keyframe_buckets: dict[str, str] = {}  # aspect → "WxH"; empty: the family's defaults
    ip_adapter: str | None = None  # folder (or hub id) holding the IP-Adapter weights
    ip_adapter_subfolder: str = "models"
    ip_adapter_weight_name: str = "ip-adapter_sd15.safetensors"
    image_encoder: str | None = None  # folder of the CLIP image encoder; None: <subfolder>/image_encoder
    ip_adapter_scale: float = 0.6
    embeds_cache: str | None = None  # folder for cached reference embeddings; None: ~/.cache/shotcraft

    # the motion stage (keyframes → clip)
    video_model: str | None = None
    family: VideoFamily | None = None  # None: read from the checkpoint's model_index.json
    video_steps: int = 30
    video_guidance: float = 5.0
    video_buckets: dict[str, str] = {}
    frames_per_clip: int | None = None  # None: the family's default (Wan 81, LTX 97, CogVideoX 49)
    last_frame: bool | None = None  # Wan I2V: None = only with an FLF2V checkpoint
    max_sequence_length: int | None = None  # None: the pipeline's default

    # running
    device: Literal["auto", "cpu", "cuda"] = "auto"
    dtype: Literal["auto", "float32", "float16", "bfloat16"] = "auto"
    cpu_offload: bool = False
    vae_tiling: bool = False
    vae_slicing: bool = False
    max_batch: int = 1  # takes drawn in one pipeline call where the family allows it
    hub_offline: bool = True  # set HF_HUB_OFFLINE=1 while loading, so a missing model never hangs


def env_name(field: str) -> str:
    """The environment variable that sets `field`, for error messages."""
    return "SHOTCRAFT_DIFFUSERS_" + field.upper()


def parse_size(text: str, *, field: str) -> tuple[int, int]:
    """"480x832" → (480, 832); ConfigError naming the setting otherwise."""
    left, sep, right = text.lower().replace("×", "x").partition("x")
    if not sep or not left.strip().isdigit() or not right.strip().isdigit():
        raise ConfigError(f"{env_name(field)} has size '{text}'; write it like 480x832.")
    return int(left), int(right)


def check_frames(family: str, frames: int) -> None:
    """Raise ConfigError when `frames` breaks the family's frame-count rule."""
    rule = FAMILIES[family]
    if frames < 1 or (frames - 1) % rule.frame_step:
        k = max(1, round((frames - 1) / rule.frame_step))
        raise ConfigError(
            f"{env_name('frames_per_clip')}={frames} does not fit {family}, which draws "
            f"{rule.frame_step}·k+1 frames; use {rule.frame_step * k + 1}."
        )


def check_size(family: str, width: int, height: int, *, field: str, multiple: int | None = None) -> None:
    """Raise ConfigError when a bucket size is not a multiple the model can draw."""
    step = multiple or FAMILIES[family].multiple
    if width <= 0 or height <= 0 or width % step or height % step:
        raise ConfigError(
            f"{env_name(field)} has {width}x{height}, but {family} needs both sides to be "
            f"positive multiples of {step}."
        )
