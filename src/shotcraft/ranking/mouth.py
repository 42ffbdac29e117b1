"""The mouth check of a lip-sync take: does it last as long as its line, and does the mouth move
while the line is spoken and keep still in the pauses?

What is measured, frame by frame at the take's own frame rate:

- speaking or not, from the audio (`speech_activity`): the loudness of the audio under each
  frame against the line's own loud level;
- the mouth's opening, from the picture: the face is found by the face model's HOG detector
  (every DETECT_EVERY_S, the box reused in between) and its 68 landmarks are fitted; the
  opening is the mean gap between the inner lips (points 61-67, 62-66, 63-65) divided by the
  face height (nose bridge 27 to chin 8), so it does not depend on the face's size in frame;
- the mouth's motion: how much that opening varies around the frame, as its standard deviation
  over MOTION_WINDOW_S (a talking mouth goes through most of an open-shut cycle in 0.2 s, at
  3-6 syllables a second). A windowed spread rather than a frame-to-frame difference keeps the
  figure the same at 12 and at 30 fps.

speech_motion is the mean motion over the spoken frames and pause_motion over the pauses; frames
within half a window (and one frame) of a change between speech and pause are left out, since
their window straddles both. The take passes when its length matches the audio within a frame,
a face is found in most frames, the line has speech, the mouth moves while it is spoken and
moves clearly less in the pauses (see the thresholds below).
"""

from __future__ import annotations

import math
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from shotcraft.ranking.faces import Face, FaceModel, face_model
from shotcraft.shots import ffmpeg
from shotcraft.shots.errors import MediaError
from shotcraft.shots.ffmpeg import FrameReader
from shotcraft.shots.media import probe

# audio: calibrated on espeak-ng lines and the tests' voiced bursts (a 4 Hz syllable rhythm)
SPEECH_BELOW_LOUD_DB = -30.0  # a frame is spoken when its RMS is within 30 dB of the 95th
# percentile of the line's frames: speech's own dips (unvoiced consonants) stay above it, room
# tone and breaths fall below
SILENT_DBFS = -50.0  # a line whose loud level is below this has no speech at all
MAX_GAP_S = 0.15  # a quieter stretch shorter than this inside speech is a gap between syllables
# or words (stop closures, 50-150 ms), not a pause, so the mouth may keep moving through it;
# espeak-ng leaves 0.24 s between sentences, which is a pause
AUDIO_RATE = 16000  # audio other than 16-bit PCM WAV is decoded by ffmpeg at this rate
AAC_FRAME = 1024  # samples: an AAC track is padded to whole frames of this, which MP4 muxers
# (ffmpeg's among them) do not trim, so a take's own AAC audio may run up to one AAC frame long

# picture
ANALYSIS_SHORT_SIDE = 480  # frames are decoded with their short side at most this
DETECT_EVERY_S = 0.2  # the face is searched this often; the box is reused in between
MOTION_WINDOW_S = 0.2  # the window of the motion measure (see the module's docstring)

# verdict: calibrated on tests/talking.py videos (360x640 and 720x1280, 12-25 fps, burst and
# espeak-ng lines), where a synced mouth reads 1.8-2.9 % of the face height over speech, a mouth
# talking in the pauses 2.7-4.3 % there, and a still one 0.0-0.25 % (landmark jitter); real
# takes jitter more than a redrawn photograph, hence thresholds well clear of both
MIN_SPEECH_MOTION = 0.01  # the mouth's opening must vary by 1 % of the face height while spoken
MIN_RATIO = 2.0  # ... and at least twice as much as in the pauses,
PAUSE_FLOOR = 0.005  # unless the pauses move less than 0.5 % (jitter, a breath): then any ratio
MIN_FACE_SHARE = 0.5  # a face must be found in at least half the frames
STILL = 0.0001  # 0.01 % of the face height: below what landmarks resolve; the ratio's floor


@dataclass(frozen=True)
class MouthSync:
    """The mouth check of one take: its figures, and whether it passes (`reason` says why not).

    Motions are shares of the face height; `speaking_frames` and `pause_frames` count the
    frames the audio has spoken or silent, `face_frames` those with a face found."""

    frames: int
    face_frames: int
    speaking_frames: int
    pause_frames: int
    speech_motion: float | None
    pause_motion: float | None
    ratio: float | None
    video_seconds: float
    audio_seconds: float
    ok: bool
    reason: str | None
    # which rule failed: "length", "face", "speech" (none in the audio, or no face while it is
    # spoken), "pauses" (the mouth moves in them) or "still" (it barely moves while spoken)
    failed: str | None = None

    def explanation(self) -> str:
        """One line with the figures, for a director or a log."""
        def pct(value: float | None) -> str:
            return "n/a" if value is None else f"{value * 100:.1f} %"

        ratio = "n/a" if self.ratio is None else f"{self.ratio:.1f}x"
        verdict = "lip sync ok" if self.ok else f"lip sync off: {self.reason}"
        return (f"{verdict} — mouth motion {pct(self.speech_motion)} of the face height while "
                f"spoken, {pct(self.pause_motion)} in pauses ({ratio}); face in "
                f"{self.face_frames}/{self.frames} frames; {self.speaking_frames} spoken, "
                f"{self.pause_frames} pause frames; take {self.video_seconds:.2f} s, audio "
                f"{self.audio_seconds:.2f} s")


# ---------------------------------------------------------------------------------------------
# audio


def read_wav_mono(path: Path) -> tuple[np.ndarray, int]:
    """The samples of an audio file as mono float32 in -1..1, and their rate.

    A 16-bit PCM WAV is read directly; anything else (other WAVs, the audio track of an MP4)
    is decoded by ffmpeg at AUDIO_RATE. MediaError when there is no audio to read."""
    path = Path(path)
    if not path.is_file():
        raise MediaError(f"{path} does not exist.")
    try:
        with wave.open(str(path), "rb") as handle:
            if handle.getsampwidth() == 2 and handle.getcomptype() == "NONE":
                rate, channels = handle.getframerate(), handle.getnchannels()
                raw = handle.readframes(handle.getnframes())
                samples = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
                return samples.reshape(-1, channels).mean(axis=1), rate
    except (wave.Error, EOFError):
        pass  # not a WAV wave reads: ffmpeg decodes it
    result = ffmpeg.run(["-v", "error", "-nostdin", "-i", str(path), "-map", "0:a:0", "-vn",
                         "-ac", "1", "-ar", str(AUDIO_RATE), "-f", "f32le", "-"],
                        what=f"reading the audio of {path.name}",
                        failed=f"could not read the audio of {path.name}")
    samples = np.frombuffer(result.stdout, dtype="<f4").copy()
    if samples.size == 0:
        raise MediaError(f"{path.name} has no audio to read.")
    return samples, AUDIO_RATE


def frame_loudness(samples: np.ndarray, rate: int, fps: float, frames: int) -> np.ndarray:
    """The RMS of the audio under each video frame (0 past the audio's end)."""
    rms = np.zeros(frames)
    for n in range(frames):
        chunk = samples[int(round(n * rate / fps)):int(round((n + 1) * rate / fps))]
        if chunk.size:
            rms[n] = math.sqrt(float(np.mean(np.square(chunk, dtype=np.float64))))
    return rms


def speech_activity(samples: np.ndarray, rate: int, fps: float, frames: int) -> np.ndarray:
    """Per video frame, is the line being spoken? A bool array of `frames`.

    A frame is spoken when the RMS of the audio under it is within SPEECH_BELOW_LOUD_DB (30 dB)
    of the line's loud level (the 95th percentile of its frames' RMS), so the measure follows
    the line's own recording level. Quieter stretches shorter than MAX_GAP_S (0.15 s) between
    spoken frames are the gaps between syllables and words and count as spoken (a hangover);
    longer ones are pauses. A line whose loud level is below SILENT_DBFS has no spoken frame."""
    rms = frame_loudness(samples, rate, fps, frames)
    heard = rms[: max(1, min(frames, math.ceil(samples.size * fps / rate)))]
    loud = float(np.percentile(heard, 95)) if heard.size else 0.0
    if loud <= 10 ** (SILENT_DBFS / 20):
        return np.zeros(frames, dtype=bool)
    spoken = rms > loud * 10 ** (SPEECH_BELOW_LOUD_DB / 20)
    longest_gap = round(MAX_GAP_S * fps)
    on = np.flatnonzero(spoken)
    for before, after in zip(on[:-1], on[1:], strict=True):
        if 1 < after - before <= longest_gap + 1:
            spoken[before + 1:after] = True
    return spoken


# ---------------------------------------------------------------------------------------------
# picture


def mouth_openings(frames: Iterator[np.ndarray], *, fps: float, model: FaceModel,
                   upsample: int = 0) -> np.ndarray:
    """The mouth's opening per frame as a share of the face height; NaN where no face was
    found. The face is searched every DETECT_EVERY_S and its box reused until the next search."""
    every = max(1, round(fps * DETECT_EVERY_S))
    openings: list[float] = []
    face: Face | None = None
    for index, frame in enumerate(frames):
        if index % every == 0:
            found = model.faces(frame, upsample=upsample, embed=False)
            face = found[0] if found else None
        if face is None:
            openings.append(math.nan)
            continue
        points = model.landmarks68(frame, face)
        gap = np.mean([np.linalg.norm(points[a] - points[b])
                       for a, b in ((61, 67), (62, 66), (63, 65))])
        height = float(np.linalg.norm(points[27] - points[8]))
        openings.append(float(gap) / height if height > 1 else math.nan)
    return np.array(openings, dtype=float)


def motion(openings: np.ndarray, fps: float) -> np.ndarray:
    """How much the opening varies around each frame: its standard deviation over
    MOTION_WINDOW_S centred on the frame (at least 3 frames); NaN with under 2 faces there."""
    half = max(1, round(fps * MOTION_WINDOW_S / 2))
    out = np.full(openings.size, math.nan)
    for n in range(openings.size):
        window = openings[max(0, n - half):n + half + 1]
        window = window[~np.isnan(window)]
        if window.size >= 2:
            out[n] = float(np.std(window))
    return out


def _frames(video: Path, width: int, height: int, *, expected: int,
            progress: Callable[[float], None] | None) -> Iterator[np.ndarray]:
    args = ["-v", "error", "-nostdin", "-i", str(video), "-map", "0:v:0",
            "-vf", f"scale={width}:{height}:flags=area", "-fps_mode", "passthrough",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    reader = FrameReader(args, frame_size=width * height * 3,
                         what=f"decoding {video.name} for the mouth check",
                         failed=f"could not decode {video.name}")
    for count, chunk in enumerate(reader, start=1):
        yield np.frombuffer(chunk, dtype=np.uint8).reshape(height, width, 3)
        if progress is not None:
            progress(min(1.0, count / expected))


def _analysis_size(width: int, height: int) -> tuple[int, int]:
    short = min(width, height)
    scale = min(1.0, ANALYSIS_SHORT_SIDE / short)
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


# ---------------------------------------------------------------------------------------------
# the check


def mouth_sync(video: Path, audio: Path | None = None, *, model: FaceModel | None = None,
               progress: Callable[[float], None] | None = None) -> MouthSync:
    """Check a lip-sync take against its line's audio (by default the take's own audio track,
    which is where a lip-sync engine puts the speech). The biggest face in frame is taken as
    the speaker. `progress` hears the share of frames looked at (0-1), once a frame and 1.0
    at the end. MediaError when the take or the audio cannot be read; FaceModelMissing when the
    face model is not installed."""
    video = Path(video)
    info = probe(video, count_frames=False)
    if not info.fps:
        raise MediaError(f"{video.name} has no frame rate: it is not a video take.")
    if audio is None and not info.has_audio:
        raise MediaError(f"{video.name} has no audio track: give the line's audio file.")
    samples, rate = read_wav_mono(Path(audio) if audio is not None else video)
    model = model or face_model()
    width, height = _analysis_size(info.width, info.height)
    upsample = 1 if min(width, height) < 360 else 0  # small frames: faces under the HOG's 80 px
    expected = max(1, round(info.duration * info.fps))
    frames = _frames(video, width, height, expected=expected, progress=progress)
    openings = mouth_openings(frames, fps=info.fps, model=model, upsample=upsample)
    if openings.size == 0:
        raise MediaError(f"{video.name} has no decodable frames.")
    padded = audio is None and info.audio_codec == "aac" and info.audio_rate
    result = judge(openings, speech_activity(samples, rate, info.fps, openings.size),
                   fps=info.fps, audio_seconds=samples.size / rate,
                   slack=AAC_FRAME / info.audio_rate if padded and info.audio_rate else 0.0)
    if progress is not None:
        progress(1.0)
    return result


def judge(openings: np.ndarray, spoken: np.ndarray, *, fps: float, audio_seconds: float,
          slack: float = 0.0) -> MouthSync:
    """The verdict from per-frame openings (NaN: no face) and speaking flags. The take's length
    must match the audio's within one frame, plus `slack` seconds (an AAC track's padding)."""
    frames = openings.size
    moving = motion(openings, fps)
    edge = max(1, round(fps * MOTION_WINDOW_S / 2)) + 1
    changes = np.flatnonzero(np.diff(spoken.astype(int))) + 1
    settled = np.ones(frames, dtype=bool)
    for at in changes:
        settled[max(0, at - edge):at + edge] = False
    usable = settled & ~np.isnan(moving)
    speech = moving[usable & spoken]
    pause = moving[usable & ~spoken]
    speech_motion = float(speech.mean()) if speech.size else None
    pause_motion = float(pause.mean()) if pause.size else None
    ratio = (speech_motion / max(pause_motion, STILL)
             if speech_motion is not None and pause_motion is not None else None)
    face_frames = int(np.count_nonzero(~np.isnan(openings)))
    video_seconds = frames / fps
    failed, reason = _verdict(frames=frames, face_frames=face_frames, spoken=int(spoken.sum()),
                     speech_motion=speech_motion, pause_motion=pause_motion,
                     video_seconds=video_seconds, audio_seconds=audio_seconds,
                     tolerance=1 / fps + slack)
    return MouthSync(frames=frames, face_frames=face_frames, speaking_frames=int(spoken.sum()),
                     pause_frames=int(frames - spoken.sum()), speech_motion=speech_motion,
                     pause_motion=pause_motion, ratio=ratio, video_seconds=video_seconds,
                     audio_seconds=audio_seconds, ok=reason is None, reason=reason,
                     failed=failed)


def _pct(value: float) -> str:
    return f"{value * 100:.1f} %"


def _verdict(*, frames: int, face_frames: int, spoken: int, speech_motion: float | None,
            pause_motion: float | None, video_seconds: float, audio_seconds: float,
            tolerance: float) -> tuple[str | None, str | None]:
    """(the rule that failed, one sentence saying how), or (None, None) when the take passes."""
    if abs(video_seconds - audio_seconds) > tolerance + 1e-6:
        return "length", f"the take runs {video_seconds:.2f} s but its audio {audio_seconds:.2f} s"
    if face_frames < MIN_FACE_SHARE * frames:
        missing = 100 * (frames - face_frames) / frames
        return "face", f"no face found in {missing:.0f} % of the frames"
    if spoken == 0:
        return "speech", "the audio has no speech in it, so there is no line to lip-sync"
    if speech_motion is None:
        return "speech", "no face was found while the line is spoken"
    if pause_motion is not None and pause_motion > PAUSE_FLOOR \
            and speech_motion < MIN_RATIO * pause_motion:
        if speech_motion < MIN_SPEECH_MOTION:
            return "pauses", (f"the mouth moves in the pauses ({_pct(pause_motion)} of the face "
                              f"height) and barely while the line is spoken "
                              f"({_pct(speech_motion)})")
        return "pauses", (f"the mouth moves in the pauses almost as much as while the line is "
                          f"spoken ({_pct(pause_motion)} against {_pct(speech_motion)} of the "
                          f"face height, needs half or less)")
    if speech_motion < MIN_SPEECH_MOTION:
        return "still", (f"the mouth barely moves while the line is spoken "
                         f"({_pct(speech_motion)} of the face height, needs "
                         f"{_pct(MIN_SPEECH_MOTION)})")
    return None, None
