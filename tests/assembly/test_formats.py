"""Every export format written from a real exported episode and read back with its own library."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest

from shotcraft.assembly import formats
from shotcraft.assembly.staging import final_path
from shotcraft.projects import Project, export_options
from shotcraft.projects.draw import Draw
from shotcraft.shots.errors import AssemblyError, SpecError
from shotcraft.shots.media import ffmpeg_binary
from tests.plugins import added
from tests.projects.conftest import write_script
from tests.studio.conftest import invoke

# two scenes; the last shot gets no take, so the episode has a slate
SCRIPT = """《改稿》

第1集 交片

1-1 日 内 剪辑室
人物：林晚、顾言
△林晚盯着屏幕。
顾言：这一版还是太长。
林晚：那就剪。

1-2 夜 外 天台
人物：顾言
△顾言点了一支烟。
"""
FORMATS = ["otio", "otioz", "fcpxml", "edl", "srt", "sheet"]


def _read(path: Path, **kwargs) -> otio.schema.Timeline:
    return otio.adapters.read_from_file(str(path), **kwargs)


@pytest.fixture(scope="module")
def episode(tmp_path_factory: pytest.TempPathFactory):
    """A previz project whose episode 1 was exported with every format (and its MP4)."""
    base = tmp_path_factory.mktemp("formats")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SHOTCRAFT_PREVIZ_SCALE", "0.1")
        project = Project.create(base / "proj", title="改稿")
        project.import_script(write_script(base, SCRIPT))
        shots = project.shots(episode=1)
        project.draw(Draw(shots=[s.id for s in shots[:-1]], takes=2))
        project.pick(shots[0].id, 2)
        project.auto_pick(episode=1)
        result = project.export(1, export_options(preset="test-small", formats=FORMATS))
        shots = project.shots(episode=1)
        views = {s.id: project.takes(s.id) for s in shots}
        takes = {s.id: {v.take.number: project.take_path(v.take) for v in views[s.id]}
                 for s in shots}
        picked = {s.id: next((v.take.number for v in views[s.id] if v.picked), None)
                  for s in shots}
        project.close()
    return {"root": base / "proj", "result": result, "shots": shots, "takes": takes,
            "picked": picked}


def test_the_registry_lists_every_format_and_an_unknown_one_is_one_sentence() -> None:
    assert formats.names()[:7] == ["otio", "otioz", "fcpxml", "edl", "jianying", "srt", "sheet"]
    assert {f.name for f in formats.formats()} >= {*FORMATS, "jianying"}
    assert not any(f.needs_video for f in formats.formats())
    with pytest.raises(SpecError) as caught:
        formats.get("avid")
    message = str(caught.value)
    assert message.count(".") == 1 and message.endswith(".")
    assert "'avid'" in message and "installed: otio, otioz, fcpxml, edl, jianying, srt, sheet" in message


def test_every_format_lands_beside_the_episode(episode) -> None:
    result = episode["result"]
    assert result.output.is_file()
    names = {name: [p.name for p in paths] for name, paths in result.files.items()}
    assert names == {
        "otio": ["episode-01.otio"], "otioz": ["episode-01.otioz"],
        "fcpxml": ["episode-01.fcpxml"], "edl": ["episode-01.edl"], "srt": ["episode-01.srt"],
        "sheet": ["episode-01-sheet.png", "episode-01-sheet.pdf"],
    }
    assert all(p.parent == result.output.parent and p.is_file()
               for paths in result.files.values() for p in paths)


def _picture(timeline: otio.schema.Timeline) -> otio.schema.Track:
    return next(t for t in timeline.video_tracks() if t.enabled)


def test_otio_has_the_cut_relative_media_alternates_and_scene_markers(episode) -> None:
    path = episode["result"].files["otio"][0]
    shots, takes, picked = episode["shots"], episode["takes"], episode["picked"]
    loaded = _read(path)
    picture = _picture(loaded)
    clips = list(picture)
    assert [c.name for c in clips] == [s.id for s in shots]
    assert [c.duration().to_frames() for c in clips] == [s.duration_frames for s in shots]
    assert [c.source_range.start_time.value for c in clips] == [0] * len(shots)
    for clip, shot in zip(clips[:-1], shots[:-1], strict=True):
        url = clip.media_reference.target_url
        assert url.startswith("../media/takes/")  # relative to exports/, never a cache file
        resolved = (path.parent / otio.url_utils.filepath_from_url(url)).resolve()
        assert resolved == takes[shot.id][picked[shot.id]].resolve() and resolved.is_file()
        assert clip.metadata["shotcraft"]["take"] == picked[shot.id]
    # how each shot is framed: "2S MS", "OTS MCU", "INS CU" or the size
    assert [c.metadata["shotcraft"]["framing"] for c in clips] == [s.framing for s in shots]
    assert "2S MS" in [s.framing for s in shots]
    assert picked[shots[0].id] == 2  # the director's pick, not the top rank
    slate = clips[-1]
    assert isinstance(slate.media_reference, otio.schema.GeneratorReference)

    [alternates] = [t for t in loaded.video_tracks() if not t.enabled]
    assert alternates.name == "Alternates 1"
    for shot, clip in zip(shots[:-1], clips[:-1], strict=True):
        [other] = [n for n in takes[shot.id] if n != picked[shot.id]]
        [alt] = [c for c in alternates.find_clips() if c.name == f"{shot.id} take {other}"]
        assert alt.range_in_parent() == clip.range_in_parent()
        assert alt.metadata["shotcraft"]["take"] == other
        assert (path.parent / alt.media_reference.target_url).resolve() == takes[shot.id][other]

    first_of_scene = [0, len([s for s in shots if s.id.startswith("E01-S01")])]
    starts = [sum(s.duration_frames for s in shots[:i]) for i in first_of_scene]
    assert [m.marked_range.start_time.value for m in picture.markers] == starts
    assert [m.name for m in picture.markers][1].startswith("1-2")
    cues = loaded.metadata["shotcraft"]["subtitles"]
    assert [c["text"] for c in cues] == ["这一版还是太长。", "那就剪。"]


def test_a_moved_project_still_opens_its_otio(episode, tmp_path: Path) -> None:
    moved = tmp_path / "elsewhere" / "renamed"
    shutil.copytree(episode["root"], moved)
    loaded = _read(moved / "exports" / "episode-01.otio")
    urls = [c.media_reference.target_url for c in loaded.find_clips()
            if isinstance(c.media_reference, otio.schema.ExternalReference)]
    assert len(urls) == 2 * (len(episode["shots"]) - 1)  # picks and alternates
    for url in urls:
        resolved = (moved / "exports" / otio.url_utils.filepath_from_url(url)).resolve()
        assert resolved.is_file() and moved in resolved.parents


def test_otioz_carries_the_media_inside(episode, tmp_path: Path) -> None:
    path = episode["result"].files["otioz"][0]
    every_take = {p.name for takes in episode["takes"].values() for p in takes.values()}
    with zipfile.ZipFile(path) as bundle:
        inside = {Path(n).name for n in bundle.namelist() if n.startswith("media/")}
    assert inside == every_take
    unpacked = tmp_path / "unpacked"
    unpacked.mkdir()
    loaded = _read(path, extract_to_directory=str(unpacked))
    clips = list(_picture(loaded))
    assert [c.name for c in clips] == [s.id for s in episode["shots"]]
    for clip in clips[:-1]:
        assert (unpacked / otio.url_utils.filepath_from_url(clip.media_reference.target_url)).is_file()


def test_fcpxml_reads_back_with_alternates_on_disabled_lanes(episode) -> None:
    path = episode["result"].files["fcpxml"][0]
    shots, takes, picked = episode["shots"], episode["takes"], episode["picked"]
    loaded = _read(path)
    picture = next(t for t in loaded.video_tracks() if t.name == "0")
    items = list(picture)
    assert [i.name for i in items] == [s.id for s in shots[:-1]]
    assert [i.duration().to_frames() for i in items] == [s.duration_frames for s in shots[:-1]]
    text = path.read_text(encoding="utf-8")
    # the slate is a gap in the spine (no take to point at); the reader drops a trailing gap
    [(duration, offset)] = re.findall(r'<gap name="Gap" duration="([^"]+)s" offset="([^"]+)s"',
                                      text)[-1:]
    assert Fraction(offset) * 30 == sum(s.duration_frames for s in shots[:-1])
    assert Fraction(duration) * 30 == shots[-1].duration_frames
    for item, shot in zip(items, shots[:-1], strict=True):
        media = Path(otio.url_utils.filepath_from_url(item.media_reference.target_url))
        assert media == takes[shot.id][picked[shot.id]] and media.is_file()
    [lane] = [t for t in loaded.video_tracks() if t.name == "1"]
    for alt in lane.find_clips():
        shot_id, _, number = alt.name.partition(" take ")
        assert alt.range_in_parent() == next(i for i in items if i.name == shot_id).range_in_parent()
        assert Path(otio.url_utils.filepath_from_url(alt.media_reference.target_url)) == \
            takes[shot_id][int(number)]
    assert len(list(lane.find_clips())) == len(shots) - 1
    assert len(re.findall(r'<clip [^>]*lane="1" enabled="0"', text)) == len(shots) - 1
    assert [m.name for m in items[0].markers][0].startswith("1-1")
    [frame] = re.findall(r"<format [^>]*>", text)
    assert 'width="180" height="320"' in frame and "name=" not in frame  # the episode's size


def test_edl_keeps_the_cut_and_names_the_alternates(episode) -> None:
    path = episode["result"].files["edl"][0]
    shots, takes, picked = episode["shots"], episode["takes"], episode["picked"]
    loaded = _read(path, rate=30)
    [track] = loaded.video_tracks()
    clips = list(track.find_clips())
    assert [c.name for c in clips] == [s.id for s in shots]
    assert [c.duration().to_frames() for c in clips] == [s.duration_frames for s in shots]
    for clip, shot in zip(clips[:-1], shots[:-1], strict=True):
        media = Path(otio.url_utils.filepath_from_url(clip.media_reference.target_url))
        assert media == takes[shot.id][picked[shot.id]] and media.is_file()
        assert clip.metadata["cmx_3600"]["reel"] == media.stem[:8].upper()
        [other] = [n for n in takes[shot.id] if n != picked[shot.id]]
        assert list(clip.metadata["cmx_3600"]["comments"]) == [
            f"ALTERNATE: {shot.id} take {other} {takes[shot.id][other].as_uri()}",
            f"SHOT: {shot.framing} · {shot.camera.move.value.replace('_', ' ')}"]
    assert clips[-1].metadata["cmx_3600"]["reel"] == "BL"  # black, under the slate's name
    assert clips[0].markers[0].name.startswith("1-1")


def test_srt_side_file_has_the_episode_s_lines(episode) -> None:
    text = episode["result"].files["srt"][0].read_text(encoding="utf-8")
    assert "这一版还是太长。" in text and "那就剪。" in text


def _music(folder: Path) -> Path:
    path = folder / "bed.wav"
    subprocess.run([ffmpeg_binary(), "-v", "error", "-y", "-f", "lavfi", "-t", "2",
                    "-i", "sine=frequency=220:sample_rate=48000", str(path)], check=True)
    return path


def test_no_video_writes_only_the_side_files_without_an_encode(episode, tmp_path: Path) -> None:
    root = tmp_path / "proj"
    shutil.copytree(episode["root"], root, ignore=shutil.ignore_patterns("exports", "cache"))
    music = _music(tmp_path)
    result = invoke("export", root, "--episode", "1", "--no-video", "--format", "otio",
                    "--format", "fcpxml", "--music", music, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["output"] is None
    assert {k: [Path(p).name for p in v] for k, v in data["files"].items()} == {
        "otio": ["episode-01.otio"], "fcpxml": ["episode-01.fcpxml"]}
    assert sorted(p.name for p in (root / "exports").iterdir()) == [
        "episode-01.fcpxml", "episode-01.otio"]
    assert not list(root.rglob("*.mp4")) or all(
        "takes" in p.parts for p in root.rglob("*.mp4"))  # only the takes themselves
    # nothing encoded: the cache holds only the note of what this export played (for an EDL or
    # FCPXML read back later), no clip
    cached = sorted(p.relative_to(root).as_posix() for p in (root / "cache").rglob("*")
                    if p.is_file()) if (root / "cache").exists() else []
    assert cached == ["cache/exports/episode-01.json"]

    total = sum(s.duration_frames for s in episode["shots"])
    [bed] = [t for t in _read(root / "exports" / "episode-01.otio").audio_tracks()]
    assert bed.name == "Music" and bed.duration().to_frames() == total
    assert [c.duration().to_frames() for c in bed][0] == 60  # 2 s, looped to the end
    assert all((root / "exports" / c.media_reference.target_url).resolve() == music.resolve()
               for c in bed)
    fcp = _read(root / "exports" / "episode-01.fcpxml")
    assert [t.kind for t in fcp.tracks].count(otio.schema.TrackKind.Audio) == 1


def test_bundle_copies_the_takes_beside_the_otio(episode, tmp_path: Path) -> None:
    root = tmp_path / "proj"
    shutil.copytree(episode["root"], root, ignore=shutil.ignore_patterns("exports", "cache"))
    result = invoke("export", root, "--episode", "1", "--no-video", "--format", "otio",
                    "--bundle")
    assert result.exit_code == 0, result.output
    otio_file = root / "exports" / "episode-01.otio"
    media = root / "exports" / "episode-01-media"
    for clip in _read(otio_file).find_clips():
        if isinstance(clip.media_reference, otio.schema.ExternalReference):
            assert clip.media_reference.target_url.startswith("episode-01-media/")
            assert (otio_file.parent / clip.media_reference.target_url).is_file()
    shipped = {p.name for p in media.iterdir()}
    assert shipped == {p.name for t in episode["takes"].values() for p in t.values()}


@pytest.mark.parametrize(("args", "expected"), [
    (["--format", "avid"], "unknown export format 'avid'; installed: otio, otioz, fcpxml, edl"),
    (["--format", "edl", "--bundle"],
     "--bundle is an option of otio and jianying; add --format otio or --format jianying."),
    (["--format", "otio", "--jianying-drafts", "x"],
     "--jianying-drafts is an option of jianying; add --format jianying."),
    (["--no-video"], "name at least one with --format"),
])
def test_bad_format_requests_are_one_sentence_and_write_nothing(
    episode, tmp_path: Path, args: list[str], expected: str
) -> None:
    root = tmp_path / "proj"
    shutil.copytree(episode["root"], root, ignore=shutil.ignore_patterns("exports", "cache"))
    result = invoke("export", root, "--episode", "1", "--preset", "test-small", *args)
    assert result.exit_code == 1
    assert expected in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (root / "exports").exists() or not os.listdir(root / "exports")


class PosterFormat(formats.ExportFormat):
    """A format made from the encoded MP4 (a poster frame, say)."""

    name = "poster"
    suffix = "-poster.txt"
    description = "poster frame"
    needs_video = True

    def write(self, timeline, path, options):  # noqa: ANN001, ANN201
        assert Path(options["video"]).is_file()  # the MP4 to read, where it is written now
        # a side file names the MP4 where it will be once the export is moved into place
        path.write_text(str(final_path(options["video"])), encoding="utf-8")
        return [path]


@pytest.fixture
def poster_format() -> Iterator[None]:
    """The poster format, installed for one test as a plugin's entry point would be."""
    with added(formats.registry.FORMATS, "poster", PosterFormat):
        yield


@pytest.mark.usefixtures("poster_format")
def test_a_format_made_from_the_mp4_gets_it_and_is_refused_without_it(
    episode, tmp_path: Path
) -> None:
    root = tmp_path / "proj"
    shutil.copytree(episode["root"], root, ignore=shutil.ignore_patterns("exports"))
    project = Project.open(root)
    try:
        with pytest.raises(AssemblyError, match="the poster format is made from the MP4"):
            project.export(1, export_options(preset="test-small", formats=["poster"],
                                             video=False))
        assert not (root / "exports").exists() or not any((root / "exports").iterdir())
        result = project.export(1, export_options(preset="test-small", subtitles="none",
                                                  formats=["poster"]))
    finally:
        project.close()
    [poster] = result.files["poster"]
    assert poster.read_text(encoding="utf-8") == str(result.output) and result.output.is_file()


def test_jianying_draft_from_the_episode_reads_back_with_its_loader(episode, tmp_path: Path) -> None:
    """`--format jianying` through the CLI: the draft pyJianYingDraft loads holds the cut (the
    picked takes in order, a slate's gap kept), the dialogue cues and the music bed."""
    import pyJianYingDraft as jy

    root = tmp_path / "proj"
    shutil.copytree(episode["root"], root, ignore=shutil.ignore_patterns("exports", "cache"))
    music = _music(tmp_path)
    drafts = tmp_path / "JianyingPro Drafts"
    result = invoke("export", root, "--episode", "1", "--no-video", "--format", "jianying",
                    "--format", "srt", "--music", music, "--jianying-drafts", drafts, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    [draft] = [Path(p) for p in data["files"]["jianying"]]
    assert draft == drafts / "episode-01-jianying" and draft.is_dir()
    assert not (root / "exports" / "episode-01-jianying").exists()  # 剪映's folder, as asked

    script = jy.DraftFolder(str(drafts)).load_template(draft.name)
    fps = script.fps
    [video] = [t for t in script.imported_tracks if t.name == "video"]
    shots, picked, takes = episode["shots"], episode["picked"], episode["takes"]
    starts = [sum(s.duration_frames for s in shots[:i]) for i in range(len(shots))]
    with_take = [(s, start) for s, start in zip(shots, starts, strict=True) if picked[s.id]]
    assert len(video.segments) == len(with_take) == len(shots) - 1  # the slate is a gap
    us = [round(f * 1_000_000 / fps) for f in range(sum(s.duration_frames for s in shots) + 1)]
    assert [(seg.target_timerange.start, seg.target_timerange.end) for seg in video.segments] == [
        (us[start], us[start + shot.duration_frames]) for shot, start in with_take]
    materials = {m["id"]: m for m in script.imported_materials["videos"]}
    linked = [Path(materials[seg.material_id]["path"]) for seg in video.segments]
    assert linked == [(root / takes[s.id][picked[s.id]].relative_to(episode["root"])).resolve()
                      for s, _ in with_take]  # the copy's own takes
    assert all(p.is_file() for p in linked)

    tracks = {t["name"]: t for t in script.content["tracks"]}
    texts = {m["id"]: json.loads(m["content"])["text"] for m in script.imported_materials["texts"]}
    shown = [texts[s["material_id"]] for s in tracks["subtitles"]["segments"]]
    srt = (root / "exports" / "episode-01.srt").read_text(encoding="utf-8")
    assert shown and all(line in srt for line in shown)
    assert any("这一版还是太长" in line for line in shown)
    audios = {m["id"]: m for m in script.imported_materials["audios"]}
    music_segments = tracks["music"]["segments"]
    assert {Path(audios[s["material_id"]]["path"]) for s in music_segments} == {music.resolve()}
    assert sum(s["target_timerange"]["duration"] for s in music_segments) == us[-1]
