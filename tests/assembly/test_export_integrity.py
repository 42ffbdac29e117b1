"""An export never ships a broken episode: verified cache clips, verified output, side files."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from pathlib import Path

import pytest

from shotcraft.assembly import episode as episode_module
from shotcraft.assembly.episode import ExportOptions, export_episode, lock_path
from shotcraft.shots.errors import AssemblyError
from shotcraft.shots.files import file_lock
from shotcraft.shots.media import ffmpeg_binary, ffprobe_binary
from tests.assembly.conftest import MakeTake, clip_for, timeline_of

SMALL = ExportOptions(preset="test-small", subtitles="none")


def decoded_frames(path: Path) -> int:
    """Frames ffprobe decodes from the video stream (not what the container claims)."""
    out = subprocess.run(
        [ffprobe_binary() or "ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
         "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout
    return int(out.strip())


def decode_errors(path: Path) -> str:
    return subprocess.run([ffmpeg_binary(), "-v", "error", "-i", str(path), "-f", "null", "-"],
                          capture_output=True, text=True).stderr


@pytest.mark.parametrize("transition", ["cut", "crossfade:4"])
def test_truncated_cache_clips_are_rebuilt_not_reused(
    tmp_path: Path, make_take: MakeTake, transition: str
) -> None:
    timeline = timeline_of([clip_for(1, make_take(seconds=1.0), 30), clip_for(2, None, 25),
                            clip_for(3, make_take(seconds=1.0, source="smptebars"), 20)])
    options = SMALL.model_copy(update={"transition": transition})
    cache, out = tmp_path / "cache", tmp_path / "ep.mp4"
    first = export_episode(timeline, options, cache_dir=cache, out_path=out)
    by_key: dict[str, Path] = {}  # the largest segment of each clip
    for path in sorted(cache.glob("clip-*.mp4"), key=lambda p: p.stat().st_size):
        by_key[path.stem.split("-")[1]] = path
    clips = sorted(by_key.values(), key=lambda p: p.stat().st_size, reverse=True)
    joins = sorted(cache.glob("join-*.mp4"))
    # what a full disk leaves: a 4 KB stub and a half-written clip under their final names
    for path, size in [(clips[0], 4096), (clips[1], clips[1].stat().st_size // 2),
                       *[(join, join.stat().st_size // 2) for join in joins[:1]]]:
        with path.open("r+b") as handle:
            handle.truncate(size)
    again = export_episode(timeline, options, cache_dir=cache, out_path=out)
    assert again.cache_misses == 2 and again.cache_hits == first.cache_misses - 2
    assert again.joins_rendered == (1 if joins else 0)
    assert decode_errors(out) == ""
    assert decoded_frames(out) == again.duration_frames == first.duration_frames
    # rebuilt entries are sound again: the third export is all hits
    third = export_episode(timeline, options, cache_dir=cache, out_path=out)
    assert third.cache_misses == 0 and decoded_frames(out) == first.duration_frames


def test_a_cache_clip_without_its_manifest_is_probed_once_and_kept_when_sound(
    tmp_path: Path, make_take: MakeTake
) -> None:
    timeline = timeline_of([clip_for(1, make_take(seconds=0.5), 15), clip_for(2, None, 15)])
    cache = tmp_path / "cache"
    export_episode(timeline, SMALL, cache_dir=cache, out_path=tmp_path / "ep.mp4")
    manifests = sorted(cache.glob("clip-*.json"))
    assert len(manifests) == 2 and json.loads(manifests[0].read_text())["segments"][0]["frames"] == 15
    for manifest in manifests:  # a cache written by an older shotcraft
        manifest.unlink()
    again = export_episode(timeline, SMALL, cache_dir=cache, out_path=tmp_path / "ep.mp4")
    assert (again.cache_hits, again.cache_misses) == (2, 0)
    assert sorted(cache.glob("clip-*.json")) == manifests


def test_an_episode_that_fails_verification_never_replaces_the_good_one(
    tmp_path: Path, make_take: MakeTake, monkeypatch: pytest.MonkeyPatch
) -> None:
    timeline = timeline_of([clip_for(1, make_take(seconds=0.5), 15), clip_for(2, None, 15)])
    out = tmp_path / "ep.mp4"
    export_episode(timeline, SMALL, cache_dir=tmp_path / "c", out_path=out)
    good = out.read_bytes()
    real = episode_module.clip_problem
    monkeypatch.setattr(episode_module, "clip_problem",
                        lambda path, preset, frames, audio=False: real(path, preset, frames=frames + 7,
                                                                      audio=audio))
    with pytest.raises(AssemblyError, match=r"broken \(it has 30 of 37 frames\)"):
        export_episode(timeline, SMALL, cache_dir=tmp_path / "c", out_path=out)
    assert out.read_bytes() == good
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_exports_to_different_files_sharing_the_cache_encode_each_clip_once(
    tmp_path: Path, make_take: MakeTake
) -> None:
    timeline = timeline_of([clip_for(1, make_take(seconds=0.5), 15), clip_for(2, None, 15)])
    results = []

    def one(name: str) -> None:
        results.append(export_episode(timeline, SMALL, cache_dir=tmp_path / "c",
                                      out_path=tmp_path / name))

    threads = [threading.Thread(target=one, args=(f"{name}.mp4",)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2 and sum(r.cache_misses for r in results) == 2
    for name in ("a.mp4", "b.mp4"):
        assert decode_errors(tmp_path / name) == "" and decoded_frames(tmp_path / name) == 30


def test_a_second_export_of_the_same_file_waits_and_says_so(
    tmp_path: Path, make_take: MakeTake
) -> None:
    timeline = timeline_of([clip_for(1, make_take(seconds=0.5), 15)])
    out = tmp_path / "ep.mp4"
    stages: list[str] = []
    with file_lock(lock_path(out)):  # another export holds it
        worker = threading.Thread(target=export_episode, args=(timeline, SMALL), kwargs={
            "cache_dir": tmp_path / "c", "out_path": out,
            "progress": lambda stage, fraction: stages.append(stage)})
        worker.start()
        time.sleep(0.5)
        assert stages == ["waiting for another export of episode 1…"] and not out.exists()
    worker.join(timeout=60)
    assert stages[-1] == "done" and decoded_frames(out) == 15
