"""Pure graph building and the runner: arguments compared, failures explained."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from shotcraft.assembly import graph
from shotcraft.assembly.episode import parse_transition
from shotcraft.assembly.presets import PRESETS, get_preset
from shotcraft.assembly.runner import run
from shotcraft.shots.errors import AssemblyError, SpecError

SMALL = get_preset("test-small")


def filters_of(args: list[str]) -> str:
    return args[args.index("-filter_complex") + 1]


def option(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


def test_normalise_chain_fits_scales_and_fixes_frame_count() -> None:
    args = graph.normalize_args(Path("/takes/a.mp4"), "/cache/o.mp4", SMALL, frames=45)
    chain = filters_of(args)
    order = ["scale=180:320", "pad=180:320", "setsar=1", "fps=fps=30", "format=yuv420p",
             "tpad=stop=45:stop_mode=clone", "trim=end_frame=45"]
    positions = [chain.index(part) for part in order]
    assert positions == sorted(positions)
    assert "force_original_aspect_ratio=decrease" in chain
    assert option(args, "-frames:v") == "45"
    assert option(args, "-vcodec") == "libx264"
    assert option(args, "-profile:v") == "high"
    assert option(args, "-pix_fmt") == "yuv420p"
    assert "-an" in args  # normalised clips are video only: audio is mixed once per episode


def test_crop_fit_fills_the_frame_instead_of_padding() -> None:
    chain = filters_of(graph.normalize_args(Path("a.mp4"), "o.mp4", SMALL, frames=10, fit="crop"))
    assert "force_original_aspect_ratio=increase" in chain
    assert "crop=180:320" in chain and "]pad=" not in chain
    with pytest.raises(SpecError) as err:
        graph.normalize_args(Path("a.mp4"), "o.mp4", SMALL, frames=10, fit="stretch")
    assert err.value.field == "fit"


def test_still_is_looped_at_the_preset_rate() -> None:
    args = graph.normalize_args(Path("key.png"), "o.mp4", SMALL, frames=20, still=True)
    assert args[: args.index("-i")] == ["-framerate", "30", "-loop", "1"]


def test_split_forces_keyframes_exactly_at_the_cuts() -> None:
    args = graph.normalize_args(Path("a.mp4"), "o-%d.mp4", SMALL, frames=60, split_at=[10, 50])
    assert option(args, "-f") == "segment"
    assert option(args, "-segment_frames") == "10,50"
    assert option(args, "-force_key_frames") == "expr:eq(n,10)+eq(n,50)"
    for bad in ([0, 10], [10, 60], [30, 20]):
        with pytest.raises(SpecError):
            graph.normalize_args(Path("a.mp4"), "o-%d.mp4", SMALL, frames=60, split_at=bad)


def test_subtitle_fragment_is_appended_after_the_last_filter_and_mapped() -> None:
    args = graph.normalize_args(
        Path("a.mp4"), "o.mp4", SMALL, frames=10, subtitle_fragment="drawtext=text=x"
    )
    assert filters_of(args).endswith("]drawtext=text=x[burned]")
    assert option(args, "-map") == "[burned]"


def test_slate_text_paths_with_colons_and_quotes_are_escaped() -> None:
    args = graph.slate_args(
        Path("/c/it's:a/title.txt"), Path("/c/body.txt"), "o.mp4", SMALL, frames=30,
        font=Path("/fonts/wqy:micro.ttc"),
    )
    chain = filters_of(args)
    assert "expansion=none" in chain
    assert r"textfile=/c/it\\\'s\\:a/title.txt" in chain
    assert r"fontfile=/fonts/wqy\\:micro.ttc" in chain
    assert option(args, "-f") == "lavfi" and "color=" in args[args.index("-i") + 1]


def test_crossfade_join_dissolves_for_its_whole_length() -> None:
    args = graph.crossfade_args(Path("tail.mp4"), Path("head.mp4"), Path("j.mp4"), SMALL, frames=12)
    chain = filters_of(args)
    assert "xfade=duration=0.400000:offset=0:transition=fade" in chain
    assert "trim=end_frame=12" in chain and option(args, "-frames:v") == "12"


def test_concat_list_quotes_paths_and_gives_exact_durations() -> None:
    text = graph.concat_list([(Path("/c/it's.mp4"), 45), (Path("/c/b.mp4"), 30)], 30)
    assert "file '/c/it'\\''s.mp4'\nduration 1.500000000\n" in text
    assert text.count("duration") == 2


def test_mux_generates_silence_of_the_exact_length_or_copies_the_mix() -> None:
    silent = graph.mux_args(Path("l.txt"), Path("o.mp4"), SMALL, total_frames=75)
    assert option(silent, "-t") == "2.500000"
    assert "anullsrc=r=48000:cl=stereo" in silent
    assert option(silent, "-acodec") == "aac" and option(silent, "-vcodec") == "copy"
    assert option(silent, "-movflags") == "+faststart"
    mixed = graph.mux_args(Path("l.txt"), Path("o.mp4"), SMALL, total_frames=75, audio=Path("a.m4a"))
    assert option(mixed, "-acodec") == "copy" and "anullsrc" not in " ".join(mixed)


def test_presets_and_unknown_preset_names_the_choices() -> None:
    assert (PRESETS["vertical-1080"].width, PRESETS["vertical-1080"].height) == (1080, 1920)
    assert (PRESETS["landscape-1080"].width, PRESETS["landscape-1080"].height) == (1920, 1080)
    with pytest.raises(SpecError) as err:
        get_preset("square")
    assert err.value.field == "preset" and "vertical-720" in str(err.value)


@pytest.mark.parametrize(
    ("text", "frames"), [("cut", 0), ("crossfade", 10), ("crossfade:12", 12), (" Crossfade:3 ", 3)]
)
def test_transition_parses_to_frames(text: str, frames: int) -> None:
    assert parse_transition(text) == frames


@pytest.mark.parametrize("text", ["wipe", "crossfade:", "crossfade:0", "cut:5", "crossfade:1.5"])
def test_bad_transition_is_a_spec_error(text: str) -> None:
    with pytest.raises(SpecError) as err:
        parse_transition(text)
    assert err.value.field == "transition"


def test_failed_run_raises_with_the_stderr_tail(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.mp4"
    with pytest.raises(AssemblyError) as err:
        run(["-i", str(missing), "-f", "null", "-"], what="reading a take")
    assert str(err.value).startswith("ffmpeg failed while reading a take")
    assert "nowhere.mp4" in err.value.stderr_tail


def test_run_reports_progress_up_to_done(tmp_path: Path) -> None:
    seen: list[float] = []
    run(["-f", "lavfi", "-i", "testsrc2=s=64x64:r=30", "-frames:v", "60", "-f", "null", "-"],
        progress=seen.append, total_frames=60)
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)


def test_cancel_kills_ffmpeg_promptly() -> None:
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    started = time.monotonic()
    with pytest.raises(AssemblyError, match="cancelled"):
        run(["-re", "-f", "lavfi", "-i", "testsrc2=s=64x64:r=30", "-t", "20", "-f", "null", "-"],
            cancel=cancel)
    assert time.monotonic() - started < 5
