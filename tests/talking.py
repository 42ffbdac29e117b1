"""Talking-head test videos: a portrait whose mouth opens with a line's audio, written as a real
H.264 MP4 with that audio muxed as AAC — what a lip-sync engine hands back, in miniature.

The portrait (tests/data/faces/obama.jpg by default) is scaled to fit the frame on a plain
background; its 68 landmarks are found once, and on every frame the band from the lips down
past the chin is pushed down by the mouth's opening (in pixels) and the gap between the lips is
filled with a dark mouth interior. The opening follows the audio:

- "sync": the audio's loudness in that frame (the envelope, 0 in silence, 1 at its loud level);
- "frozen": never opens;
- "inverted": shut while the line is spoken, chattering (3 Hz) in the pauses.

Also `write_burst_wav` (speech-like bursts and pauses, with the pauses' frames known) and
`write_espeak_wav` (a real espeak-ng line). Used by tests/ranking/test_mouth.py and by the
Kling lip-sync stand-in; nothing here is committed output.
"""

from __future__ import annotations

import subprocess
import wave
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from shotcraft.shots.media import ffmpeg_binary

PORTRAITS = Path(__file__).resolve().parent / "data" / "faces"
BACKGROUND = (96, 110, 124)  # a plain blue-grey backdrop
MOUTH_INSIDE = np.array([52, 18, 24], dtype=np.float32)  # dark red: the inside of a mouth
MAX_OPENING = 0.16  # the widest opening, as a share of the face height (nose bridge to chin)
CHATTER_HZ = 3.0  # how fast the "inverted" mouth opens and shuts in the pauses
RATE = 16000
MODES = ("sync", "frozen", "inverted")


def write_burst_wav(out: Path, segments: Sequence[tuple[str, float]] = (
        ("tone", 1.0), ("silence", 0.8), ("tone", 1.2)), *, rate: int = RATE) -> Path:
    """A 16-bit mono WAV of voiced bursts and silences: a "tone" is a 140 Hz voice with
    harmonics, its loudness modulated at 4 Hz (syllables) and never quite silent; a "silence"
    is a faint hiss. The default: 1.0 s spoken, 0.8 s pause, 1.2 s spoken."""
    rng = np.random.default_rng(0)
    parts = []
    for kind, seconds in segments:
        t = np.arange(round(seconds * rate)) / rate
        if kind == "tone":
            voice = sum(np.sin(2 * np.pi * 140 * k * t) / k for k in range(1, 6))
            syllables = 0.1 + 0.9 * np.sin(np.pi * 4 * t) ** 2  # 4 syllables a second, 20 dB deep
            parts.append(0.3 * voice * syllables / 2.3)
        else:
            parts.append(rng.normal(0.0, 0.0005, t.size))
    write_wav(out, np.concatenate(parts), rate)
    return out


def write_espeak_wav(out: Path, text: str, *, voice: str = "en+m3") -> Path:
    """A real espeak-ng line (16-bit mono, espeak's 22050 Hz); the text goes through a file."""
    text_file = out.with_suffix(".txt")
    text_file.write_text(text, encoding="utf-8")
    subprocess.run(["espeak-ng", "-v", voice, "-b", "1", "-w", str(out), "-f", str(text_file)],
                   check=True, capture_output=True)
    text_file.unlink()
    return out


def write_wav(out: Path, samples: np.ndarray, rate: int) -> None:
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(out), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(pcm.tobytes())


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as handle:
        rate, raw = handle.getframerate(), handle.readframes(handle.getnframes())
        channels = handle.getnchannels()
    samples = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    return samples.reshape(-1, channels).mean(axis=1), rate


def envelope(samples: np.ndarray, rate: int, fps: float, frames: int) -> np.ndarray:
    """The audio's loudness per video frame, 0-1: RMS over the frame, against the clip's 95th
    percentile, on a 30 dB scale (so a whisper opens the mouth a little, silence not at all)."""
    rms = np.zeros(frames)
    for n in range(frames):
        chunk = samples[int(n * rate / fps):int((n + 1) * rate / fps)]
        rms[n] = np.sqrt(np.mean(chunk.astype(np.float64) ** 2)) if chunk.size else 0.0
    loud = max(float(np.percentile(rms, 95)), 1e-9)
    db = 20 * np.log10(np.maximum(rms, 1e-9) / loud)
    return np.clip((db + 30) / 30, 0.0, 1.0)


def openings(mode: str, samples: np.ndarray, rate: int, fps: float, frames: int) -> np.ndarray:
    """The mouth's opening per frame, 0-1 of MAX_OPENING."""
    env = envelope(samples, rate, fps, frames)
    if mode == "sync":
        return env
    if mode == "frozen":
        return np.zeros(frames)
    if mode == "inverted":
        # a pause is where the loudness stays low for a while (a 0.2 s running maximum)
        half = max(1, round(0.1 * fps))
        padded = np.pad(env, half, mode="edge")
        spoken = np.array([padded[n:n + 2 * half + 1].max() for n in range(frames)]) > 0.3
        chatter = np.sin(np.pi * CHATTER_HZ * np.arange(frames) / fps) ** 2
        return np.where(spoken, 0.0, chatter)
    raise ValueError(f"mode must be one of {MODES}, not {mode!r}")


class Portrait:
    """The portrait on its background at the video's size, and where its mouth is."""

    def __init__(self, portrait: Path, width: int, height: int) -> None:
        from shotcraft.ranking.faces import face_model

        image = Image.open(portrait).convert("RGB")
        scale = min(width / image.width, height / image.height)
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        canvas = Image.new("RGB", (width, height), BACKGROUND)
        canvas.paste(image.resize(size, Image.LANCZOS),
                     ((width - size[0]) // 2, (height - size[1]) // 2))
        self.frame = np.asarray(canvas, dtype=np.float32)
        model = face_model()
        pixels = np.asarray(canvas)
        faces = model.faces(pixels, embed=False) or model.faces(pixels, upsample=1, embed=False)
        if not faces:
            raise ValueError(f"no face found on {portrait.name} at {width}x{height}")
        self.points = model.landmarks68(pixels, faces[0])
        self.face_height = float(np.linalg.norm(self.points[27] - self.points[8]))

    def draw(self, opening: float) -> np.ndarray:
        """The frame with the mouth open by `opening` (0-1 of MAX_OPENING), as RGB uint8."""
        gap = opening * MAX_OPENING * self.face_height
        if gap < 0.5:
            return self.frame.astype(np.uint8)
        p = self.points
        height, width = self.frame.shape[:2]
        lips = (p[[61, 62, 63], 1].mean() + p[[65, 66, 67], 1].mean()) / 2  # where the lips meet
        chin = p[8, 1]
        left, right = p[4, 0], p[12, 0]  # the jaw's width at the mouth
        centre = (left + right) / 2
        top = max(0, int(lips) - 2)
        bottom = min(height, int(chin + 0.6 * (chin - lips) + gap) + 2)
        ys = np.arange(top, bottom, dtype=np.float32)[:, None]
        xs = np.arange(width, dtype=np.float32)[None, :]
        # across: the whole jaw moves, fading out past its sides; down: everything from the
        # lips to the chin moves by the full gap, fading out below the chin (the neck stretches)
        across = np.clip(1 - (np.abs(xs - centre) - (right - left) / 2) / (0.15 * (right - left)), 0, 1)
        below = np.clip((ys - lips) / 2.0, 0, 1) * np.clip(
            1 - (ys - chin) / (0.6 * (chin - lips) + gap), 0, 1)
        shift = gap * across * below
        source = np.clip(np.rint(ys - shift), 0, height - 1).astype(int)
        frame = self.frame.copy()
        band = self.frame[source, np.broadcast_to(xs.astype(int), source.shape)]
        # the inside of the mouth: between the inner corners, as tall as the gap in the middle
        inner_left, inner_right = p[60, 0], p[64, 0]
        half_width = (inner_right - inner_left) / 2 + 1
        mid = (inner_left + inner_right) / 2
        reach = np.sqrt(np.clip(1 - ((xs - mid) / half_width) ** 2, 0, 1)) * gap
        inside = (ys >= lips) & (ys < lips + reach)
        band[inside] = MOUTH_INSIDE
        frame[top:bottom] = band
        return frame.astype(np.uint8)


def make_talking_video(out: Path, audio_wav: Path, *, width: int = 360, height: int = 640,
                       fps: float = 25, seconds: float | None = None, mode: str = "sync",
                       portrait: Path = PORTRAITS / "obama.jpg") -> Path:
    """Write a talking-head MP4 (H.264 yuv420p, +faststart, the audio as AAC) whose mouth
    follows `audio_wav` as `mode` says; it lasts `seconds`, or as long as the audio."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    samples, rate = read_wav(audio_wav)
    seconds = seconds if seconds is not None else samples.size / rate
    frames = round(seconds * fps)
    face = Portrait(portrait, width, height)
    opening = openings(mode, samples, rate, fps, frames)
    args = [ffmpeg_binary(), "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
            "-s", f"{width}x{height}", "-r", str(fps), "-i", "-", "-t", f"{seconds:.6f}",
            "-i", str(audio_wav),
            "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "18",
            "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "96k", "-movflags", "+faststart",
            str(out)]
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdin is not None
    for value in opening:
        proc.stdin.write(face.draw(float(value)).tobytes())
    proc.stdin.close()
    error = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.wait() != 0:
        raise RuntimeError(f"ffmpeg could not write {out.name}: {error}")
    return out
