"""Edits from editors' real habits and from older exports: nested stacks are read as they play,
impossible times and oversized bundles are refused in one sentence, and an edit of an older
export never reverts a pick made since."""

from __future__ import annotations

import copy
import json
import zipfile
from pathlib import Path

import opentimelineio as otio
import pytest

from shotcraft.projects import Project
from tests.projects import test_importedit as exported_edits
from tests.projects.test_importedit import main_clips, read_edit, switch_to_alternate, write_edit
from tests.studio.conftest import invoke

# the exported project (episode 1 drawn, two takes for its first two shots) and a copy per test
exported = exported_edits.exported
folder = exported_edits.folder


def pick_of(folder: Path, shot_id: str) -> int | None:
    project = Project.open(folder)
    try:
        return project.shot(shot_id).picked_take
    finally:
        project.close()


def test_a_switched_take_inside_a_nested_stack_is_read_as_the_editor_plays_it(folder: Path) -> None:
    timeline = read_edit(folder)
    track = timeline.video_tracks()[0]
    first = main_clips(timeline)[0]
    shot_id = first.metadata["shotcraft"]["shot_id"]
    new_take = switch_to_alternate(first)
    # what an editor makes of a compound clip: a stack of tracks in place of the clip, the
    # upper track (the switched take) over the lower one (the take exported)
    compound = otio.schema.Stack(name="Compound Clip 1")
    lower, upper = otio.schema.Track(name="V1"), otio.schema.Track(name="V2")
    lower.append(copy.deepcopy(first))
    upper.append(copy.deepcopy(first))
    lower[0].media_reference = copy.deepcopy(main_clips(read_edit(folder))[0].media_reference)
    compound.append(lower)
    compound.append(upper)
    track[0] = compound
    # and the whole picture wrapped in one more stack, as some editors write their timelines
    picture = timeline.tracks[0]
    timeline.tracks.remove(picture)
    outer = otio.schema.Stack(name="Timeline 1")
    outer.append(picture)
    timeline.tracks.insert(0, outer)
    path = write_edit(timeline, folder / "nested.otio")
    result = invoke("import-edit", folder, path)
    assert result.exit_code == 0, result.stderr
    assert f"{shot_id}: pick take {new_take}" in result.stdout
    assert pick_of(folder, shot_id) == new_take


def test_a_time_without_a_finite_rate_is_refused_in_one_sentence(folder: Path) -> None:
    timeline = read_edit(folder)
    clip = main_clips(timeline)[1]
    nan = float("nan")
    clip.source_range = otio.opentime.TimeRange(otio.opentime.RationalTime(0, nan),
                                                otio.opentime.RationalTime(30, nan))
    path = write_edit(timeline, folder / "nan.otio")
    before = json.dumps([pick_of(folder, s) for s in ("E01-S01-001", "E01-S01-002")])
    result = invoke("import-edit", folder, path)
    assert result.exit_code == 1
    said = " ".join(result.stderr.split())
    assert said.startswith(f"error: {path} is not a readable edit: clip 2 (")
    assert "not a finite time and rate" in said and "bug" not in said
    assert json.dumps([pick_of(folder, s) for s in ("E01-S01-001", "E01-S01-002")]) == before


def test_a_huge_time_is_refused_before_it_reaches_the_database(folder: Path) -> None:
    timeline = read_edit(folder)
    clip = main_clips(timeline)[0]
    clip.source_range = otio.opentime.TimeRange(otio.opentime.RationalTime(1e30, 30),
                                                otio.opentime.RationalTime(30, 30))
    result = invoke("import-edit", folder, write_edit(timeline, folder / "far.otio"))
    assert result.exit_code == 1
    assert "beyond any take" in result.stderr and "bug" not in result.stderr


def test_a_bundle_that_unpacks_to_a_huge_timeline_is_refused_unread(folder: Path) -> None:
    path = folder / "bomb.otioz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("version.txt", "1.0.0")
        with bundle.open("content.otio", "w", force_zip64=True) as content:
            content.write(b'{"OTIO_SCHEMA": "Timeline.1", "name": "x"')
            block = b" " * (1 << 20)
            for _ in range(40):  # 40 MB of white space: a few hundred KB packed
                content.write(block)
            content.write(b"}")
    assert path.stat().st_size < 1_000_000
    result = invoke("import-edit", folder, path)
    assert result.exit_code == 1
    said = " ".join(result.stderr.split())
    assert "unpacks to 42 MB" in said and "refused" in said


def test_an_edit_of_an_older_export_keeps_the_picks_made_since(folder: Path) -> None:
    timeline = read_edit(folder)  # exported when E01-S01-001 and -002 played their auto picks
    clips = main_clips(timeline)
    first, second = (c.metadata["shotcraft"]["shot_id"] for c in clips[:2])
    exported_take = clips[0].metadata["shotcraft"]["take"]
    editor_take = switch_to_alternate(clips[1])  # the editor switched the second shot only
    path = write_edit(timeline, folder / "old-edit.otio")
    later = next(n for n in (1, 2) if n != exported_take)
    assert invoke("pick", folder, first, later).exit_code == 0  # picked after the export
    result = invoke("import-edit", folder, path)
    assert result.exit_code == 0, result.stderr
    assert pick_of(folder, first) == later  # not reverted to what the old export played
    assert pick_of(folder, second) == editor_take  # the editor's own change still lands
    said = " ".join(result.stderr.split())
    assert f"was exported before later picks: 1 shot ({first})" in said
    assert f"{first}: take {later} was picked after this edit was exported" in result.stdout
    forced = invoke("import-edit", folder, path, "--force")
    assert forced.exit_code == 0, forced.stderr
    assert pick_of(folder, first) == exported_take


@pytest.mark.parametrize(("adapter", "suffix"), [("cmx_3600", "edl"), ("fcpx_xml", "fcpxml")])
def test_an_edl_or_fcpxml_edit_of_an_older_export_keeps_the_picks_made_since(
        folder: Path, adapter: str, suffix: str) -> None:
    """Neither format carries the takes the export played: the project's record of the
    episode's last export tells a pick made since from the editor's own switch."""
    timeline = read_edit(folder)
    for track in timeline.tracks:
        track.markers.clear()  # an EDL keeps none
    clips = main_clips(timeline)
    first, second = (c.metadata["shotcraft"]["shot_id"] for c in clips[:2])
    exported_take = clips[0].metadata["shotcraft"]["take"]
    editor_take = switch_to_alternate(clips[1])  # the editor switched the second shot only
    for clip in clips:
        clip.metadata.pop("shotcraft")
    path = write_edit(timeline, folder / f"old-edit.{suffix}", adapter)
    later = next(n for n in (1, 2) if n != exported_take)
    assert invoke("pick", folder, first, later).exit_code == 0  # picked after the export
    result = invoke("import-edit", folder, path)
    assert result.exit_code == 0, result.stderr
    assert pick_of(folder, first) == later  # not reverted to what the old export played
    assert pick_of(folder, second) == editor_take  # the editor's own change still lands
    assert f"{first}: take {later} was picked after episode 1's last export" in result.stdout
    again = invoke("import-edit", folder, path)  # read twice: the same newer pick is kept,
    assert again.exit_code == 0  # and the editor's take, now picked, is no longer news
    assert f"1 shot ({first})" in " ".join(again.stderr.split())
    assert (pick_of(folder, first), pick_of(folder, second)) == (later, editor_take)
    forced = invoke("import-edit", folder, path, "--force")
    assert forced.exit_code == 0, forced.stderr
    assert pick_of(folder, first) == exported_take
