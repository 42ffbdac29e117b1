"""Pure ffmpeg graph building for assembly: normalise a clip, draw a slate, render a join, mux.

Every function here returns ffmpeg's argument list (without the binary) and touches no files, so
the graphs are unit-tested by comparing arguments; assembly.runner executes them. Graphs are
built with ffmpeg-python, which escapes filter arguments (paths with ':' or "'" included).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import ffmpeg

from shotcraft.assembly.presets import Preset
from shotcraft.shots.errors import SpecError

FITS = ("pad", "crop")
_SLATE_BACKGROUND = "0x1c1c24"


def _fit_chain(stream: ffmpeg.nodes.FilterableStream, preset: Preset, fit: str):
    """Scale into the preset frame: letterbox (pad) or fill and crop the overflow (crop)."""
    if fit not in FITS:
        raise SpecError(f"unknown fit {fit!r}; choose pad or crop.", field="fit")
    w, h = preset.width, preset.height
    common = {"out_color_matrix": "bt709", "out_range": "tv", "force_divisible_by": 2}
    if fit == "pad":
        stream = stream.filter("scale", w, h, force_original_aspect_ratio="decrease", **common)
        stream = stream.filter("pad", w, h, "(ow-iw)/2", "(oh-ih)/2", color="black")
    else:
        stream = stream.filter("scale", w, h, force_original_aspect_ratio="increase", **common)
        stream = stream.filter("crop", w, h)
    return stream.filter("setsar", 1)


def _exact_frames(stream, preset: Preset, frames: int):
    """Constant frame rate, yuv420p, and exactly `frames` frames: short clips hold their last frame."""
    stream = stream.filter("fps", fps=preset.fps).filter("format", "yuv420p")
    stream = stream.filter("tpad", stop_mode="clone", stop=frames)
    return stream.filter("trim", end_frame=frames).filter("setpts", "PTS-STARTPTS")


def _encode(stream, out: str | Path, preset: Preset, *, frames: int, split_at: Sequence[int]):
    """Video-only H.264 output; with `split_at`, keyframes there and one file per segment."""
    options: dict[str, str | int | None] = {**preset.video_args(), "an": None, "frames:v": frames}
    if split_at:
        marks = "+".join(f"eq(n,{n})" for n in split_at)
        options.update(
            {
                "force_key_frames": f"expr:{marks}",
                "f": "segment",
                "segment_frames": ",".join(str(n) for n in split_at),
                "segment_format": "mp4",
                "reset_timestamps": 1,
            }
        )
    else:
        options["f"] = "mp4"
    return ffmpeg.output(stream, str(out), **options)


def _with_fragment(args: list[str], fragment: str | None) -> list[str]:
    """Append a raw filtergraph fragment (burned subtitles) after the last filter of the chain.

    ffmpeg-python cannot hold a pre-built fragment, so it is spliced into -filter_complex as a
    final chain reading the mapped label; the fragment is already escaped by its builder.
    """
    if not fragment:
        return args
    args = list(args)
    graph_at = args.index("-filter_complex") + 1
    map_at = args.index("-map") + 1
    label = args[map_at]
    args[graph_at] += f";{label}{fragment}[burned]"
    args[map_at] = "[burned]"
    return args


def check_split(frames: int, split_at: Sequence[int]) -> None:
    """Split points must be increasing frame indices strictly inside the clip."""
    points = list(split_at)
    if points != sorted(set(points)) or any(n <= 0 or n >= frames for n in points):
        raise SpecError(f"split points {points} do not fit a {frames}-frame clip.", field="transition")


def normalize_args(
    src: Path,
    out: str | Path,
    preset: Preset,
    *,
    frames: int,
    fit: str = "pad",
    still: bool = False,
    subtitle_fragment: str | None = None,
    split_at: Sequence[int] = (),
    start_frame: int = 0,
) -> list[str]:
    """Arguments that turn one take (video or still) into exactly `frames` frames of the preset.

    With `split_at`, `out` must hold a `%d` and one file per segment is written, each starting on
    a keyframe, so its parts can be stream-copied independently. `start_frame` (at the preset's
    fps) skips the head of a video take with an input seek: ffmpeg decodes from the keyframe
    before it and drops frames earlier than the seek time, which sits half a frame before the
    wanted frame so rounding can never drop that frame too.
    """
    check_split(frames, split_at)
    if still:
        source = ffmpeg.input(str(src), loop=1, framerate=preset.fps)
    elif start_frame > 0:
        source = ffmpeg.input(str(src), ss=f"{(start_frame - 0.5) / preset.fps:.6f}")
    else:
        source = ffmpeg.input(str(src))
    stream = source.video.filter("setpts", "PTS-STARTPTS")
    stream = _exact_frames(_fit_chain(stream, preset, fit), preset, frames)
    args = _encode(stream, out, preset, frames=frames, split_at=split_at).get_args()
    return _with_fragment(args, subtitle_fragment)


def slate_args(
    title_file: Path,
    body_file: Path,
    out: str | Path,
    preset: Preset,
    *,
    frames: int,
    font: Path | None,
    subtitle_fragment: str | None = None,
    split_at: Sequence[int] = (),
) -> list[str]:
    """Arguments for a slate card: the shot id large, the action text below it.

    Text comes from files with expansion=none, so nothing the director typed needs escaping.
    """
    check_split(frames, split_at)
    w, h = preset.width, preset.height
    source = ffmpeg.input(
        f"color=c={_SLATE_BACKGROUND}:s={w}x{h}:r={preset.fps}", f="lavfi"
    )
    font_args = {"fontfile": str(font)} if font else {}
    title_size = max(12, w // 14)
    body_size = max(10, w // 24)
    stream = source.video.filter(
        "drawtext", textfile=str(title_file), expansion="none", fontcolor="white",
        fontsize=title_size, x="(w-text_w)/2", y=f"h/3-{title_size}", **font_args,
    ).filter(
        "drawtext", textfile=str(body_file), expansion="none", fontcolor="0xd0d0d0",
        fontsize=body_size, line_spacing=body_size // 3, x="(w-text_w)/2", y="h/3+20", **font_args,
    )
    stream = _exact_frames(stream.filter("setsar", 1), preset, frames)
    args = _encode(stream, out, preset, frames=frames, split_at=split_at).get_args()
    return _with_fragment(args, subtitle_fragment)


def crossfade_args(
    tail: Path, head: Path, out: Path, preset: Preset, *, frames: int, transition: str = "fade"
) -> list[str]:
    """Arguments for one join: the last `frames` of clip A dissolving into the first of clip B.

    Both inputs are normalised segments of exactly `frames` frames; the output is `frames`
    frames encoded like every other segment, so it slots between the stream-copied bodies.
    """
    a = ffmpeg.input(str(tail)).video.filter("setpts", "PTS-STARTPTS")
    b = ffmpeg.input(str(head)).video.filter("setpts", "PTS-STARTPTS")
    seconds = f"{frames / preset.fps:.6f}"
    stream = ffmpeg.filter([a, b], "xfade", transition=transition, duration=seconds, offset=0)
    stream = _exact_frames(stream, preset, frames)
    return _encode(stream, out, preset, frames=frames, split_at=()).get_args()


def concat_list(entries: Sequence[tuple[Path, int]], fps: int) -> str:
    """A concat-demuxer list; each file's exact duration is given so no rounding drift builds up."""
    lines = ["ffconcat version 1.0"]
    for path, frames in entries:
        quoted = str(path).replace("'", "'\\''")
        lines.append(f"file '{quoted}'")
        lines.append(f"duration {frames / fps:.9f}")
    return "\n".join(lines) + "\n"


def mux_args(
    list_file: Path, out: Path, preset: Preset, *, total_frames: int, audio: Path | None = None
) -> list[str]:
    """Arguments that join the segments by stream copy and add the episode's audio track.

    With no `audio`, a silent AAC track of exactly the episode's length is generated.
    """
    video = ffmpeg.input(str(list_file), f="concat", safe=0).video
    seconds = f"{total_frames / preset.fps:.6f}"
    if audio is None:
        sound = ffmpeg.input(
            f"anullsrc=r={preset.audio_rate}:cl=stereo", f="lavfi", t=seconds
        ).audio
        audio_opts = preset.audio_args()
    else:
        sound = ffmpeg.input(str(audio)).audio
        audio_opts = {"acodec": "copy"}
    return ffmpeg.output(
        video, sound, str(out), vcodec="copy", movflags="+faststart", f="mp4", **audio_opts
    ).get_args()
