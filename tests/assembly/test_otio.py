"""OTIO export round-trips through opentimelineio with shots, scenes and alternate takes."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pytest

from shotcraft.assembly import formats
from shotcraft.assembly.formats.otio import write_otio
from shotcraft.shots.errors import AssemblyError
from tests.assembly.extras_fixtures import six_shot_timeline, tiny_video


@pytest.fixture(scope="module")
def timeline(tmp_path_factory):
    return six_shot_timeline(tmp_path_factory.mktemp("otio"))


def _resolve(otio_file: Path, clip) -> Path:
    return otio_file.parent / otio.url_utils.filepath_from_url(clip.media_reference.target_url)


def test_otio_round_trip_keeps_shots_durations_scenes_and_alternates(tmp_path: Path, timeline):
    path = write_otio(timeline, tmp_path / "ep01.otio")
    loaded = otio.adapters.read_from_file(str(path))

    assert loaded.name == "雨夜重逢"
    meta = loaded.metadata["shotcraft"]
    assert (meta["episode"], meta["fps"], len(meta["subtitles"])) == (1, 30, 0)
    track, alternates = loaded.video_tracks()
    assert (track.name, track.enabled) == ("Picture", True)
    assert (alternates.name, alternates.enabled) == ("Alternates 1", False)
    clips = list(track.find_clips())
    assert [clip.name for clip in clips] == [clip.shot_id for clip in timeline.clips]
    assert [clip.duration().value for clip in clips] == [30, 24, 18, 30, 36, 30]
    assert all(clip.duration().rate == 30 for clip in clips)
    assert track.duration() == otio.opentime.RationalTime(168, 30)
    assert loaded.duration().to_frames() == timeline.duration_frames

    assert [marker.name for marker in track.markers] == ["1-1 内 咖啡馆 夜", "1-2 外 街道 夜"]
    assert [marker.marked_range.start_time.value for marker in track.markers] == [0, 72]

    first = clips[0]
    assert not first.media_reference.target_url.startswith(("/", "file:"))
    assert _resolve(path, first).resolve() == timeline.clips[0].media.resolve()
    assert first.media_reference.available_range.duration.value == 30
    meta = first.metadata["shotcraft"]
    assert meta["shot_id"] == "E01-S01-001" and meta["take"] == 1 and meta["source"] == "picked"
    assert [take["take"] for take in meta["takes"]] == [1, 10]
    assert meta["takes"][0]["seed"] == 1000 and meta["takes"][0]["engine"] == "previz"
    assert clips[1].metadata["shotcraft"]["source"] == "auto"


def test_slate_is_a_generator_clip_without_media(tmp_path: Path, timeline):
    loaded = otio.adapters.read_from_file(str(write_otio(timeline, tmp_path / "e.otio")))
    slate = list(loaded.find_clips())[2]
    assert isinstance(slate.media_reference, otio.schema.GeneratorReference)
    assert slate.media_reference.generator_kind == "slate"
    assert slate.metadata["shotcraft"]["source"] == "slate"
    assert len(slate.metadata["shotcraft"]["takes"]) == 0
    assert slate.duration().value == 18


def test_still_take_lasts_its_shot(tmp_path: Path, timeline):
    loaded = otio.adapters.read_from_file(str(write_otio(timeline, tmp_path / "e.otio")))
    still = list(loaded.find_clips())[5]
    assert still.media_reference.available_range.duration.value == 30


def test_a_missing_take_file_names_it_and_writes_nothing(tmp_path: Path, timeline):
    gone = tmp_path / "gone.mp4"
    broken = timeline.model_copy(update={"clips": [
        timeline.clips[0].model_copy(update={"media": gone, "media_frames": None}),
        *timeline.clips[1:]]})
    with pytest.raises(AssemblyError, match="gone.mp4"):
        write_otio(broken, tmp_path / "e.otio")
    assert list(tmp_path.iterdir()) == []  # nor any temp file


def test_a_trimmed_shot_starts_inside_its_take_in_every_editor_format(tmp_path: Path, timeline):
    first = timeline.clips[0]
    longer = tmp_path / "long.mp4"
    tiny_video(longer, frames=60)
    trimmed = timeline.model_copy(update={"clips": [
        first.model_copy(update={"media": longer, "media_frames": 60, "source_start_frames": 12}),
        *timeline.clips[1:]]})
    for name, kwargs in (("otio", {}), ("fcpxml", {}), ("edl", {"rate": 30})):
        [path] = formats.get(name).write(trimmed, tmp_path / f"ep.{name}", {})
        clip = next(c for c in otio.adapters.read_from_file(str(path), **kwargs).find_clips()
                    if c.name == first.shot_id)
        assert clip.source_range.start_time.to_frames() == 12, name
        assert clip.source_range.duration.to_frames() == first.duration_frames, name
