"""Export an episode: normalise each clip once, join by stream copy, add one audio track.

How the MP4 is made:

1. Every clip (a picked take, a still looped for its length, or a slate card when there is no
   take) is normalised to the preset — size by fit/crop, fps, yuv420p, H.264 with identical
   settings, video only — and cached under the hash of what it is made of (assembly.normalize).
   Re-exporting after one pick therefore re-encodes one clip.
2. Cut: the normalised clips are joined by the concat demuxer with stream copy; each list entry
   carries its exact duration so timestamps never drift.
   Crossfade of F frames: each clip is normalised in ONE encode into three segments — head
   (F frames), body, tail (F frames) — with keyframes forced at the cuts. Only the joins are
   rendered: for each neighbour pair an xfade of A's tail and B's head (F frames, cached too).
   The episode is head₀ + body₀ + join₀₁ + body₁ + … + bodyₙ + tailₙ, all stream-copied, so
   its length is sum(durations) − F × (clips − 1). F is capped so every body keeps a frame.
3. Audio is built once for the whole episode by assembly.audio.mix_audio (clip audio at its
   timeline offset, scratch voice, each shot's sound effect, the ducked music bed, normalised to
   −14 LUFS); with none of those, a silent AAC 48 kHz stereo track of the exact length is
   generated while muxing. After the mux the written file's loudness and true peak are measured
   (ExportResult.loudness_lufs / true_peak_dbtp), and the voice is cut into one WAV per line
   (`ep-dialogue/NNN-<shot>.wav`) for the editors' Dialogue track.
4. Everything is written into staging folders beside where it goes (assembly.staging) and
   moved into place only when all of it succeeded: the mux (concat + audio, +faststart) writes
   the MP4 there, probes it (video stream, exact frame count and duration, an audio track), and
   the SRT, OTIO, sheet and the other side files follow, named after the MP4 (`ep.mp4` →
   `ep.srt`, `ep.otio`, `ep-sheet.png`/`.pdf`, `ep-dialogue/`), with the user's umask. A failed,
   killed or wrong export never replaces any file of the previous set; a cancelled one
   neither.
5. Exports of the same output file take turns: an exclusive lock on `.NAME.mp4.lock` beside it;
   the second says "waiting for another export of episode N…" and then runs (mostly from cache).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from shotcraft.assembly import audio, formats, graph, subtitles
from shotcraft.assembly.audio import measure_loudness, sound_seconds, split_lines
from shotcraft.assembly.normalize import (
    IMAGE_SUFFIXES,
    CacheStats,
    clip_problem,
    normalize_segments,
    verified_cache_hit,
    write_manifest,
)
from shotcraft.assembly.presets import DEFAULT_PRESET, Preset, get_preset
from shotcraft.assembly.runner import run
from shotcraft.assembly.speech import voice_track
from shotcraft.assembly.speech.timing import cuts, misfits, spoken_lines, time_to_speech
from shotcraft.assembly.speech.track import SpokenCue
from shotcraft.assembly.staging import Staging, remove_stale_staging, staging
from shotcraft.assembly.subtitle_style import SubtitleStyle
from shotcraft.assembly.timeline import AudioClip, Clip, ClipSource, Cue, Timeline
from shotcraft.shots.errors import AssemblyError, MediaError, SpecError
from shotcraft.shots.files import atomic_target, file_lock, remove_stale_temps, temp_folder
from shotcraft.shots.media import cjk_font, probe, sha256_file
from shotcraft.storyboard.voices import Voice

DEFAULT_CROSSFADE = 10
_TRANSITION_RE = re.compile(r"^(cut|crossfade)(?::(\d+))?$")

Progress = Callable[[str, float], None]


class ExportOptions(BaseModel):
    preset: str = DEFAULT_PRESET
    subtitles: Literal["srt", "burn", "none"] = "srt"
    transition: str = "cut"  # "cut", "crossfade" (10 frames) or "crossfade:F"
    music: Path | None = None
    # scratch: one espeak voice for every line; bible: each speaker's voice (`voices`, with a
    # distinct default for anyone missing; assembly.speech); none or None: no voice
    voice: Literal["scratch", "bible", "none"] | None = None
    voices: dict[str, Voice] = Field(default_factory=dict)  # speaker (name or alias) → voice
    take_audio: bool = True  # keep the takes' own sound (e.g. Kling native sound) in the mix
    otio: bool = False  # the same as "otio" in formats (the --otio flag)
    sheet: bool = False  # the same as "sheet" in formats (the --sheet flag)
    fit: Literal["pad", "crop"] = "pad"
    language: Literal["zh", "en"] = "zh"
    formats: list[str] = Field(default_factory=list)  # side files by format name (assembly.formats)
    format_options: dict[str, Any] = Field(default_factory=dict)  # the formats' declared options
    video: bool = True  # False: only the side files, no MP4 encode
    strict: bool = False  # refuse to export when a line would be cut (--voice bible)
    # burned subtitles (assembly.subtitle_style): a platform's safe area, and overrides
    subtitle_preset: Literal["douyin", "kuaishou", "wechat-channels", "generic"] | None = None
    subtitle_size: int | None = Field(default=None, ge=12, le=200)  # px on a 1080 short side
    subtitle_font: Path | None = None
    subtitle_outline: int | None = Field(default=None, ge=0, le=20)
    subtitle_position: float | None = Field(default=None, gt=0.0, le=1.0)  # block bottom, of height

    def subtitle_style(self) -> SubtitleStyle:
        return SubtitleStyle(preset=self.subtitle_preset, size=self.subtitle_size,
                             font=self.subtitle_font, outline=self.subtitle_outline,
                             position=self.subtitle_position)
    sfx: dict[str, Path] = Field(default_factory=dict)  # shot id → a sound effect at its start

    @field_validator("formats")
    @classmethod
    def _known_formats(cls, names: list[str]) -> list[str]:
        known = [formats.get(name).name for name in names]  # an unknown name says which exist
        return list(dict.fromkeys(known))

    @model_validator(mode="after")
    def _options_of_wanted_formats(self) -> ExportOptions:
        wanted = set(self.wanted_formats())
        for name, value in self.format_options.items():
            if value in (None, False):
                continue
            flag = "--" + name.replace("_", "-")
            owners = [fmt.name for fmt in formats.formats() if name in {o.name for o in fmt.options}]
            if not owners:
                raise SpecError(f"no export format has an option {flag}.", field="format")
            if not wanted & set(owners):
                add = " or ".join(f"--format {owner}" for owner in owners)
                raise SpecError(f"{flag} is an option of {' and '.join(owners)}; add {add}.",
                                field="format")
        return self

    def wanted_formats(self) -> list[str]:
        """The side files to write, in the registry's order: the SRT goes with a video whose
        subtitles are srt or burn (as before), or wherever srt is asked for by name."""
        wanted = set(self.formats)
        wanted |= {name for name, flag in (("otio", self.otio), ("sheet", self.sheet)) if flag}
        if self.video and self.subtitles in ("srt", "burn"):
            wanted.add("srt")
        return [name for name in formats.names() if name in wanted]


class ClipRow(BaseModel):
    """One shot as it landed in the export."""

    shot_id: str
    take: int | None
    source: ClipSource
    duration_frames: int
    start_frame: int  # on the exported timeline, after crossfade overlaps


class ExportResult(BaseModel):
    output: Path | None  # the MP4; None when only side files were written (--no-video)
    duration_frames: int
    fps: int
    width: int
    height: int
    transition_frames: int  # 0 for cuts
    clips: list[ClipRow]
    srt: Path | None = None
    otio: Path | None = None
    sheet: list[Path] = Field(default_factory=list)
    files: dict[str, list[Path]] = Field(default_factory=dict)  # format name → files written
    cache_hits: int = 0
    cache_misses: int = 0
    joins_rendered: int = 0
    seconds: float = 0.0
    sizes: dict[str, int] = Field(default_factory=dict)  # file name → bytes
    warnings: list[str] = Field(default_factory=list)  # e.g. characters no font can burn in
    # measured on the written MP4 (ebur128); None when it is silent or there is no MP4
    loudness_lufs: float | None = None
    true_peak_dbtp: float | None = None
    # --voice bible: each line as spoken (voice, measured seconds, whether it came from cache)
    voice_lines: list[SpokenCue] = Field(default_factory=list)


def parse_transition(text: str) -> int:
    """Crossfade length in frames for "cut" (0), "crossfade" (10) or "crossfade:F"."""
    match = _TRANSITION_RE.match(text.strip().lower())
    if not match or (match[1] == "cut" and match[2]):
        raise SpecError(
            f"unknown transition {text!r}; use cut, crossfade or crossfade:FRAMES.",
            field="transition",
        )
    if match[1] == "cut":
        return 0
    frames = int(match[2]) if match[2] else DEFAULT_CROSSFADE
    if frames < 1:
        raise SpecError("a crossfade needs at least 1 frame.", field="transition")
    return frames


def parse_sfx(values: list[str]) -> dict[str, Path]:
    """`--sfx SHOT_ID=FILE` values as {shot id: file}; a shot named twice keeps the last file."""
    found: dict[str, Path] = {}
    for value in values:
        shot_id, sep, path = value.partition("=")
        if not sep or not shot_id.strip() or not path.strip():
            raise SpecError(f"--sfx takes SHOT_ID=FILE, not {value!r}.", field="sfx")
        found[shot_id.strip()] = Path(path.strip())
    return found


def lock_path(out_path: Path) -> Path:
    """The lock file that makes exports to `out_path` take turns (removed when released)."""
    return out_path.with_name(f".{out_path.name}.lock")


def sidecar_paths(out_path: Path) -> dict[str, Path]:
    """Where the side files of an export to `out_path` go, by format: named after it, in its
    folder (`ep.mp4` → `ep.srt`, `ep.otio`, `ep-sheet.png`, …)."""
    paths = {fmt.name: fmt.path_for(out_path) for fmt in formats.formats()}
    paths["sheet_pdf"] = paths["sheet"].with_suffix(".pdf")  # written beside the PNG
    return paths


def planned_outputs(out_path: Path, options: ExportOptions) -> list[tuple[str, Path, bool]]:
    """Everything an export to `out_path` with `options` may write, as (what the sentence calls
    it, path, whether it is a folder): the MP4, each side file named after it, the dialogue
    lines' folder. The output guard checks these before anything is written."""
    planned: list[tuple[str, Path, bool]] = []
    if options.video:
        planned.append(("the episode MP4", out_path, False))
        if _speaks(options):
            planned.append(("the dialogue lines' folder", out_path.with_name(
                f"{out_path.stem}-dialogue"), True))
    for name in options.wanted_formats():
        fmt = formats.get(name)
        values = fmt.option_values(options.format_options)
        planned += [(f"the {name} side file", path, folder)
                    for path, folder in fmt.targets(out_path, values)]
    return planned


def export_episode(
    timeline: Timeline,
    options: ExportOptions,
    *,
    cache_dir: Path,
    out_path: Path,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> ExportResult:
    """Render `timeline` to `out_path` (MP4) plus the sidecars the options ask for.

    Exports to the same `out_path` wait for each other (the progress callback says so).
    """
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    report = progress or (lambda stage, fraction: None)

    def waiting() -> None:
        report(f"waiting for another export of episode {timeline.episode}…", 0.0)

    try:
        with file_lock(lock_path(out_path), on_wait=waiting, cancel=cancel):
            for target in (out_path, *sidecar_paths(out_path).values()):
                remove_stale_temps(target)  # left by a killed export of this file
            remove_stale_staging(out_path)
            started = time.monotonic()
            with staging(out_path.name) as stage:  # all or nothing: see assembly.staging
                result = _export(timeline, options, cache_dir=Path(cache_dir),
                                 out_path=stage.path(out_path), report=report, cancel=cancel)
                result = _at_final_places(result, stage)
                if cancel is not None and cancel.is_set():
                    raise AssemblyError(f"export of {out_path.name} cancelled; the previous "
                                        "files were kept.")
                report("moving the files into place", 0.99)
                stage.commit()
            result.seconds = round(time.monotonic() - started, 3)
            _record_sizes(result)
            report("done", 1.0)
            return result
    except InterruptedError:
        raise AssemblyError(
            f"export cancelled while waiting for another export of {out_path.name}."
        ) from None


def _export(timeline: Timeline, options: ExportOptions, *, cache_dir: Path, out_path: Path,
            report: Progress, cancel: threading.Event | None) -> ExportResult:
    started = time.monotonic()
    if not timeline.clips:
        raise AssemblyError(f"episode {timeline.episode} has no shots to export.")
    check_sfx(timeline, options)
    if not options.video:
        return _export_side_files(timeline, options, out_path=out_path, report=report,
                                  started=started)
    preset = get_preset(options.preset)
    wanted_fade = parse_transition(options.transition)
    timeline = retime(timeline, preset.fps)
    clips = timeline.clips
    fade = _fit_fade(wanted_fade, clips)
    starts = _clip_starts(clips, fade)
    total = sum(c.duration_frames for c in clips) - fade * (len(clips) - 1)
    cache_dir.mkdir(parents=True, exist_ok=True)
    stats = CacheStats()

    cues = []
    if options.subtitles != "none" or _speaks(options):
        cues = subtitles.build_cues(timeline, starts, language=options.language)
    warnings: list[str] = []
    flagged: set[int] = set()
    fresh: set[int] = set()  # lines synthesised by this export (timing the cues spoke them first)
    if options.voice == "bible" and cues:  # the subtitles follow the lines as spoken
        lines = spoken_lines(cues, options.voices, cache_dir, options.language)
        fresh = {index for index, line in lines.items() if not line.cached}
        seconds = {index: line.seconds for index, line in lines.items()}
        cut = cuts(cues, seconds, fps=preset.fps, total_frames=total)
        if options.strict and cut:
            raise AssemblyError(_strict_refusal(cut, cues, clips, starts))
        for misfit in misfits(timeline, starts, cues, seconds):
            flagged.add(misfit.index)
            if misfit.heard:  # a subtitle's tail running over is not worth a warning
                fits = "; shotcraft fit lengthens the shot" if misfit.cut_seconds > 0 else ""
                warnings.append(f"{misfit.sentence()}{fits}.")
        for line in cut:
            if line.index not in flagged:  # cut though its shot is long enough: said, never hidden
                warnings.append(
                    f"{line.speaker}'s line \"{line.text}\" runs {line.seconds:.1f} s: "
                    f"{line.lost_seconds:.1f} s of it is cut where the next line starts or the "
                    "episode ends; lengthen its shot.")
        cues = time_to_speech(cues, seconds, fps=preset.fps, total_frames=total)
    fragments = _burn_fragments(clips, starts, cues, preset, cache_dir, warnings,
                                options.subtitle_style()) if (
        options.subtitles == "burn"
    ) else [None] * len(clips)

    with temp_folder(cache_dir / "export") as work:
        report("normalising clips", 0.0)
        segments = _normalise_all(
            clips, preset, cache_dir, fade, options.fit, fragments, stats, report, cancel
        )
        joins = _render_joins(segments, preset, cache_dir, fade, report, cancel) if fade else []
        entries = _concat_entries(clips, segments, joins, fade)
        list_file = work / "episode.ffconcat"
        list_file.write_text(graph.concat_list(entries, preset.fps), encoding="utf-8")

        report("mixing audio", 0.9)
        spoken: list[SpokenCue] = []
        audio, voice = _episode_audio(timeline, starts, cues, options, preset, total, cache_dir,
                                      work, spoken)
        report("writing episode", 0.95)
        with atomic_target(out_path) as partial:
            run(graph.mux_args(list_file, partial, preset, total_frames=total, audio=audio),
                what=f"writing {out_path.name}", cancel=cancel)
            problem = clip_problem(partial, preset, frames=total, audio=True)
            if problem:
                raise AssemblyError(
                    f"the episode ffmpeg wrote for {out_path.name} is broken ({problem}), "
                    "so the previous file was kept."
                )
        dialogue: list[AudioClip] = []
        if voice is not None:
            report("writing the dialogue lines", 0.95)
            dialogue = _dialogue_clips(voice, cues, timeline, starts, total, out_path)

    result = ExportResult(
        output=out_path, duration_frames=total, fps=preset.fps, width=preset.width,
        height=preset.height, transition_frames=fade,
        clips=[
            ClipRow(shot_id=c.shot_id, take=c.take, source=c.source,
                    duration_frames=c.duration_frames, start_frame=s)
            for c, s in zip(clips, starts, strict=True)
        ],
        cache_hits=stats.hits, cache_misses=stats.misses, joins_rendered=sum(j[1] for j in joins),
        warnings=warnings,
        voice_lines=[line.model_copy(update={"cached": line.cached and line.index not in fresh})
                     for line in spoken],
    )
    if dialogue:
        result.files["dialogue"] = [clip.path for clip in dialogue]
    if audio is not None:
        report("measuring loudness", 0.95)
        result.loudness_lufs, result.true_peak_dbtp = measure_loudness(out_path)
    side_cues = cues  # timed as in the MP4, so the SRT matches it (crossfades included)
    if not cues:  # --subtitles none: editors still get the lines (--format srt, OTIO metadata)
        side_cues = subtitles.build_cues(timeline, starts, language=options.language)
    tracks = with_tracks(timeline, side_cues, options, starts=starts, dialogue=dialogue)
    _write_side_files(result, tracks, options, out_path, report)
    result.seconds = round(time.monotonic() - started, 3)
    return result


def _export_side_files(timeline: Timeline, options: ExportOptions, *, out_path: Path,
                       report: Progress, started: float) -> ExportResult:
    """Write only the side files: everything they need comes from the picks and the media."""
    preset = get_preset(options.preset)
    timeline = retime(timeline, preset.fps)
    wanted = options.wanted_formats()
    if not wanted:
        raise AssemblyError("--no-video writes only side files: name at least one with --format.")
    for name in wanted:
        if formats.get(name).needs_video:
            raise AssemblyError(f"the {name} format is made from the MP4, so it cannot be "
                                "written with --no-video.")
    starts = timeline.clip_starts()
    cues = subtitles.build_cues(timeline, starts, language=options.language)
    result = ExportResult(
        output=None, duration_frames=timeline.duration_frames, fps=preset.fps,
        width=preset.width, height=preset.height, transition_frames=0,
        clips=[ClipRow(shot_id=c.shot_id, take=c.take, source=c.source,
                       duration_frames=c.duration_frames, start_frame=s)
               for c, s in zip(timeline.clips, starts, strict=True)],
    )
    _write_side_files(result, with_tracks(timeline, cues, options), options, out_path, report)
    result.seconds = round(time.monotonic() - started, 3)
    return result


def with_tracks(timeline: Timeline, cues: list[Cue], options: ExportOptions, *,
                starts: list[int] | None = None,
                dialogue: list[AudioClip] | None = None) -> Timeline:
    """The timeline with its subtitle cues and audio tracks: the dialogue lines (as exported),
    each shot's sound effect at its first frame, the music bed looped to the end."""
    audio: list[AudioClip] = list(dialogue or [])
    audio.extend(_effect_clips(timeline, options, starts or timeline.clip_starts()))
    if options.music is not None:
        music = Path(options.music)
        if not music.is_file():
            raise AssemblyError(f"the music file {music} does not exist.")
        seconds = sound_seconds(music)
        length = max(1, round(seconds * timeline.fps))
        total = timeline.duration_frames
        for start in range(0, total, length):
            audio.append(AudioClip(kind="music", path=music.absolute(), start_frame=start,
                                   duration_frames=min(length, total - start), name=music.name))
    preset = get_preset(options.preset)
    placement = options.subtitle_style().resolve(preset.width, preset.height)
    return timeline.model_copy(update={
        "subtitles": cues, "audio": audio, "width": preset.width, "height": preset.height,
        # where burned subtitles go, for the editors' text tracks (the 剪映 draft)
        "subtitle_bottom": placement.bottom / preset.height,
        "subtitle_size": placement.fontsize * 1080 / min(preset.width, preset.height),
    })


def check_sfx(timeline: Timeline, options: ExportOptions) -> None:
    """Refuse a sound effect for a shot the episode does not have, or a file that is not there."""
    shots = {clip.shot_id for clip in timeline.clips}
    for shot_id, path in options.sfx.items():
        if shot_id not in shots:
            raise SpecError(f"--sfx names shot {shot_id}, which episode {timeline.episode} does "
                            "not have.", field="sfx")
        if not Path(path).is_file():
            raise AssemblyError(f"the sound effect file {path} for {shot_id} does not exist.")


def _strict_refusal(cut: list[Any], cues: list[Cue], clips: list[Clip], starts: list[int]) -> str:
    """`export --strict`'s one sentence: how many lines would be cut, the seconds lost, where."""
    start_of = {cue.index: cue.start_frame for cue in cues}
    first = min(cut, key=lambda line: start_of[line.index])
    shot = next((c.shot_id for c, s in reversed(list(zip(clips, starts, strict=True)))
                 if s <= start_of[first.index]), clips[0].shot_id)
    lost = sum(line.lost_seconds for line in cut)
    lines = f"{len(cut)} line{'s' if len(cut) > 1 else ''}"
    return (f"export --strict refuses to cut: {lines} would lose {lost:.1f} s in all, the first "
            f"{first.speaker}'s line in {shot} ({first.lost_seconds:.1f} s of "
            f"{first.seconds:.1f} s); run shotcraft fit, lengthen those shots, or export "
            "without --strict.")


def _effect_clips(timeline: Timeline, options: ExportOptions, starts: list[int]) -> list[AudioClip]:
    """Each shot's sound effect from its first frame, cut at the next shot's first frame."""
    if not options.sfx:
        return []
    clips: list[AudioClip] = []
    total = starts[-1] + timeline.clips[-1].duration_frames
    for index, (clip, start) in enumerate(zip(timeline.clips, starts, strict=True)):
        path = options.sfx.get(clip.shot_id)
        if path is None:
            continue
        room = (starts[index + 1] if index + 1 < len(starts) else total) - start
        frames = min(room, max(1, round(sound_seconds(Path(path)) * timeline.fps)))
        clips.append(AudioClip(kind="effects", path=Path(path).absolute(), start_frame=start,
                               duration_frames=frames, name=f"{clip.shot_id} {Path(path).name}"))
    return clips


def _dialogue_clips(voice: Path, cues: list[Cue], timeline: Timeline, starts: list[int],
                    total: int, out_path: Path) -> list[AudioClip]:
    """The voice cut into one WAV per line beside the MP4 (`ep-dialogue/NNN-<shot>.wav`), as
    Dialogue clips named "<shot> <speaker>", each at its cue and at most until the next one."""
    ordered = sorted((c for c in cues if c.end_frame > c.start_frame), key=lambda c: c.start_frame)
    spans: list[tuple[int, int, str]] = []
    names: list[str] = []
    for number, cue in enumerate(ordered, start=1):
        following = ordered[number].start_frame if number < len(ordered) else total
        end = min(cue.end_frame, following, total)
        if end <= cue.start_frame:
            continue
        shot = next((c.shot_id for c, s in reversed(list(zip(timeline.clips, starts, strict=True)))
                     if s <= cue.start_frame), timeline.clips[0].shot_id)
        spans.append((cue.start_frame, end, f"{number:03d}-{shot}"))
        names.append(f"{shot} {cue.speaker}".strip())
    folder = out_path.with_name(f"{out_path.stem}-dialogue")
    files = split_lines(voice, spans, fps=timeline.fps, out_dir=folder)
    return [AudioClip(kind="dialogue", path=path.absolute(), start_frame=start,
                      duration_frames=end - start, name=name)
            for path, (start, end, _), name in zip(files, spans, names, strict=True)]


def _write_side_files(result: ExportResult, timeline: Timeline, options: ExportOptions,
                      out_path: Path, report: Progress) -> None:
    wanted = options.wanted_formats()
    for index, name in enumerate(wanted):
        fmt = formats.get(name)
        report(f"writing {fmt.description}", 0.95 + 0.05 * index / len(wanted))
        values = fmt.option_values(options.format_options)
        if fmt.needs_video:
            values["video"] = result.output
        written = fmt.write(timeline, fmt.path_for(out_path), values)
        result.files[name] = written
    result.srt = next(iter(result.files.get("srt", [])), None)
    result.otio = next(iter(result.files.get("otio", [])), None)
    result.sheet = result.files.get("sheet", [])


def _at_final_places(result: ExportResult, stage: Staging) -> ExportResult:
    """The result with every staged path replaced by where it is once committed."""
    def final(path: Path | None) -> Path | None:
        return stage.final(path) if path is not None else None

    files = {name: [stage.final(p) for p in paths] for name, paths in result.files.items()}
    return result.model_copy(update={
        "output": final(result.output), "files": files, "srt": final(result.srt),
        "otio": final(result.otio), "sheet": [stage.final(p) for p in result.sheet],
    })


def _record_sizes(result: ExportResult) -> None:
    for path in [result.output, *(p for files in result.files.values() for p in files)]:
        if path is not None and Path(path).is_file():
            result.sizes[Path(path).name] = Path(path).stat().st_size


def retime(timeline: Timeline, fps: int) -> Timeline:
    """The timeline at another frame rate; cumulative rounding keeps cuts where they were."""
    if timeline.fps == fps:
        return timeline

    def scaled(frames: int | None) -> int | None:
        return None if frames is None else max(1, round(frames * fps / timeline.fps))

    clips, elapsed, placed = [], 0, 0
    for clip in timeline.clips:
        elapsed += clip.duration_frames
        end = round(elapsed * fps / timeline.fps)
        clips.append(clip.model_copy(update={
            "duration_frames": max(1, end - placed),
            "source_start_frames": round(clip.source_start_frames * fps / timeline.fps),
            "media_frames": scaled(clip.media_frames),
            "alternates": [a.model_copy(update={"frames": scaled(a.frames)})
                           for a in clip.alternates],
        }))
        placed += clips[-1].duration_frames
    return timeline.model_copy(update={"fps": fps, "clips": clips})


def _fit_fade(frames: int, clips: list[Clip]) -> int:
    # every clip keeps a body of at least one frame between its head and tail
    if frames == 0 or len(clips) < 2:
        return 0
    shortest = min(c.duration_frames for c in clips)
    return max(0, min(frames, (shortest - 1) // 2))


def _clip_starts(clips: list[Clip], fade: int) -> list[int]:
    starts, at = [], 0
    for clip in clips:
        starts.append(at)
        at += clip.duration_frames - fade
    return starts


def _burn_fragments(clips, starts, cues, preset: Preset, cache_dir: Path,
                    warnings: list[str], style: SubtitleStyle) -> list[str | None]:
    """Per clip, the drawtext chain for the cues it shows, in frames relative to its start."""
    placement = style.resolve(preset.width, preset.height)
    where = placement.warning(block_height=round(placement.fontsize * 1.4))
    if where and cues:
        warnings.append(where[0].upper() + where[1:])
    fragments: list[str | None] = []
    for clip, start in zip(clips, starts, strict=True):
        end = start + clip.duration_frames
        local = [
            cue.model_copy(update={
                "start_frame": max(cue.start_frame, start) - start,
                "end_frame": min(cue.end_frame, end) - start,
            })
            for cue in cues
            if cue.start_frame < end and cue.end_frame > start
        ]
        fragments.append(subtitles.clip_subtitle_filter(
            local, work_dir=cache_dir / "subtitles", width=preset.width, height=preset.height,
            font=cjk_font(), where=clip.shot_id, warnings=warnings, placement=placement,
        ))
    return fragments


def _normalise_all(clips, preset, cache_dir, fade, fit, fragments, stats, report, cancel):
    """Normalise every clip (in parallel: small clips are dominated by ffmpeg start-up)."""
    done = 0
    lock = threading.Lock()

    def one(index: int) -> list[Path]:
        nonlocal done
        clip = clips[index]
        split = (fade, clip.duration_frames - fade) if fade else ()
        paths = normalize_segments(
            clip, preset, cache_dir, split_at=split, fit=fit,
            subtitle_fragment=fragments[index], stats=stats, cancel=cancel,
        )
        with lock:
            done += 1
            report("normalising clips", 0.8 * done / len(clips))
        return paths

    return _in_parallel(one, len(clips))


def _render_joins(segments, preset, cache_dir: Path, fade: int, report, cancel):
    """Render each crossfade join from A's tail and B's head; cached like clips."""

    def one(index: int) -> tuple[Path, int]:
        tail, head = segments[index][-1], segments[index + 1][0]
        key = _join_key(tail, head, fade, preset)
        final = cache_dir / f"join-{key}.mp4"
        manifest = cache_dir / f"join-{key}.json"
        what = f"rendering the crossfade after clip {index + 1}"
        try:
            with file_lock(cache_dir / f".lock-join-{key}", cancel=cancel):
                if verified_cache_hit([final], [fade], manifest, preset):
                    return final, 0
                for target in (final, manifest):
                    remove_stale_temps(target)
                with atomic_target(final) as tmp:
                    run(graph.crossfade_args(tail, head, tmp, preset, frames=fade), what=what,
                        cancel=cancel)
                    problem = clip_problem(tmp, preset, frames=fade)
                    if problem:
                        raise AssemblyError(f"{what} went wrong: {problem}.")
                write_manifest(manifest, [final], [fade])
        except InterruptedError:
            raise AssemblyError(f"export cancelled while waiting before {what}.") from None
        return final, 1

    report("rendering transitions", 0.8)
    return _in_parallel(one, len(segments) - 1)


def _in_parallel(one: Callable[[int], Any], count: int) -> list[Any]:
    """`[one(0), …, one(count - 1)]` on a few threads, waited for in short steps: a signal the
    kernel hands a worker thread still has its handler run (in the main thread) at once, so a
    SIGTERM can cancel the export instead of waiting for every clip."""
    with ThreadPoolExecutor(max_workers=_workers()) as pool:
        futures = [pool.submit(one, index) for index in range(count)]
        while wait(futures, timeout=0.2).not_done:
            pass
        return [future.result() for future in futures]


def _join_key(tail: Path, head: Path, fade: int, preset: Preset) -> str:
    # segment names are content hashes already, so the names identify the join's inputs
    blob = json.dumps([tail.name, head.name, fade, preset.model_dump()]).encode()
    return hashlib.sha256(blob).hexdigest()[:32]


def _concat_entries(clips, segments, joins, fade) -> list[tuple[Path, int]]:
    if not fade:
        return [(paths[0], clip.duration_frames) for clip, paths in zip(clips, segments, strict=True)]
    entries: list[tuple[Path, int]] = []
    last = len(clips) - 1
    for index, (clip, (head, body, tail)) in enumerate(zip(clips, segments, strict=True)):
        if index == 0:
            entries.append((head, fade))
        entries.append((body, clip.duration_frames - 2 * fade))
        if index == last:
            entries.append((tail, fade))
        else:
            entries.append((joins[index][0], fade))
    return entries


def _speaks(options: ExportOptions) -> bool:
    return options.voice in ("scratch", "bible")


def _episode_audio(timeline, starts, cues, options, preset, total, cache_dir, work,
                   spoken: list[SpokenCue] | None = None) -> tuple[Path | None, Path | None]:
    """(the mixed audio track or None when a silent track will do, the voice WAV or None);
    `spoken` receives the lines a bible voice track spoke."""
    # a take longer than its shot is cut there, sound included: it never runs into the next shot
    clip_audio: list[tuple[Path, int] | tuple[Path, int, int] | tuple[Path, int, int, int]] = [
        (Path(clip.media), start, clip.duration_frames, clip.source_start_frames)
        for clip, start in zip(timeline.clips, starts, strict=True)
        if options.take_audio and clip.media is not None and not clip.speaks
        and _has_audio(clip, cache_dir)
    ]
    if options.music is not None and not Path(options.music).is_file():
        raise AssemblyError(f"the music file {options.music} does not exist.")
    effects = [(clip.path, clip.start_frame, clip.duration_frames)
               for clip in _effect_clips(timeline, options, starts)]
    if not (clip_audio or _speaks(options) or options.music or effects):
        return None, None
    voice = None
    if options.voice == "scratch":
        voice = audio.scratch_voice(
            cues, fps=preset.fps, total_frames=total, work_dir=work, language=options.language
        )
    elif options.voice == "bible":
        track = voice_track(cues, options.voices, fps=preset.fps, total_frames=total,
                            cache_dir=cache_dir, out=work / "bible-voice.wav",
                            language=options.language)
        voice = track.path
        if spoken is not None:
            spoken.extend(track.lines)
    mixed = audio.mix_audio(
        total_frames=total, fps=preset.fps, out=work / "audio.m4a", clip_audio=clip_audio,
        voice=voice, music=Path(options.music) if options.music else None, cues=cues,
        effects=effects,
    )
    return mixed, voice


def _has_audio(clip: Clip, cache_dir: Path) -> bool:
    """Whether a take has sound; remembered per content hash so re-exports skip the probe."""
    if clip.media is None:
        return False
    media = Path(clip.media)
    if media.suffix.lower() in IMAGE_SUFFIXES:
        return False
    digest = clip.media_hash or sha256_file(media)
    memo = cache_dir / f"probe-{digest[:32]}.json"
    if memo.is_file():
        return bool(json.loads(memo.read_text())["has_audio"])
    try:
        has = probe(media, count_frames=False).has_audio
    except MediaError as exc:
        raise AssemblyError(f"the take for shot {clip.shot_id} cannot be read: {exc}") from exc
    with atomic_target(memo) as tmp:
        tmp.write_text(json.dumps({"has_audio": has}))
    return has


def _workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))
