"""Tiny, randomly initialised diffusers pipelines saved to folders, for tests and benchmarks.

The component configs follow diffusers' own fast tests (tests/pipelines/*/test_*.py,
`get_dummy_components`); text encoders and tokenizers are built in-process because no model hub
is reachable. Every builder saves with `save_pretrained(folder)` so the engine loads them back
through its real settings path (`from_pretrained(folder, local_files_only=True)`).

    python -m shotcraft.engine.diffusers_tiny DIR   # writes DIR/sd, DIR/ip_adapter, DIR/ltx, ...

then point SHOTCRAFT_DIFFUSERS_* at them (see docs/diffusers.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

TEXT_DIM = 32  # hidden size of the tiny text encoders; transformers' caption/text dims match it
SEQ_LEN = 16  # max_sequence_length the tiny video pipelines are run with


def _t5(folder: Path) -> None:
    """A 2-layer T5 encoder and a character-level Unigram tokenizer, saved under `folder`."""
    import torch
    from transformers import T5Config, T5EncoderModel, T5Tokenizer

    chars = "abcdefghijklmnopqrstuvwxyz0123456789,.!?'"
    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0)]
    vocab += [(c, -3.0) for c in chars] + [("▁" + c, -3.5) for c in chars]
    tokenizer = T5Tokenizer(vocab=vocab, extra_ids=0, model_max_length=512)
    torch.manual_seed(0)
    config = T5Config(  # type: ignore[call-arg]
        vocab_size=len(vocab), d_model=TEXT_DIM, d_kv=8, d_ff=37, num_layers=2, num_heads=4,
        relative_attention_num_buckets=8, decoder_start_token_id=0, pad_token_id=0, eos_token_id=1,
    )
    T5EncoderModel(config).save_pretrained(folder / "text_encoder")
    tokenizer.save_pretrained(folder / "tokenizer")


def _clip_tokenizer():  # type: ignore[no-untyped-def]
    """A byte-level CLIP BPE with single-byte tokens only: every text, Chinese included, encodes."""
    from tokenizers.pre_tokenizers import ByteLevel
    from transformers import CLIPTokenizer

    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for ch in ByteLevel.alphabet():
        vocab.setdefault(ch, len(vocab))
        vocab.setdefault(ch + "</w>", len(vocab))
    return CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77)


def build_sd(folder: Path) -> Path:
    """StableDiffusionPipeline with a (4, 8)-channel UNet at 32×32, as in diffusers' SD tests."""
    import torch
    from diffusers import (
        AutoencoderKL,
        DDIMScheduler,
        StableDiffusionPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(4, 8), layers_per_block=1, sample_size=32, in_channels=4,
        out_channels=4, down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), cross_attention_dim=TEXT_DIM,
        norm_num_groups=2,
    )
    scheduler = DDIMScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
        clip_sample=False, set_alpha_to_one=False, steps_offset=1,
    )
    torch.manual_seed(0)
    vae = AutoencoderKL(
        block_out_channels=[4, 8], in_channels=3, out_channels=3,
        down_block_types=["DownEncoderBlock2D", "DownEncoderBlock2D"],
        up_block_types=["UpDecoderBlock2D", "UpDecoderBlock2D"], latent_channels=4,
        norm_num_groups=2,
    )
    torch.manual_seed(0)
    tokenizer = _clip_tokenizer()
    text_encoder = CLIPTextModel(CLIPTextConfig(
        bos_token_id=0, eos_token_id=1, hidden_size=TEXT_DIM, intermediate_size=37,
        layer_norm_eps=1e-05, num_attention_heads=4, num_hidden_layers=2, pad_token_id=1,
        vocab_size=len(tokenizer),
    ))
    pipe = StableDiffusionPipeline(
        unet=unet, scheduler=scheduler, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer,
        safety_checker=None, feature_extractor=None, image_encoder=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(folder)  # type: ignore[attr-defined]
    return folder


def build_ip_adapter(folder: Path, sd_folder: Path) -> Path:
    """An IP-Adapter for the tiny SD UNet: `folder/models/ip-adapter.safetensors` plus a tiny
    CLIP vision encoder in `folder/models/image_encoder` (the layout of h94/IP-Adapter)."""
    import torch
    from diffusers import UNet2DConditionModel
    from diffusers.models.attention_processor import IPAdapterAttnProcessor
    from diffusers.models.embeddings import ImageProjection
    from safetensors.torch import save_file
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    unet = UNet2DConditionModel.from_pretrained(sd_folder, subfolder="unet")
    dim = unet.config.cross_attention_dim
    torch.manual_seed(1)
    flat: dict[str, torch.Tensor] = {}
    key_id = 1
    # one to_k_ip/to_v_ip pair per cross-attention layer, numbered like the original checkpoints
    for name in unet.attn_processors:
        if name.endswith("attn1.processor"):
            continue
        if name.startswith("mid_block"):
            hidden = unet.config.block_out_channels[-1]
        elif name.startswith("up_blocks"):
            hidden = list(reversed(unet.config.block_out_channels))[int(name[len("up_blocks.")])]
        else:
            hidden = unet.config.block_out_channels[int(name[len("down_blocks.")])]
        sd = IPAdapterAttnProcessor(hidden_size=hidden, cross_attention_dim=dim).state_dict()
        flat[f"ip_adapter.{key_id}.to_k_ip.weight"] = torch.randn_like(sd["to_k_ip.0.weight"])
        flat[f"ip_adapter.{key_id}.to_v_ip.weight"] = torch.randn_like(sd["to_v_ip.0.weight"])
        key_id += 2
    proj = ImageProjection(cross_attention_dim=dim, image_embed_dim=dim, num_image_text_embeds=4)
    # random (not zero) projection, so different reference images give different pictures
    for key, value in proj.state_dict().items():
        flat["image_proj." + key.replace("image_embeds", "proj")] = value.contiguous()
    models = folder / "models"
    models.mkdir(parents=True, exist_ok=True)
    save_file(flat, str(models / "ip-adapter.safetensors"))
    torch.manual_seed(0)
    encoder = CLIPVisionModelWithProjection(CLIPVisionConfig(
        hidden_size=dim, projection_dim=dim, num_hidden_layers=2, num_attention_heads=4,
        image_size=32, intermediate_size=37, patch_size=4,
    ))
    encoder.save_pretrained(models / "image_encoder")
    return folder


def build_ltx(folder: Path) -> Path:
    """LTXConditionPipeline from diffusers' test_ltx_condition.py (frames 8k+1, 32-px multiples)."""
    import torch
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXConditionPipeline,
        LTXVideoTransformer3DModel,
    )

    torch.manual_seed(0)
    transformer = LTXVideoTransformer3DModel(
        in_channels=8, out_channels=8, patch_size=1, patch_size_t=1, num_attention_heads=4,
        attention_head_dim=8, cross_attention_dim=32, num_layers=1, caption_channels=TEXT_DIM,
    )
    torch.manual_seed(0)
    vae = AutoencoderKLLTXVideo(
        in_channels=3, out_channels=3, latent_channels=8, block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8), layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1),
        spatio_temporal_scaling=(True, True, False, False),
        decoder_spatio_temporal_scaling=(True, True, False, False),
        decoder_inject_noise=(False, False, False, False, False),
        upsample_residual=(False, False, False, False), upsample_factor=(1, 1, 1, 1),
        timestep_conditioning=False, patch_size=1, patch_size_t=1, encoder_causal=True,
        decoder_causal=False,
    )
    vae.use_framewise_encoding = False  # type: ignore[attr-defined]
    vae.use_framewise_decoding = False  # type: ignore[attr-defined]
    _t5(folder)
    from transformers import T5EncoderModel, T5Tokenizer

    pipe = LTXConditionPipeline(
        transformer=transformer, vae=vae, scheduler=FlowMatchEulerDiscreteScheduler(),
        text_encoder=T5EncoderModel.from_pretrained(folder / "text_encoder"),
        tokenizer=T5Tokenizer.from_pretrained(folder / "tokenizer"),
    )
    pipe.save_pretrained(folder)  # type: ignore[attr-defined]
    return folder


def _wan_vae():  # type: ignore[no-untyped-def]
    import torch
    from diffusers import AutoencoderKLWan

    torch.manual_seed(0)
    return AutoencoderKLWan(
        base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
        temperal_downsample=[False, True, True],
    )


def build_wan_i2v(folder: Path, *, flf2v: bool = False) -> Path:
    """WanImageToVideoPipeline from diffusers' test_wan_image_to_video.py, without the CLIP image
    encoder (Wan 2.2 style: the first/last frames condition through the latents only)."""
    import torch
    from diffusers import (
        FlowMatchEulerDiscreteScheduler,
        WanImageToVideoPipeline,
        WanTransformer3DModel,
    )
    from transformers import T5EncoderModel, T5Tokenizer

    _t5(folder)
    torch.manual_seed(0)
    transformer = WanTransformer3DModel(
        patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12, in_channels=36,
        out_channels=16, text_dim=TEXT_DIM, freq_dim=256, ffn_dim=32, num_layers=2,
        cross_attn_norm=True, qk_norm="rms_norm_across_heads", rope_max_seq_len=32,
        # the FLF2V checkpoints set pos_embed_seq_len; the engine reads it to allow a last frame
        pos_embed_seq_len=2 * 257 if flf2v else None,
    )
    pipe = WanImageToVideoPipeline(
        transformer=transformer, vae=_wan_vae(), scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
        text_encoder=T5EncoderModel.from_pretrained(folder / "text_encoder"),
        tokenizer=T5Tokenizer.from_pretrained(folder / "tokenizer"),
        image_encoder=None, image_processor=None,
    )
    pipe.save_pretrained(folder)  # type: ignore[attr-defined]
    return folder


def build_wan_vace(folder: Path) -> Path:
    """WanVACEPipeline from diffusers' test_wan_vace.py."""
    import torch
    from diffusers import (
        FlowMatchEulerDiscreteScheduler,
        WanVACEPipeline,
        WanVACETransformer3DModel,
    )
    from transformers import T5EncoderModel, T5Tokenizer

    _t5(folder)
    torch.manual_seed(0)
    transformer = WanVACETransformer3DModel(
        patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12, in_channels=16,
        out_channels=16, text_dim=TEXT_DIM, freq_dim=256, ffn_dim=32, num_layers=3,
        cross_attn_norm=True, qk_norm="rms_norm_across_heads", rope_max_seq_len=32,
        vace_layers=[0, 2], vace_in_channels=96,
    )
    pipe = WanVACEPipeline(
        transformer=transformer, vae=_wan_vae(), scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
        text_encoder=T5EncoderModel.from_pretrained(folder / "text_encoder"),
        tokenizer=T5Tokenizer.from_pretrained(folder / "tokenizer"),
    )
    pipe.save_pretrained(folder)  # type: ignore[attr-defined]
    return folder


def build_cogvideox_i2v(folder: Path) -> Path:
    """CogVideoXImageToVideoPipeline from diffusers' test_cogvideox_image2video.py (16×16, 9 frames)."""
    import torch
    from diffusers import (
        AutoencoderKLCogVideoX,
        CogVideoXImageToVideoPipeline,
        CogVideoXTransformer3DModel,
        DDIMScheduler,
    )
    from transformers import T5EncoderModel, T5Tokenizer

    _t5(folder)
    torch.manual_seed(0)
    transformer = CogVideoXTransformer3DModel(
        num_attention_heads=2, attention_head_dim=16, in_channels=8, out_channels=4,
        time_embed_dim=2, text_embed_dim=TEXT_DIM, num_layers=1, sample_width=2, sample_height=2,
        sample_frames=9, patch_size=2, temporal_compression_ratio=4, max_text_seq_length=SEQ_LEN,
        use_rotary_positional_embeddings=True, use_learned_positional_embeddings=True,
    )
    torch.manual_seed(0)
    vae = AutoencoderKLCogVideoX(
        in_channels=3, out_channels=3, down_block_types=("CogVideoXDownBlock3D",) * 4,
        up_block_types=("CogVideoXUpBlock3D",) * 4, block_out_channels=(8, 8, 8, 8),
        latent_channels=4, layers_per_block=1, norm_num_groups=2, temporal_compression_ratio=4,
    )
    pipe = CogVideoXImageToVideoPipeline(
        transformer=transformer, vae=vae, scheduler=DDIMScheduler(),
        text_encoder=T5EncoderModel.from_pretrained(folder / "text_encoder"),
        tokenizer=T5Tokenizer.from_pretrained(folder / "tokenizer"),
    )
    pipe.save_pretrained(folder)  # type: ignore[attr-defined]
    return folder


BUILDERS = {
    "ltx": build_ltx,
    "wan_i2v": build_wan_i2v,
    "wan_flf2v": lambda folder: build_wan_i2v(folder, flf2v=True),
    "wan_vace": build_wan_vace,
    "cogvideox_i2v": build_cogvideox_i2v,
}


def build_all(root: Path) -> dict[str, Path]:
    """Every tiny pipeline under `root`; returns name → folder."""
    root.mkdir(parents=True, exist_ok=True)
    out = {"sd": build_sd(root / "sd")}
    out["ip_adapter"] = build_ip_adapter(root / "ip_adapter", out["sd"])
    for name, build in BUILDERS.items():
        out[name] = build(root / name)
    return out


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m shotcraft.engine.diffusers_tiny DIR")
    for name, path in build_all(Path(sys.argv[1])).items():
        print(f"{name}: {path}")
