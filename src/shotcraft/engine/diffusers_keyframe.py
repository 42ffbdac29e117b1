"""Keyframe stage: text → still with Stable Diffusion / SDXL (IP-Adapter character references)
or Flux (text only).

Components: the text-to-image pipeline from `keyframe_model`; an IP-Adapter from `ip_adapter`
(`<subfolder>/<weight_name>`) with its CLIP image encoder. Each character's reference images are
encoded once and cached on disk, keyed by the sha256 of the reference files and the adapter, so
a card draw of 50 takes encodes each face once — and the next session not at all.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from pathlib import Path as _Path
from typing import Any

import numpy as np

from shotcraft.engine.diffusers_common import (
    generators,
    hub_offline,
    load_image,
    load_pipeline,
    pipeline_class_name,
    resolve_device,
    to_uint8,
)
from shotcraft.engine.diffusers_settings import (
    KEYFRAME_BUCKETS,
    KEYFRAME_PIPELINES,
    DiffusersSettings,
    env_name,
    parse_size,
)
from shotcraft.engine.protocol import CharacterRef
from shotcraft.shots.errors import ConfigError
from shotcraft.shots.media import sha256_file

WITH_IP_ADAPTER = {"sd", "sdxl"}  # families whose pipelines take ip_adapter_image_embeds here


def keyframe_family(settings: DiffusersSettings) -> str | None:
    """"sd" | "sdxl" | "flux" from the settings or the checkpoint; None when no model is set."""
    if not settings.keyframe_model:
        return None
    if settings.keyframe_family:
        return settings.keyframe_family
    name = pipeline_class_name(settings.keyframe_model)
    return KEYFRAME_PIPELINES.get(name or "", "sd")


def keyframe_size(settings: DiffusersSettings, aspect: str) -> tuple[int, int]:
    """The size the keyframe model draws at for `aspect` (a bucket; the engine fits it after)."""
    family = keyframe_family(settings) or "sd"
    buckets = {**KEYFRAME_BUCKETS[family], **settings.keyframe_buckets}
    text = buckets.get(aspect) or buckets.get("9:16") or "512x912"
    width, height = parse_size(text, field="keyframe_buckets")
    if width % 8 or height % 8:
        raise ConfigError(f"{env_name('keyframe_buckets')} has {text}; both sides must be multiples of 8.")
    return width, height


class KeyframeStage:
    """The loaded text-to-image pipeline plus its IP-Adapter; draws batches of stills."""

    def __init__(self, settings: DiffusersSettings, pipe: Any) -> None:
        self.settings = settings
        self.pipe = pipe
        self.family = keyframe_family(settings) or "sd"
        self.device = resolve_device(settings)
        self.adapter = bool(settings.ip_adapter) and self.family in WITH_IP_ADAPTER

    @classmethod
    def load(cls, settings: DiffusersSettings) -> KeyframeStage:
        import diffusers

        family = keyframe_family(settings) or "sd"
        name = {"sd": "StableDiffusionPipeline", "sdxl": "StableDiffusionXLPipeline",
                "flux": "FluxPipeline"}[family]
        pipe = load_pipeline(getattr(diffusers, name), settings.keyframe_model,
                             field="keyframe_model", settings=settings)
        if settings.ip_adapter and family in WITH_IP_ADAPTER:
            _load_ip_adapter(pipe, settings)
        return cls(settings, pipe)

    # -- reference embeddings ------------------------------------------------------------------

    def adapter_id(self) -> str:
        s = self.settings
        return "|".join([str(s.ip_adapter), s.ip_adapter_subfolder, s.ip_adapter_weight_name,
                         str(s.image_encoder or "")])

    def _cache_dir(self) -> Path:
        root = self.settings.embeds_cache or Path.home() / ".cache" / "shotcraft" / "ip_embeds"
        return Path(root)

    def character_embeds(self, ref: CharacterRef) -> Any:
        """(2, k, dim) tensor — negative then positive — for one character's k references."""
        import torch

        hashes = ref.reference_hashes or [_sha256(p) for p in ref.references]
        key = hashlib.sha256(json.dumps([self.adapter_id(), hashes]).encode()).hexdigest()[:32]
        path = self._cache_dir() / f"{key}.pt"
        if path.is_file():
            try:
                return torch.load(path, map_location=self.device, weights_only=True)
            except (OSError, RuntimeError):
                path.unlink(missing_ok=True)  # a torn cache file is recomputed, never trusted
        size = int(self.pipe.image_encoder.config.image_size)
        images = [load_image(p, size, size) for p in ref.references]
        with torch.no_grad():
            (embeds,) = self.pipe.prepare_ip_adapter_image_embeds(
                ip_adapter_image=[images], ip_adapter_image_embeds=None, device=self.device,
                num_images_per_prompt=1, do_classifier_free_guidance=True,
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        torch.save(embeds.cpu(), tmp)
        tmp.replace(path)
        return embeds

    def shot_embeds(self, refs: list[CharacterRef], cfg: bool) -> tuple[list[Any], bool]:
        """ip_adapter_image_embeds for a shot's characters, in the shot's order, each
        character's references together; (embeds, any references used)."""
        import torch

        parts = [self.character_embeds(r) for r in refs if r.references]
        if parts:
            embeds = torch.cat(parts, dim=1).to(self.device)
        else:
            # the adapter is loaded but nobody has a reference: a zero embedding at scale 0
            dim = int(self.pipe.image_encoder.config.projection_dim)
            embeds = torch.zeros((2, 1, dim), device=self.device)
        if not cfg:
            embeds = embeds.chunk(2)[1]
        return [embeds.to(self.pipe.dtype)], bool(parts)

    # -- drawing -------------------------------------------------------------------------------

    def draw(
        self, *, prompt: str, negative: str, refs: list[CharacterRef], width: int, height: int,
        seeds: list[int], scale: float, callback: Any,
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """len(seeds) stills in one call: (B, H, W, 3) uint8 and the parameters used.

        `scale` is the IP-Adapter scale of characters that have none of their own."""
        s = self.settings
        kwargs: dict[str, Any] = {
            "prompt": prompt, "height": height, "width": width,
            "num_inference_steps": s.keyframe_steps, "guidance_scale": s.keyframe_guidance,
            "num_images_per_prompt": len(seeds), "generator": generators(seeds, self.device),
            "output_type": "np", "callback_on_step_end": callback,
        }
        if self.family in WITH_IP_ADAPTER:
            kwargs["negative_prompt"] = negative or None
        used: dict[str, Any] = {
            "keyframe_model": s.keyframe_model, "keyframe_family": self.family,
            "keyframe_steps": s.keyframe_steps, "keyframe_guidance": s.keyframe_guidance,
            "keyframe_size": [width, height]}
        if self.adapter:
            cfg = s.keyframe_guidance > 1.0
            embeds, any_refs = self.shot_embeds(refs, cfg)
            scales = character_scales(refs, scale)
            if not any_refs:
                self.pipe.set_ip_adapter_scale(0.0)
                used.update(ip_adapter=self.adapter_id(), ip_adapter_scale=0.0)
            elif len(set(scales.values())) == 1:
                # one scale for everyone: the adapter attends to all references together
                (only,) = set(scales.values())
                self.pipe.set_ip_adapter_scale(only)
                used.update(ip_adapter=self.adapter_id(), ip_adapter_scale=only,
                            ip_adapter_scales=scales)
            else:
                # diffusers weighs each reference image on its own only through per-image masks;
                # a full-frame mask per image keeps the references unplaced, as above
                import torch

                per_image = [scales[r.name] for r in refs if r.references for _ in r.references]
                self.pipe.set_ip_adapter_scale([per_image])
                mask = torch.ones((1, len(per_image), height, width))
                kwargs["cross_attention_kwargs"] = {"ip_adapter_masks": [mask]}
                used.update(ip_adapter=self.adapter_id(), ip_adapter_scale=scale,
                            ip_adapter_scales=scales)
            kwargs["ip_adapter_image_embeds"] = embeds
        images = self.pipe(**kwargs).images
        return to_uint8(images), used


def character_scales(refs: list[CharacterRef], default: float) -> dict[str, float]:
    """Each referenced character's IP-Adapter scale: their own, else `default`."""
    return {r.name: default if r.ip_adapter_scale is None else float(r.ip_adapter_scale)
            for r in refs if r.references}


def _load_ip_adapter(pipe: Any, settings: DiffusersSettings) -> None:
    """Attach the IP-Adapter (and its image encoder) from local folders, with clear errors."""
    folder = settings.ip_adapter or ""
    local = _Path(folder).expanduser().is_dir()
    try:
        with hub_offline(settings):
            if settings.image_encoder:
                from transformers import CLIPVisionModelWithProjection

                encoder = CLIPVisionModelWithProjection.from_pretrained(
                    settings.image_encoder, local_files_only=True, dtype=pipe.dtype)
                pipe.register_modules(image_encoder=encoder.to(pipe.device))
            pipe.load_ip_adapter(
                str(_Path(folder).expanduser()) if local else folder,
                subfolder=settings.ip_adapter_subfolder, weight_name=settings.ip_adapter_weight_name,
                image_encoder_folder=None if settings.image_encoder else "image_encoder",
                local_files_only=True,
            )
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"{env_name('ip_adapter')}={folder} (subfolder {settings.ip_adapter_subfolder}, weights "
            f"{settings.ip_adapter_weight_name}) could not be loaded: {exc}".rstrip(".") + "."
        ) from exc
    if getattr(pipe, "image_encoder", None) is None:
        raise ConfigError(
            f"the IP-Adapter in {folder} has no image encoder; set {env_name('image_encoder')} "
            "to a CLIP vision model folder."
        )


def _sha256(path: Path) -> str:
    return sha256_file(path)
