"""OTIO export round-trips through opentimelineio with shots, scenes and alternate takes."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pytest

from shotcraft.assembly.otio_export import write_otio
from shotcraft.shots.errors import AssemblyError
from tests.assembly.extras_fixtures import six_shot_timeline


@pytest.fixture(scope="module")
def timeline(tmp_path_factory):
    return six_shot_timeline(tmp_path_factory.mktemp("otio"))


def _media(timeline) -> list[Path]:
    return [clip.media or Path("/nonexistent/slate.mp4") for clip in timeline.clips]


def test_otio_round_trip_keeps_shots_durations_scenes_and_alternates(tmp_path: Path, timeline):
    path = write_otio(timeline, _media(timeline), tmp_path / "ep01.otio")
    loaded = otio.adapters.read_from_file(str(path))

    assert loaded.name == "雨夜重逢"
    assert loaded.metadata["shotcraft"] == {"episode": 1, "fps": 30}
    [track] = loaded.video_tracks()
    clips = list(track.find_clips())
    assert [clip.name for clip in clips] == [clip.shot_id for clip in timeline.clips]
    assert [clip.duration().value for clip in clips] == [30, 24, 18, 30, 36, 30]
    assert all(clip.duration().rate == 30 for clip in clips)
    assert track.duration() == otio.opentime.RationalTime(168, 30)
    assert loaded.duration().to_frames() == timeline.duration_frames

    assert [marker.name for marker in track.markers] == ["1-1 内 咖啡馆 夜", "1-2 外 街道 夜"]
    assert [marker.marked_range.start_time.value for marker in track.markers] == [0, 72]

    first = clips[0]
    assert first.media_reference.target_url == timeline.clips[0].media.resolve().as_uri()
    assert first.media_reference.available_range.duration.value == 30
    meta = first.metadata["shotcraft"]
    assert meta["shot_id"] == "E01-S01-001" and meta["take"] == 1 and meta["source"] == "picked"
    assert [take["take"] for take in meta["takes"]] == [1, 10]
    assert meta["takes"][0]["seed"] == 1000 and meta["takes"][0]["engine"] == "previz"
    assert clips[1].metadata["shotcraft"]["source"] == "auto"


def test_slate_is_a_generator_clip_without_media(tmp_path: Path, timeline):
    loaded = otio.adapters.read_from_file(str(write_otio(timeline, _media(timeline), tmp_path / "e.otio")))
    slate = list(loaded.find_clips())[2]
    assert isinstance(slate.media_reference, otio.schema.GeneratorReference)
    assert slate.media_reference.generator_kind == "slate"
    assert slate.metadata["shotcraft"]["source"] == "slate"
    assert len(slate.metadata["shotcraft"]["takes"]) == 0
    assert slate.duration().value == 18


def test_still_take_lasts_its_shot(tmp_path: Path, timeline):
    loaded = otio.adapters.read_from_file(str(write_otio(timeline, _media(timeline), tmp_path / "e.otio")))
    still = list(loaded.find_clips())[5]
    assert still.media_reference.available_range.duration.value == 30


def test_media_list_must_match_the_clips(tmp_path: Path, timeline):
    with pytest.raises(AssemblyError, match="one media file per clip"):
        write_otio(timeline, _media(timeline)[:2], tmp_path / "e.otio")
    assert not (tmp_path / "e.otio").exists()
