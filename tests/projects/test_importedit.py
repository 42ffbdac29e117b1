"""Reading the edit back: an exported episode changed in an editor (with the OTIO API, as an
editor would), `shotcraft import-edit`, and the next export showing the change."""

from __future__ import annotations

import json
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import numpy as np
import opentimelineio as otio
import pytest

from shotcraft.projects import Project, export_options
from shotcraft.projects.draw import Draw
from shotcraft.projects.export import build_timeline
from shotcraft.shots.media import probe, read_frames
from tests.projects.conftest import write_script
from tests.studio.conftest import invoke

OPTIONS = {"preset": "test-small", "subtitles": "none", "otio": True}
HEAD = 12  # frames an editor trims off a shot's head: enough for previz's smooth moves to show


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Episode 1 drawn in previz (two takes for its first two shots), auto-picked, exported
    with --otio."""
    base = tmp_path_factory.mktemp("importedit")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SHOTCRAFT_PREVIZ_SCALE", "0.1")
        project = Project.create(base / "proj")
        project.import_script(write_script(base))
        project.draw(Draw(episode=1, takes=1))
        project.draw(Draw(shots=[s.id for s in project.shots(episode=1)[:2]], takes=1))  # alternates
        project.auto_pick(episode=1)
        project.export(1, export_options(**OPTIONS))
        project.close()
    return base / "proj"


@pytest.fixture
def folder(exported: Path, tmp_path: Path) -> Path:
    """A copy of the exported project (its OTIO's relative paths now name the copy's media)."""
    copy = tmp_path / "proj"
    shutil.copytree(exported, copy)
    return copy


def read_edit(folder: Path) -> otio.schema.Timeline:
    """The exported OTIO as an editor holds it once opened: its media paths (relative to the
    file) resolved to where the files are."""
    path = folder / "exports" / "episode-01.otio"
    timeline = otio.adapters.read_from_file(str(path))
    for clip in timeline.find_clips():
        reference = clip.media_reference
        if isinstance(reference, otio.schema.ExternalReference):
            media = path.parent / otio.url_utils.filepath_from_url(reference.target_url)
            reference.target_url = media.resolve().as_uri()
    return timeline


def main_clips(timeline: otio.schema.Timeline) -> list[otio.schema.Clip]:
    return list(timeline.video_tracks()[0].find_clips())


def switch_to_alternate(clip: otio.schema.Clip) -> int:
    """Point the clip at the first alternate take's file, as an editor swapping a take does."""
    alternate = clip.metadata["shotcraft"]["takes"][0]
    # the same file in this copy of the project: media/takes/<aa>/<hash>.<ext>
    takes = Path(otio.url_utils.filepath_from_url(clip.media_reference.target_url)).parents[1]
    named = Path(alternate["path"])
    clip.media_reference = otio.schema.ExternalReference(
        target_url=(takes / named.parent.name / named.name).as_uri(),
        available_range=clip.media_reference.available_range,
    )
    return int(alternate["take"])


def trim(clip: otio.schema.Clip, head: int, tail: int) -> None:
    start, duration = clip.source_range.start_time, clip.source_range.duration
    clip.source_range = otio.opentime.TimeRange(
        otio.opentime.RationalTime(start.value + head, start.rate),
        otio.opentime.RationalTime(duration.value - head - tail, duration.rate),
    )


def reorder(timeline: otio.schema.Timeline, order: list[int]) -> None:
    """Put the main track's clips in `order` (indices left out are cut from the edit)."""
    track = timeline.video_tracks()[0]
    items = list(track)
    while len(track):
        del track[0]
    for index in order:
        track.append(items[index])


def write_edit(timeline: otio.schema.Timeline, path: Path, adapter: str | None = None) -> Path:
    otio.adapters.write_to_file(timeline, str(path), adapter_name=adapter)
    return path


def snapshot(folder: Path) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, to show what an import changed and nothing else."""
    with closing(sqlite3.connect(folder / "shotcraft.db")) as conn:
        conn.row_factory = sqlite3.Row
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: [dict(r) for r in conn.execute(f'SELECT * FROM "{t}" ORDER BY rowid')]
                for t in sorted(tables)}


def differences(before: dict, after: dict) -> set[tuple[str, str, str]]:
    """(table, row key, column) of every value that differs."""
    changed = set()
    for table, rows in before.items():
        assert len(rows) == len(after[table]), table
        for old, new in zip(rows, after[table], strict=True):
            key = str(old.get("id") or old.get("name") or old)
            changed |= {(table, key, column) for column in old if old[column] != new[column]}
    return changed


def frames_of(path: Path) -> np.ndarray:
    return read_frames(path, width=18, height=32, gray=True).astype(int)


def distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).mean())


def test_an_alternate_take_and_a_trim_from_the_editor_reach_the_next_export(folder: Path) -> None:
    episode_file = folder / "exports" / "episode-01.mp4"
    old_frames = frames_of(episode_file)
    project = Project.open(folder)
    starts = np.cumsum([0] + [c.duration_frames for c in build_timeline(project.store, 1).clips])
    project.close()
    edit = read_edit(folder)
    clips = main_clips(edit)
    # trim the shot that moves most over its first frames, so the trim shows in a frame
    moving = max(range(1, len(clips)), key=lambda i: distance(old_frames[starts[i]],
                                                              old_frames[starts[i] + HEAD]))
    assert distance(old_frames[starts[moving]], old_frames[starts[moving] + HEAD]) > 1
    switched, trimmed = clips[0], clips[moving]
    old_take = switched.metadata["shotcraft"]["take"]
    new_take = switch_to_alternate(switched)
    trimmed_frames = int(trimmed.source_range.duration.value)
    trim(trimmed, head=HEAD, tail=4)
    path = write_edit(edit, folder.parent / "edited.otio")
    db_before = snapshot(folder)

    dry = invoke("import-edit", folder, path, "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    listed = json.loads(dry.stdout)
    assert listed["applied"] is False and listed["reported"] == []
    assert [c["sentence"] for c in listed["changes"]] == [
        f"{switched.name}: pick take {new_take} (was take {old_take}).",
        f"{trimmed.name}: trim to frames {HEAD}–{trimmed_frames - 4} (was 0–{trimmed_frames}).",
    ]
    assert snapshot(folder) == db_before  # a dry run changes nothing

    applied = invoke("import-edit", folder, path)
    assert applied.exit_code == 0, applied.output
    assert "applied 2 changes to episode 1." in applied.stdout
    assert differences(db_before, snapshot(folder)) == {
        ("shot", switched.name, "picked_take"), ("shot", switched.name, "picked_by"),
        ("shot", trimmed.name, "trim_in"), ("shot", trimmed.name, "trim_out"),
    }

    listing = json.loads(invoke("shots", folder, "--episode", 1, "--json").stdout)
    shots = {s["id"]: s for sc in listing["episodes"][0]["scenes"] for s in sc["shots"]}
    assert shots[trimmed.name]["trim"] == {"in": HEAD, "out": trimmed_frames - 4}
    assert shots[switched.name]["picked_take"] == new_take and shots[switched.name]["trim"] is None
    assert shots[switched.name]["picked_by"] == "import-edit"  # the editor's, never learned from

    result = invoke("export", folder, "--episode", 1, "--preset", "test-small", "--subtitles", "none")
    assert result.exit_code == 0, result.output
    new_frames = frames_of(episode_file)
    assert len(new_frames) == len(old_frames) - HEAD - 4 == probe(episode_file).frames
    # the switched shot (first on the timeline) now shows the alternate take, not the old one
    project = Project.open(folder)
    takes = {v.take.number: project.take_path(v.take) for v in project.takes(switched.name)}
    project.close()
    shown = new_frames[10]
    assert distance(shown, frames_of(takes[new_take])[10]) * 2 < distance(
        shown, frames_of(takes[old_take])[10])
    assert distance(shown, old_frames[10]) > 2
    # the trimmed shot starts where the old export showed its frame HEAD and ends 4 early
    at, end = starts[moving], starts[moving] + trimmed_frames - HEAD - 4
    assert distance(new_frames[at], old_frames[at + HEAD]) < 1 < distance(new_frames[at], old_frames[at])
    assert distance(new_frames[end - 1], old_frames[end + HEAD - 1]) < 1
    assert distance(new_frames[end], old_frames[end + HEAD + 4]) < 1  # the next shot follows at once

    again = invoke("import-edit", folder, path)  # the same edit once more: nothing left to do
    assert again.exit_code == 0 and "changes no pick or trim" in again.stdout


def test_removed_and_swapped_shots_are_reported_and_nothing_is_applied(folder: Path) -> None:
    edit = read_edit(folder)
    names = [c.name for c in main_clips(edit)]
    reorder(edit, [0, 1, 2, 5, 4, *range(6, len(names))])  # shot 3 cut out, 4 and 5 swapped
    path = write_edit(edit, folder.parent / "moved.otio")
    db_before = snapshot(folder)

    result = invoke("import-edit", folder, path, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["changes"] == [] and report["applied"] is False
    sentences = [r["sentence"] for r in report["reported"]]
    assert f"{names[3]} was removed in the edit; not applied." in sentences
    assert f"{names[5]} and {names[4]} were swapped in the edit; not applied." in sentences \
        or f"{names[4]} and {names[5]} were swapped in the edit; not applied." in sentences
    assert len(sentences) == 2
    assert snapshot(folder) == db_before


def test_a_shot_moved_across_several_is_reported_as_moved(folder: Path) -> None:
    edit = read_edit(folder)
    names = [c.name for c in main_clips(edit)]
    last = len(names) - 1
    reorder(edit, [last, *range(last)])
    result = invoke("import-edit", folder, write_edit(edit, folder.parent / "m.otio"), "--json")
    assert result.exit_code == 0, result.output
    assert [r["sentence"] for r in json.loads(result.stdout)["reported"]] == [
        f"{names[-1]} was moved (first) in the edit; not applied."]


def test_a_take_of_another_shot_and_unknown_media_are_reported_not_applied(folder: Path) -> None:
    edit = read_edit(folder)
    clips = main_clips(edit)
    clips[0].media_reference = clips[1].media_reference.clone()
    clips[2].media_reference = otio.schema.ExternalReference(target_url="file:///elsewhere/x.mov")
    db_before = snapshot(folder)
    result = invoke("import-edit", folder, write_edit(edit, folder.parent / "o.otio"), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    take = clips[1].metadata["shotcraft"]["take"]
    assert [r["sentence"] for r in report["reported"]] == [
        f"{clips[0].name}: the edit plays take {take} of {clips[1].name} there; not applied.",
        f"clip 3 ({clips[2].name}) plays x.mov, which is not a take of this project; not applied.",
    ]
    assert report["changes"] == [] and snapshot(folder) == db_before


@pytest.mark.parametrize(("adapter", "suffix"), [("cmx_3600", "edl"), ("fcpx_xml", "fcpxml"), ("otioz", "otioz")])
def test_an_edl_fcpxml_or_otioz_edit_is_read_back(folder: Path, adapter: str, suffix: str) -> None:
    edit = read_edit(folder)
    for track in edit.tracks:
        track.markers.clear()  # an EDL keeps none; they are not what this test reads
    clips = main_clips(edit)
    old_take = clips[1].metadata["shotcraft"]["take"]
    new_take = switch_to_alternate(clips[1])
    frames = int(clips[3].source_range.duration.value)
    trim(clips[3], head=3, tail=0)
    for clip in clips:
        clip.metadata.pop("shotcraft")  # neither format carries it
    path = write_edit(edit, folder.parent / f"edit.{suffix}", adapter)

    result = invoke("import-edit", folder, path, "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [c["sentence"] for c in report["changes"]] == [
        f"{clips[1].name}: pick take {new_take} (was take {old_take}).",
        f"{clips[3].name}: trim to frames 3–{frames} (was 0–{frames}).",
    ]
    assert report["reported"] == [] and report["applied"] is False


def test_a_foreign_timeline_is_refused_in_one_sentence(folder: Path, tmp_path: Path) -> None:
    timeline = otio.schema.Timeline(name="someone else's cut")
    track = otio.schema.Track(kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    track.append(otio.schema.Clip(
        name="A001_C002", media_reference=otio.schema.ExternalReference(target_url="file:///x/a.mov"),
        source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(0, 24),
                                             otio.opentime.RationalTime(48, 24)),
    ))
    path = write_edit(timeline, tmp_path / "foreign.otio")
    db_before = snapshot(folder)
    result = invoke("import-edit", folder, path)
    assert result.exit_code == 1
    assert result.stderr.strip() == (f"error: {path} is not an edit of this project: none of its 1 "
                                     "clips is a shot or take of it.")
    assert snapshot(folder) == db_before


@pytest.mark.parametrize(("name", "content", "says"), [
    ("broken.otio", '{"OTIO_SCHEMA": "Timeline.1", "tracks": ', "is not a readable OTIO timeline ("),
    ("broken.fcpxml", "<fcpxml version='1.8'><resources>", "is not a readable FCPXML timeline ("),
    ("notes.txt", "just words", "is not a timeline shotcraft reads back: use an .otio, .otioz"),
    ("missing.edl", None, "does not exist."),
])
def test_a_malformed_or_missing_file_is_one_sentence_naming_it(
    folder: Path, tmp_path: Path, name: str, content: str | None, says: str,
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = invoke("import-edit", folder, path)
    assert result.exit_code == 1
    line = result.stderr.strip()
    assert line.startswith(f"error: {path} ") and says in line and "\n" not in line


def test_a_trim_past_a_shorter_take_is_clamped_with_a_warning(folder: Path) -> None:
    project = Project.open(folder)
    shot = project.shots(episode=1)[0]
    with project.store.db.write() as session:
        from shotcraft.projects.db import ShotRow

        row = session.get(ShotRow, shot.id)
        row.trim_in, row.trim_out = shot.duration_frames - 10, shot.duration_frames + 30
        session.add(row)
    warnings: list[str] = []
    clip = build_timeline(project.store, 1, warnings=warnings).clips[0]
    project.close()
    assert (clip.source_start_frames, clip.duration_frames) == (shot.duration_frames - 10, 10)
    assert warnings == [
        f"{shot.id}: the trim to frames {shot.duration_frames - 10}–{shot.duration_frames + 30} runs "
        f"past take {clip.take} ({shot.duration_frames} frames), so it plays frames "
        f"{shot.duration_frames - 10}–{shot.duration_frames}."
    ]


def test_changes_are_applied_all_or_none(folder: Path) -> None:
    from shotcraft.projects.db import ShotRow
    from shotcraft.projects.importedit import _apply

    edit = read_edit(folder)
    clips = main_clips(edit)
    switch_to_alternate(clips[0])
    trim(clips[2], head=2, tail=0)
    project = Project.open(folder)
    planned = project.import_edit(write_edit(edit, folder.parent / "e.otio"), dry_run=True)
    assert [c.what for c in planned.changes] == ["pick", "trim"]
    with project.store.db.write() as session:  # someone trims the second shot meanwhile
        row = session.get(ShotRow, clips[2].name)
        row.trim_in, row.trim_out = 1, 20
        session.add(row)
    db_before = snapshot(folder)
    with pytest.raises(Exception, match=f"the trim of {clips[2].name} changed while the edit was read"):
        _apply(project.store, planned)
    project.close()
    assert snapshot(folder) == db_before  # the pick before it was rolled back too
