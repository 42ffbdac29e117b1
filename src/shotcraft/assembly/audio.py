"""The episode's sound: a scratch voice from espeak-ng, and one mix of clip audio, dialogue,
effects and music.

The mix is exact to the sample: a silent 48 kHz stereo base of the episode's length carries every
source (clip audio at its clip's first frame, each shot's sound effect at its shot's first frame,
EFFECTS_DB below its file), the music bed is looped, trimmed, set MUSIC_BED_DB under the rest and
ducked by DUCK_DB under each subtitle cue (a volume envelope from the cue times, DUCK_RAMP_S ramps:
predictable to the frame, unlike a compressor keyed by the voice), and the sum is normalised to
−14 LUFS / −1.5 dBTP with ffmpeg's loudnorm in two passes (measure, then apply linearly), then
encoded as AAC. The half-dB of true-peak headroom is the AAC encoder's overshoot: the written
file measures at most −1 dBTP (measure_loudness reads it back).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import shutil
import subprocess
import wave
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np

from shotcraft.assembly.subtitles import Cue
from shotcraft.shots import ffmpeg
from shotcraft.shots.errors import AssemblyError
from shotcraft.shots.files import atomic_target

RATE = 48_000
TARGET_LUFS = -14.0
TARGET_TRUE_PEAK = -1.0  # what the written file must not exceed
LOUDNORM_TRUE_PEAK = -1.5  # what loudnorm aims at: AAC encoding adds up to ~0.5 dB of peak
TARGET_LRA = 11.0
DUCK_DB = -10.0  # how far the music dips under dialogue
DUCK_RAMP_S = 0.15  # fade into and out of a dip, so the music never clicks
DUCK_BRIDGE_S = 0.5  # cues closer than this share one dip instead of pumping between them
MUSIC_BED_DB = -9.0  # the bed sits under dialogue when there is any
EFFECTS_DB = -6.0  # a shot's sound effect sits under the dialogue
LIMITER_PASSES = 4  # at most this many extra measurements when the limiter has work to do
SILENCE_LUFS = -70.0  # ebur128's floor: a quieter file has no loudness to report
NO_ESPEAK = "espeak-ng is not installed: apt-get install espeak-ng, or export without --voice"
ESPEAK_VOICES = {"zh": "cmn", "cmn": "cmn", "en": "en"}
ESPEAK_DEFAULT_WPM = 175
ESPEAK_MAX_WPM = 450
_STEREO = f"aresample={RATE},aformat=sample_fmts=fltp:sample_rates={RATE}:channel_layouts=stereo"


def samples_for(frames: int, fps: int, rate: int = RATE) -> int:
    """The number of audio samples in `frames` video frames, exact for whole-number results."""
    return round(Fraction(frames * rate, fps))


def scratch_voice(
    cues: list[Cue], *, fps: int, total_frames: int, work_dir: Path, language: str = "zh"
) -> Path:
    """Speak each cue with espeak-ng at its start frame: a 48 kHz stereo WAV of the episode's length.

    A line too long for its cue is spoken faster (up to 450 words a minute), then cut at the
    cue's end, so the voice is silent wherever no subtitle is on screen.
    """
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise AssemblyError(NO_ESPEAK)
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    voice = ESPEAK_VOICES.get(language.split("-")[0].lower(), language)
    ordered = sorted(cues, key=lambda cue: cue.start_frame)
    spoken: list[tuple[int, np.ndarray]] = []  # (start sample at the native rate, mono int16)
    native_rate = 22_050  # espeak-ng's rate; replaced by what the WAV header says
    for cue in ordered:
        # the voice stays inside its cue, like the subtitle it reads
        slot_s = (min(cue.end_frame, total_frames) - cue.start_frame) / fps
        if slot_s <= 0 or not cue.text.strip():
            continue
        native_rate, samples = _speak(espeak, voice, cue.text, ESPEAK_DEFAULT_WPM, work_dir)
        if len(samples) > slot_s * native_rate:
            faster = math.ceil(ESPEAK_DEFAULT_WPM * len(samples) / (slot_s * native_rate) * 1.05)
            native_rate, samples = _speak(
                espeak, voice, cue.text, min(ESPEAK_MAX_WPM, faster), work_dir
            )
        samples = samples[: int(slot_s * native_rate)]
        spoken.append((samples_for(cue.start_frame, fps, native_rate), samples))

    length = samples_for(total_frames, fps, native_rate)
    track = np.zeros(length, dtype=np.int16)
    for start, samples in spoken:
        end = min(length, start + len(samples))
        if end > start:
            track[start:end] = samples[: end - start]
    native = work_dir / "scratch-voice-native.wav"
    with wave.open(str(native), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(native_rate)
        handle.writeframes(track.tobytes())

    total = samples_for(total_frames, fps)
    out = work_dir / "scratch-voice.wav"
    with atomic_target(out) as temp:
        _run_ffmpeg(
            ["-i", str(native), "-af", f"{_STEREO},apad=whole_len={total},atrim=end_sample={total}",
             "-c:a", "pcm_s16le", "-f", "wav", str(temp)],
            "resample the scratch voice",
        )
    return out


def mix_audio(
    *,
    total_frames: int,
    fps: int,
    out: Path,
    clip_audio: Sequence[tuple[Path, int] | tuple[Path, int, int] | tuple[Path, int, int, int]] = (),
    voice: Path | None = None,
    music: Path | None = None,
    cues: Sequence[Cue] = (),
    effects: Sequence[tuple[Path, int, int]] = (),
) -> Path:
    """Mix clip audio (each at its start frame), voice, effects and a ducked music bed into AAC.

    `effects` holds (sound file, start frame, frames): each plays from its start frame, cut
    after `frames`, EFFECTS_DB below its own level.

    `clip_audio` holds (media, start frame) or (media, start frame, clip frames); with the
    length, a take longer than its shot is cut at the shot's end instead of running over. A
    fourth item, the take's first frame (an editor's trim-in), skips the sound before it.

    The result is 48 kHz stereo, exactly `total_frames / fps` long, at −14 LUFS integrated and
    at most −1 dBTP; silent when there is nothing to mix.
    """
    total = samples_for(total_frames, fps)
    inputs, graph = _mix_graph(total, fps, list(clip_audio), voice, music, list(cues),
                               list(effects))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    finish = f"aresample={RATE},apad=whole_len={total},atrim=end_sample={total}"
    loudnorm = _loudness_chain(inputs, graph) if len(inputs) > 4 else None  # not the base alone
    tail = f"{loudnorm},{finish}" if loudnorm else finish
    with atomic_target(out) as temp:
        _run_ffmpeg(
            [*inputs, "-filter_complex", f"{graph};[mix]{tail}[final]", "-map", "[final]",
             "-c:a", "aac", "-b:a", "192k", "-ar", str(RATE), "-ac", "2",
             "-movflags", "+faststart", "-f", "mp4", str(temp)],
            "write the episode's audio",
        )
    return out


def _mix_graph(
    total: int,
    fps: int,
    clip_audio: list[tuple[Path, int] | tuple[Path, int, int] | tuple[Path, int, int, int]],
    voice: Path | None,
    music: Path | None,
    cues: list[Cue],
    effects: list[tuple[Path, int, int]] | None = None,
) -> tuple[list[str], str]:
    """ffmpeg input arguments and a filtergraph whose `[mix]` output is the summed sources."""
    inputs = ["-f", "lavfi", "-i", f"anullsrc=r={RATE}:cl=stereo"]
    chains = [f"[0:a]atrim=end_sample={total}[base]"]
    labels = ["[base]"]

    def add(path: Path, chain: str, *, loop: bool = False) -> None:
        index = len(labels)
        inputs.extend([*(["-stream_loop", "-1"] if loop else []), "-i", str(path)])
        chains.append(f"[{index}:a]{chain}[s{index}]")
        labels.append(f"[s{index}]")

    for entry in clip_audio:
        path, start_frame = Path(entry[0]), entry[1]
        if not _has_audio(path):  # a take without sound adds nothing
            continue
        # optional: the clip's length in frames (a long take's sound stops there) and the
        # take's first frame (an editor's trim-in: the sound before it is skipped)
        length = entry[2] if len(entry) > 2 else None
        skip = samples_for(entry[3], fps) if len(entry) > 3 else 0
        trim = f",atrim=end_sample={samples_for(length, fps)}" if length is not None else ""
        if skip:
            end = f":end_sample={skip + samples_for(length, fps)}" if length is not None else ""
            trim = f",atrim=start_sample={skip}{end},asetpts=PTS-STARTPTS"
        delay = samples_for(start_frame, fps)
        add(path, f"{_STEREO}{trim},adelay=delays={delay}S:all=1")
    for path, start_frame, frames in effects or []:
        if not _has_audio(Path(path)):
            raise AssemblyError(f"the sound effect {path} has no sound ffmpeg can read.")
        add(Path(path), f"{_STEREO},atrim=end_sample={samples_for(frames, fps)},"
                        f"volume={EFFECTS_DB}dB,adelay=delays={samples_for(start_frame, fps)}S:all=1")
    if voice is not None:
        add(Path(voice), _STEREO)
    if music is not None:
        chain = f"{_STEREO},atrim=end_sample={total}"
        if len(labels) > 1:
            chain += f",volume={MUSIC_BED_DB}dB"
        envelope = duck_envelope(cues, fps)
        if envelope:
            chain += f",volume='{envelope}':eval=frame"
        add(Path(music), chain, loop=True)
    mix = (f"{''.join(labels)}amix=inputs={len(labels)}:duration=first:dropout_transition=0"
           f":normalize=0,apad=whole_len={total},atrim=end_sample={total}[mix]")
    return inputs, ";".join([*chains, mix])


def duck_envelope(cues: Sequence[Cue], fps: int) -> str | None:
    """A volume expression in `t` that dips by DUCK_DB during cues, with short ramps."""
    windows: list[list[float]] = []
    for cue in sorted(cues, key=lambda c: c.start_frame):
        start, end = cue.start_frame / fps, cue.end_frame / fps
        if windows and start - windows[-1][1] < DUCK_BRIDGE_S:
            windows[-1][1] = max(windows[-1][1], end)
        else:
            windows.append([start, end])
    if not windows:
        return None
    r = DUCK_RAMP_S
    # each window is a trapezoid: 1 inside the cue, ramping to 0 over r seconds either side
    dips = "+".join(
        f"clip((t-{a:.4f}+{r})/{r},0,1)*clip(({b:.4f}+{r}-t)/{r},0,1)" for a, b in windows
    )
    depth = 1 - 10 ** (DUCK_DB / 20)
    return f"1-{depth:.4f}*clip({dips},0,1)"


def measure_loudness(path: Path) -> tuple[float | None, float | None]:
    """(integrated loudness in LUFS, true peak in dBTP) of a file's sound, as ffmpeg's ebur128
    filter measures it; (None, None) for silence (nothing above ebur128's −70 LUFS floor)."""
    stderr = _run_ffmpeg(["-nostats", "-i", str(path), "-vn", "-af", "ebur128=peak=true",
                          "-f", "null", "-"], f"measure the loudness of {Path(path).name}")
    summary = stderr.split("Summary:")[-1]
    integrated = re.search(r"I:\s+(-?[\d.]+|-inf|nan) LUFS", summary)
    peak = re.search(r"True peak:\s+Peak:\s+(-?[\d.]+|-inf|nan) dBFS", summary)
    if integrated is None or peak is None:
        raise AssemblyError(f"ffmpeg did not report the loudness of {Path(path).name}.",
                            stderr_tail=stderr[-2000:])
    loudness, true_peak = float(integrated[1]), float(peak[1])
    if not math.isfinite(loudness) or loudness <= SILENCE_LUFS or not math.isfinite(true_peak):
        return None, None
    return loudness, true_peak


def split_lines(
    voice: Path, spans: Sequence[tuple[int, int, str]], *, fps: int, out_dir: Path
) -> list[Path]:
    """Cut an episode-long voice WAV into one WAV per line, for editors' dialogue tracks.

    `spans` holds (start frame, end frame exclusive, file stem) per line; each file is written
    under a temp name and renamed, and WAVs in `out_dir` that no span names are removed (an
    earlier export's lines that no longer exist).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # decoded by ffmpeg, so any voice file works (16-bit, float, another rate): 48 kHz stereo s16
    rate, channels, width = RATE, 2, 2
    decoded = ffmpeg.run(["-hide_banner", "-nostdin", "-v", "error", "-i", str(voice), "-f",
                          "s16le", "-ac", str(channels), "-ar", str(rate), "-"],
                         what=f"reading the voice {Path(voice).name}", error=AssemblyError)
    track = np.frombuffer(decoded.stdout, dtype=np.int16).reshape(-1, channels)
    written: list[Path] = []
    for start, end, stem in spans:
        first, last = samples_for(start, fps, rate), samples_for(end, fps, rate)
        final = out_dir / f"{stem}.wav"
        with atomic_target(final) as temp, wave.open(str(temp), "wb") as handle:
            handle.setnchannels(channels)
            handle.setsampwidth(width)
            handle.setframerate(rate)
            handle.writeframes(track[first:last].tobytes())
        written.append(final)
    keep = {path.name for path in written}
    for old in out_dir.glob("*.wav"):
        if old.name not in keep:
            old.unlink(missing_ok=True)
    return written


def _has_audio(path: Path) -> bool:
    """Whether a media file has an audio stream; raise AssemblyError when it is missing."""
    if not path.is_file():
        raise AssemblyError(f"{path} does not exist, so its audio cannot be mixed.")
    what = f"looking for sound in {path.name}"
    if ffmpeg.ffprobe_binary() is None:  # imageio's ffmpeg has no ffprobe: read the banner
        banner = ffmpeg.run(["-hide_banner", "-nostdin", "-i", str(path)], what=what,
                            error=AssemblyError, check=False)
        return "Audio:" in banner.stderr
    result = ffmpeg.run(
        ["-v", "error", "-select_streams", "a", "-show_entries", "stream=index", "-of", "csv=p=0",
         str(path)],
        tool="ffprobe", what=what, error=AssemblyError, check=False,
    )
    return result.code == 0 and bool(result.stdout.strip())


def sound_seconds(path: Path) -> float:
    """How long a sound file plays, in seconds; AssemblyError when it cannot be read."""
    what = f"measuring {path.name}"
    if not path.is_file():
        raise AssemblyError(f"{path} does not exist.")
    if ffmpeg.ffprobe_binary() is None:  # imageio's ffmpeg has no ffprobe: read the banner
        banner = ffmpeg.run(["-hide_banner", "-nostdin", "-i", str(path)], what=what,
                            error=AssemblyError, check=False).stderr
        match = re.search(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)", banner)
        seconds = int(match[1]) * 3600 + int(match[2]) * 60 + float(match[3]) if match else 0.0
    else:
        result = ffmpeg.run(["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                             str(path)], tool="ffprobe", what=what, error=AssemblyError,
                            check=False)
        try:
            seconds = float(result.stdout.strip())
        except ValueError:
            seconds = 0.0
    if seconds <= 0:
        raise AssemblyError(f"{path} is not a sound file shotcraft can read.")
    return seconds


def _loudness_chain(inputs: list[str], graph: str) -> str | None:
    """The filters that bring the mix to TARGET_LUFS with its true peak under
    LOUDNORM_TRUE_PEAK; None for a silent mix (silence is not raised to −14 LUFS).

    One gain where the peaks allow it (what loudnorm's linear mode does). Where the gain would
    push peaks over the ceiling, the gain is followed by a limiter working at 4× the sample
    rate (so it catches inter-sample peaks); as limiting takes some loudness away, that chain
    is measured again and the gain raised by what it lost (secant steps), until it lands
    within 0.3 LU.
    """
    loudness, peak = _measure(inputs, graph, None)
    if loudness is None or peak is None:
        return None
    gain = TARGET_LUFS - loudness
    if peak + gain <= LOUDNORM_TRUE_PEAK:
        return f"volume={gain:.2f}dB"
    # the limiter takes back part of each added dB: find the gain by the secant method
    slope, previous = 1.0, None
    for _ in range(LIMITER_PASSES):
        limited, _ = _measure(inputs, graph, _limited(gain))
        if limited is None or abs(TARGET_LUFS - limited) <= 0.3:
            break
        if previous is not None and gain != previous[0]:
            slope = min(1.0, max(0.2, (limited - previous[1]) / (gain - previous[0])))
        previous = (gain, limited)
        gain += (TARGET_LUFS - limited) / slope
    return _limited(gain)


def _limited(gain: float) -> str:
    ceiling = 10 ** (LOUDNORM_TRUE_PEAK / 20)
    return (f"volume={gain:.2f}dB,aresample={4 * RATE},alimiter=limit={ceiling:.4f}:attack=1"
            f":release=50:level=false:latency=1,aresample={RATE}")


def _measure(inputs: list[str], graph: str, chain: str | None) -> tuple[float | None, float | None]:
    """(integrated LUFS, true peak dBTP) of the mix after `chain`; (None, None) for silence."""
    tail = f"{chain}," if chain else ""
    stderr = _run_ffmpeg(
        [*inputs, "-filter_complex",
         f"{graph};[mix]{tail}loudnorm=I={TARGET_LUFS}:TP={LOUDNORM_TRUE_PEAK}:LRA={TARGET_LRA}"
         ":print_format=json[measured]", "-map", "[measured]", "-f", "null", "-"],
        "measure the loudness of the mix",
    )
    found = re.findall(r"\{[^{}]*\"input_i\"[^{}]*\}", stderr)
    if not found:
        raise AssemblyError("ffmpeg did not report the loudness of the mix.",
                            stderr_tail=stderr[-2000:])
    stats = json.loads(found[-1])
    try:
        loudness, peak = float(stats["input_i"]), float(stats["input_tp"])
    except ValueError:
        return None, None  # "-inf": digital silence has no loudness to normalise
    if not math.isfinite(loudness) or loudness < SILENCE_LUFS or not math.isfinite(peak):
        return None, None
    return loudness, peak


def _speak(espeak: str, voice: str, text: str, wpm: int, work_dir: Path) -> tuple[int, np.ndarray]:
    """Synthesize one line (cached by content) and return (sample rate, mono int16 samples)."""
    key = hashlib.sha256(f"{voice}\0{wpm}\0{text}".encode()).hexdigest()[:16]
    wav = work_dir / f"voice-{key}.wav"
    if not wav.is_file():
        text_file = work_dir / f"voice-{key}.txt"
        text_file.write_text(text, encoding="utf-8")
        with atomic_target(wav) as partial:
            result = subprocess.run(  # noqa: S603 - argument list, text passed as a file
                [espeak, "-v", voice, "-s", str(wpm), "-b", "1", "-w", str(partial), "-f",
                 str(text_file)],
                capture_output=True, text=True, errors="replace", check=False,
            )
            if result.returncode != 0 or not partial.stat().st_size:
                raise AssemblyError(f"espeak-ng could not speak voice {voice!r}: "
                                    f"{_tail(result.stderr)}", stderr_tail=result.stderr[-2000:])
    with wave.open(str(wav), "rb") as handle:
        rate, channels, width = handle.getframerate(), handle.getnchannels(), handle.getsampwidth()
        frames = handle.readframes(handle.getnframes())
    if width != 2:
        raise AssemblyError(f"espeak-ng wrote {width * 8}-bit audio; 16-bit was expected.")
    samples = np.frombuffer(frames, dtype=np.int16)
    if channels > 1:
        samples = samples.reshape(-1, channels)[:, 0].copy()
    return rate, samples


def _run_ffmpeg(args: list[str], what: str) -> str:
    """Run ffmpeg with `args`; return its stderr, or raise AssemblyError naming `what` failed."""
    return ffmpeg.run(["-hide_banner", "-nostdin", "-y", *args], what=what, error=AssemblyError,
                      failed=f"ffmpeg could not {what}").stderr


def _tail(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no details"
