"""A take shorter than its shot (kept when `fit` lengthened the shot) plays to its end and its
last frame holds for the rest of the shot — in the MP4 and in every side file alike, never a
clip asking its file for frames it does not have (the 剪映 export used to fail on exactly this).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest
from PIL import Image

from shotcraft.projects import Project, export_options
from shotcraft.projects.db import ShotRow
from shotcraft.projects.draw import Draw
from shotcraft.shots.media import probe, read_frames
from tests.projects.conftest import write_script

SCRIPT = """《加长》

第1集 加长

1-1 日 内 办公室
人物：林晚、顾言
△林晚推门走进办公室。
顾言：你终于来了。
"""
LONGER = 30  # frames the shot grows past its take (a second at 30 fps)


@pytest.fixture(scope="module")
def held(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A project whose dialogue shot is LONGER frames longer than its picked take, exported with
    every format, the MP4 and a dialogue voice; what it needs to judge each format."""
    base = tmp_path_factory.mktemp("holds")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SHOTCRAFT_PREVIZ_SCALE", "0.1")
        project = Project.create(base / "proj", title="加长")
        project.import_script(write_script(base, SCRIPT))
        shots = project.shots(episode=1)
        project.draw(Draw(episode=1, takes=1))
        project.auto_pick(episode=1)
        shot = shots[-1]  # 顾言's line
        take = project.takes(shot.id)[0].take
        with project.store.db.write() as session:  # what fit does: the shot grows, the take stays
            row = session.get(ShotRow, shot.id)
            row.duration_frames = shot.duration_frames + LONGER
            session.add(row)
        result = project.export(1, export_options(
            preset="test-small", voice="bible", formats=["otio", "otioz", "fcpxml", "edl",
                                                          "jianying", "srt", "sheet"]))
        info = {
            "root": project.root, "result": result, "shot": shot.id, "take": take,
            "take_path": project.take_path(take), "take_frames": take.duration_frames,
            "shot_frames": shot.duration_frames + LONGER,
            "start": sum(s.duration_frames for s in shots[:-1]), "fps": project.fps,
        }
        project.close()
    return info


def _last_frame(path: Path) -> np.ndarray:
    return read_frames(path, width=90, height=160)[-1].astype(int)


def _picture(timeline: otio.schema.Timeline) -> list[otio.schema.Clip]:
    """The clips of the main picture track (the first enabled video track)."""
    track = next(t for t in timeline.tracks
                 if t.kind == otio.schema.TrackKind.Video and t.enabled)
    return list(track.find_clips(shallow_search=True))


def _check_picture(clips: list[otio.schema.Clip], held: dict) -> None:
    """The shot's take plays within its length, then a still of its last frame: the shot's
    length in all."""
    names = [c.name for c in clips]
    at = names.index(held["shot"])
    take, hold = clips[at], clips[at + 1]
    assert hold.name == f"{held['shot']} hold"
    played = take.source_range.duration.to_frames()
    assert take.source_range.start_time.to_frames() + played <= held["take_frames"]
    assert played == held["take_frames"]
    assert played + hold.source_range.duration.to_frames() == held["shot_frames"]
    url = hold.media_reference.target_url
    assert url.endswith("-last.png") and Path(held["take_path"]).stem in url


def test_the_mp4_holds_the_take_s_last_frame_to_the_shot_s_end(held: dict) -> None:
    frames = read_frames(held["result"].output, width=90, height=160).astype(int)
    end_of_take = held["start"] + held["take_frames"]
    assert len(frames) == held["start"] + held["shot_frames"]
    last = frames[end_of_take - 1]
    assert all(np.abs(frames[i] - last).mean() < 2 for i in range(end_of_take, len(frames)))
    assert np.abs(frames[end_of_take - 1] - frames[end_of_take - 8]).mean() > 0  # it moved before


def test_the_otio_plays_the_take_then_holds_a_still_of_its_last_frame(held: dict) -> None:
    [path] = held["result"].files["otio"]
    clips = _picture(otio.adapters.read_from_file(str(path)))
    _check_picture(clips, held)
    hold = clips[[c.name for c in clips].index(held["shot"]) + 1]
    assert hold.metadata["shotcraft"]["hold"] is True
    still = (path.parent / otio.url_utils.filepath_from_url(hold.media_reference.target_url))
    shown = np.asarray(Image.open(still.resolve()).convert("RGB").resize((90, 160))).astype(int)
    assert np.abs(shown - _last_frame(held["take_path"])).mean() < 3  # the take's last frame


def test_the_otioz_bundle_carries_the_held_still(held: dict) -> None:
    [path] = held["result"].files["otioz"]
    _check_picture(_picture(otio.adapters.read_from_file(str(path))), held)
    with zipfile.ZipFile(path) as bundle:
        assert any(name.endswith("-last.png") for name in bundle.namelist())


def test_the_fcpxml_plays_the_take_then_the_held_still(held: dict) -> None:
    [path] = held["result"].files["fcpxml"]
    _check_picture(_picture(otio.adapters.read_from_file(str(path), adapter_name="fcpx_xml")), held)
    assert "-last.png" in path.read_text(encoding="utf-8")


def test_the_edl_has_a_hold_event_after_the_take(held: dict) -> None:
    [path] = held["result"].files["edl"]
    clips = _picture(otio.adapters.read_from_file(str(path), adapter_name="cmx_3600",
                                                  rate=held["fps"]))
    _check_picture(clips, held)
    assert "HOLD" in path.read_text(encoding="utf-8")


def test_the_jianying_draft_plays_the_take_then_a_photo_of_its_last_frame(held: dict) -> None:
    [folder] = held["result"].files["jianying"]
    content = json.loads((folder / "draft_content.json").read_text(encoding="utf-8"))
    videos = {m["id"]: m for m in content["materials"]["videos"]}
    track = next(t for t in content["tracks"] if t["type"] == "video")
    us = 1_000_000 / held["fps"]
    for segment in track["segments"]:  # no segment asks its file for more than it has
        material = videos[segment["material_id"]]
        source = segment["source_timerange"]
        assert source["start"] + source["duration"] <= material["duration"] + us
    named = [videos[s["material_id"]]["material_name"] for s in track["segments"]]
    take_at = named.index(f"{held['shot']} take {held['take'].number}")
    hold = track["segments"][take_at + 1]
    assert named[take_at + 1] == f"{held['shot']} hold"
    assert videos[hold["material_id"]]["type"] == "photo"
    played = track["segments"][take_at]["target_timerange"]["duration"]
    total = played + hold["target_timerange"]["duration"]
    assert abs(total - held["shot_frames"] * us) <= us
    # its subtitles sit where the burned ones would: above 抖音's description (transform_y
    # counts half heights up from the centre; the old place, 87 % down, was -0.74)
    texts = next(t for t in content["tracks"] if t["type"] == "text")["segments"]
    assert texts and all(-0.55 < seg["clip"]["transform"]["y"] < -0.4 for seg in texts)


def test_the_srt_and_the_sheet_are_written_with_the_longer_shot(held: dict) -> None:
    [srt] = held["result"].files["srt"]
    assert "你终于来了" in srt.read_text(encoding="utf-8")
    [png, *_] = held["result"].files["sheet"]
    assert probe(png, count_frames=False).is_image


def test_reading_the_exported_edit_back_changes_nothing(held: dict) -> None:
    """The hold is part of its shot, not a trim or a clip of its own."""
    from shotcraft.projects.importedit import import_edit

    project = Project.open(held["root"])
    try:
        for name in ("otio", "fcpxml", "edl"):
            [path] = held["result"].files[name]
            result = import_edit(project.store, path, dry_run=True)
            assert result.changes == [] and result.reported == [], (name, result)
    finally:
        project.close()
