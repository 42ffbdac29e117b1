"""What the cloud speech engines share: httpx, and their audio to WAV.

Their keys come from the settings (the environment, or the user's 0600 config file) at the
moment of a request and are never passed on: not to the voice, the cache key, the task files
or any message.
"""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

from shotcraft.shots import ffmpeg
from shotcraft.shots.errors import AssemblyError, ConfigError

SEMITONES_PER_PITCH_STEP = 0.1  # pitch 50 is the voice's own; 70 is two semitones up


def httpx_module() -> Any:
    try:
        import httpx
    except ImportError as exc:  # pragma: no cover - only on installs without the extra
        raise ConfigError("the cloud speech engines need httpx: pip install 'shotcraft[kling]'.") from exc
    return httpx


def to_wav(audio: bytes, out: Path, pitch: int) -> float:
    """Decode the provider's audio (WAV, MP3, …) into the WAV `out`, shifted by the voice's
    pitch (length kept); return its length in seconds."""
    out = Path(out)
    source = out.with_name(out.stem + ".download")
    source.write_bytes(audio)
    try:
        chain = "anull"
        if pitch != 50:
            ratio = 2 ** ((pitch - 50) * SEMITONES_PER_PITCH_STEP / 12)
            chain = f"aresample=48000,asetrate={48000 * ratio:.3f},aresample=48000,atempo={1 / ratio:.6f}"
        ffmpeg.run(["-hide_banner", "-nostdin", "-y", "-i", str(source), "-af", chain, "-ac", "1",
                    "-c:a", "pcm_s16le", "-f", "wav", str(out)],
                   what="decode a spoken line", error=AssemblyError,
                   failed="the speech engine's audio could not be decoded")
    finally:
        source.unlink(missing_ok=True)
    with wave.open(str(out), "rb") as handle:
        return handle.getnframes() / handle.getframerate()
