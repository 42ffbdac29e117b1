"""FFmpeg binaries, probing and frame decoding, shared by every layer.

Binaries come from `SHOTCRAFT_FFMPEG` / `SHOTCRAFT_FFPROBE`, then PATH, then imageio-ffmpeg's
bundled ffmpeg (which has no ffprobe: probing then falls back to parsing `ffmpeg -i`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import shutil
import subprocess
import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from shotcraft.shots import ffmpeg
from shotcraft.shots.errors import MediaError
from shotcraft.shots.ffmpeg import ffmpeg_binary, ffprobe_binary
from shotcraft.shots.settings import GeneralSettings

__all__ = ["MediaInfo", "cjk_font", "extract_frame", "ffmpeg_binary", "ffprobe_binary", "probe",
           "read_frames", "sha256_file"]


class MediaInfo(BaseModel):
    path: str
    width: int
    height: int
    fps: float
    fps_fraction: str  # e.g. "30/1"
    frames: int
    duration: float  # seconds, as reported by the container
    codec: str
    pix_fmt: str | None = None
    has_audio: bool = False
    audio_codec: str | None = None
    audio_rate: int | None = None
    audio_channels: int | None = None
    is_image: bool = False


_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp"}


def probe(path: str | Path, *, count_frames: bool = True) -> MediaInfo:
    """Probe a video or image file; raise MediaError when it is missing or undecodable."""
    path = Path(path)
    if not path.is_file():
        raise MediaError(f"{path} does not exist.")
    if path.stat().st_size == 0:
        raise MediaError(f"{path} is empty.")
    if path.suffix.lower() in _IMAGE_SUFFIXES:
        return _probe_image(path)
    probe_bin = ffprobe_binary()
    if probe_bin is None:
        return _probe_with_ffmpeg(path)
    args = ["-v", "error", "-print_format", "json", "-show_streams", "-show_format"]
    if count_frames:
        args += ["-count_packets"]
    result = ffmpeg.run([*args, str(path)], tool="ffprobe", what=f"probing {path.name}",
                        failed=f"{path.name} is not a readable video")
    data = json.loads(result.stdout or b"{}")
    streams = data.get("streams", [])
    video = next((s for s in streams if s.get("codec_type") == "video"), None)
    if video is None:
        raise MediaError(f"{path.name} has no video stream.")
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    rate = video.get("avg_frame_rate") or video.get("r_frame_rate") or "0/1"
    if rate in ("0/0", "0/1"):
        rate = video.get("r_frame_rate") or "0/1"
    fps = float(Fraction(rate)) if rate not in ("0/0",) else 0.0
    frames = int(video.get("nb_read_packets") or video.get("nb_frames") or 0)
    duration = float(video.get("duration") or data.get("format", {}).get("duration") or 0.0)
    if frames == 0 and fps and duration:
        frames = round(duration * fps)
    return MediaInfo(
        path=str(path),
        width=int(video.get("width") or 0),
        height=int(video.get("height") or 0),
        fps=fps,
        fps_fraction=rate,
        frames=frames,
        duration=duration,
        codec=video.get("codec_name", ""),
        pix_fmt=video.get("pix_fmt"),
        has_audio=audio is not None,
        audio_codec=audio.get("codec_name") if audio else None,
        audio_rate=int(audio["sample_rate"]) if audio and audio.get("sample_rate") else None,
        audio_channels=int(audio["channels"]) if audio and audio.get("channels") else None,
    )


def _probe_image(path: Path) -> MediaInfo:
    """An image's size from its header, refused over Pillow's pixel limit before anything
    decodes it: a 661-byte PNG may claim 60000×60000 pixels (3.6 GB decoded)."""
    from PIL import Image, UnidentifiedImageError

    limit = Image.MAX_IMAGE_PIXELS or 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                width, height = img.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise MediaError(f"{path.name} claims more than {limit / 1e6:.0f} megapixels, more "
                         "than shotcraft decodes; scale it down and add it again.") from exc
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise MediaError(f"{path.name} is not a readable image.") from exc
    if limit and width * height > limit:
        raise MediaError(f"{path.name} is {width}×{height} pixels, more than {limit / 1e6:.0f} "
                         "megapixels, more than shotcraft decodes; scale it down and add it "
                         "again.")
    return MediaInfo(
        path=str(path), width=width, height=height, fps=0.0, fps_fraction="0/1", frames=1,
        duration=0.0, codec="image", is_image=True,
    )


def _probe_with_ffmpeg(path: Path) -> MediaInfo:
    # imageio-ffmpeg ships no ffprobe: decode to null and read the banner and frame counter
    result = ffmpeg.run(
        ["-hide_banner", "-nostdin", "-i", str(path), "-map", "0:v:0", "-f", "null", "-"],
        what=f"probing {path.name}", check=False,
    )
    err = result.stderr
    match = re.search(r"Video: (\w+)[^,]*, (\w+)[^,]*(?:\([^)]*\))?, (\d+)x(\d+).*?, ([\d.]+) fps", err)
    if result.code != 0 or not match:
        raise ffmpeg.failure(MediaError, f"{path.name} is not a readable video", err, result.code)
    frames = [int(m) for m in re.findall(r"frame=\s*(\d+)", err)]
    dur = re.search(r"Duration: (\d+):(\d+):([\d.]+)", err)
    duration = int(dur[1]) * 3600 + int(dur[2]) * 60 + float(dur[3]) if dur else 0.0
    fps = float(match[5])
    audio = re.search(r"Audio: (\w+).*?(\d+) Hz", err)
    return MediaInfo(
        path=str(path), width=int(match[3]), height=int(match[4]), fps=fps,
        fps_fraction=str(Fraction(fps).limit_denominator(1001)), frames=frames[-1] if frames else 0,
        duration=duration, codec=match[1], pix_fmt=match[2], has_audio=audio is not None,
        audio_codec=audio[1] if audio else None, audio_rate=int(audio[2]) if audio else None,
    )


def read_frames(
    path: str | Path,
    *,
    width: int | None = None,
    height: int | None = None,
    every: int = 1,
    max_frames: int | None = None,
    gray: bool = False,
) -> np.ndarray:
    """Decode frames to a (N, H, W, 3) uint8 array (or (N, H, W) when gray).

    `width`/`height` scale on decode (cheap analysis), `every` keeps one frame in `every`.
    """
    path = Path(path)
    if width is None or height is None:
        info = probe(path, count_frames=False)
        width = width or info.width
        height = height or info.height
    filters = []
    if every > 1:
        filters.append(f"select=not(mod(n\\,{every}))")
    filters.append(f"scale={width}:{height}:flags=area")
    args = ["-v", "error", "-nostdin", "-i", str(path), "-vf", ",".join(filters)]
    if every > 1:
        args += ["-fps_mode", "passthrough"]
    if max_frames:
        args += ["-frames:v", str(max_frames)]
    pix = "gray" if gray else "rgb24"
    args += ["-f", "rawvideo", "-pix_fmt", pix, "-"]
    result = ffmpeg.run(args, what=f"decoding {path.name}", failed=f"could not decode {path.name}")
    channels = 1 if gray else 3
    frame_size = width * height * channels
    count = len(result.stdout) // frame_size
    if count == 0:
        raise MediaError(f"{path.name} has no decodable frames.")
    data = np.frombuffer(result.stdout[: count * frame_size], dtype=np.uint8)
    shape = (count, height, width) if gray else (count, height, width, 3)
    return data.reshape(shape)


def extract_frame(
    path: str | Path, out: str | Path, *, position: str = "first", info: MediaInfo | None = None
) -> Path:
    """Write one frame (first, middle or last) of a video as PNG; images are copied as PNG.

    Seeks on the input instead of decoding the whole clip, so it costs one GOP at most.
    """
    from PIL import Image

    path, out = Path(path), Path(out)
    info = info or probe(path, count_frames=False)
    if info.is_image:
        with Image.open(path) as img:
            img.convert("RGB").save(out)
        return out
    args = ["-v", "error", "-nostdin", "-y"]
    if position == "middle" and info.duration > 0:
        args += ["-ss", f"{info.duration / 2:.3f}", "-i", str(path), "-frames:v", "1"]
    elif position == "last":
        # decode only the last second and keep overwriting the one output image
        back = min(1.0, info.duration) if info.duration > 0 else 1.0
        args += ["-sseof", f"-{back:.3f}", "-i", str(path), "-update", "1"]
    else:
        args += ["-i", str(path), "-frames:v", "1"]
    args += ["-an", str(out)]
    failed = f"could not extract the {position} frame of {path.name}"
    result = ffmpeg.run(args, what=f"extracting a frame of {path.name}", failed=failed)
    if not out.is_file():
        raise ffmpeg.failure(MediaError, failed, result.stderr)
    return out


@functools.cache
def cjk_font() -> Path | None:
    """A font file that renders Chinese, found through fontconfig; None when there is none."""
    env = GeneralSettings().font  # SHOTCRAFT_FONT
    if env and Path(env).is_file():
        return Path(env)
    fc_list = shutil.which("fc-list")
    if fc_list:
        result = subprocess.run([fc_list, ":lang=zh", "file"], capture_output=True, text=True, check=False)
        files = sorted(
            line.split(":")[0].strip() for line in result.stdout.splitlines() if line.strip()
        )
        # prefer regular sans faces (WenQuanYi / Noto Sans CJK) over mono / serif / bold
        def rank(name: str) -> tuple[int, str]:
            lower = name.lower()
            return (("mono" in lower) + ("bold" in lower) + ("serif" in lower), name)

        for file in sorted(files, key=rank):
            if Path(file).is_file():
                return Path(file)
    for candidate in (
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    ):
        if Path(candidate).is_file():
            return Path(candidate)
    return None


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()

