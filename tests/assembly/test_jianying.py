"""剪映 drafts: written from real media, read back with pyJianYingDraft's own loader."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pyJianYingDraft as jy
import pytest

from shotcraft.assembly.jianying import (
    MARKER,
    DraftAudioClip,
    DraftAudioTrack,
    DraftText,
    DraftVideoClip,
    JianyingDraft,
    frames_to_us,
    write_jianying_draft,
)
from shotcraft.shots.errors import AssemblyError
from shotcraft.shots.files import current_umask
from shotcraft.shots.media import ffmpeg_binary
from tests.assembly.extras_fixtures import tiny_video

FPS = 30
HOSTILE = '他说："别走！" [VO] {\\an8}<i>&amp; 100% 🌧️ $(rm -rf ~)'
CJK = "你终于来了。\n我等了你整整三个小时。"


def _tone(path: Path, samples: int, frequency: int) -> Path:
    """A 48 kHz WAV of exactly `samples` samples."""
    subprocess.run([ffmpeg_binary(), "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"sine=frequency={frequency}:sample_rate=48000", "-af",
                    f"atrim=end_sample={samples}", str(path)], check=True, capture_output=True)
    return path


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("jianying-media")
    return {
        "a": tiny_video(folder / "take-a.mp4", frames=30, hue=0),
        "b": tiny_video(folder / "take-b.mp4", frames=25, hue=120),  # trimmed to its last frame
        "c": tiny_video(folder / "take-c.mp4", frames=30, hue=240),
        # 833.5 ms of speech, which MediaInfo reports as 833 ms: shorter than the 25 frames
        # (833.3 ms) the line is given on the timeline, though the file does cover them
        "line": _tone(folder / "line-1.wav", 40_007, 440),
        "music": _tone(folder / "theme.wav", 3 * 48_000, 220),
    }


def _spec(media: dict[str, Path], **changes) -> JianyingDraft:
    spec = JianyingDraft(
        name="E01 雨夜/重逢", width=108, height=192, fps=FPS,
        video=[
            DraftVideoClip(path=media["a"], duration_frames=30, timeline_start_frames=0,
                           name="E01-S01-001 take 1"),
            DraftVideoClip(path=media["b"], source_start_frames=5, duration_frames=20,
                           timeline_start_frames=30, name="E01-S01-002 take 3"),
            DraftVideoClip(path=media["c"], duration_frames=24, timeline_start_frames=50,
                           name="E01-S01-003 take 2"),
        ],
        texts=[
            DraftText(start_frames=0, end_frames=28, text=CJK, speaker="林夏"),
            DraftText(start_frames=30, end_frames=50, text=HOSTILE, speaker="陈默"),
        ],
        audio_tracks=[
            DraftAudioTrack(name="dialogue", clips=[
                DraftAudioClip(path=media["line"], start_frames=2, duration_frames=25)]),
            DraftAudioTrack(name="music", clips=[
                DraftAudioClip(path=media["music"], start_frames=0, duration_frames=74,
                               volume=0.3)]),
        ],
    )
    return spec.model_copy(update=changes)


def _load(draft: Path) -> jy.ScriptFile:
    return jy.DraftFolder(str(draft.parent)).load_template(draft.name)


def _tracks(script: jy.ScriptFile) -> dict[str, dict]:
    return {track["name"]: track for track in script.content["tracks"]}


def test_draft_reads_back_with_trimmed_takes_in_order_subtitles_and_audio(tmp_path: Path, media):
    draft = write_jianying_draft(_spec(media), tmp_path / "exports")

    assert draft == tmp_path / "exports" / "E01 雨夜_重逢"  # "/" cannot be in a folder name
    assert draft.stat().st_mode & 0o777 == 0o777 & ~current_umask()
    assert sorted(p.name for p in (tmp_path / "exports").iterdir()) == ["E01 雨夜_重逢"]
    script = _load(draft)
    assert (script.width, script.height, script.fps) == (108, 192, FPS)
    tracks = _tracks(script)
    assert {name: t["type"] for name, t in tracks.items()} == {
        "video": "video", "subtitles": "text", "dialogue": "audio", "music": "audio"}

    [video] = [t for t in script.imported_tracks if t.name == "video"]
    segments = video.segments
    assert len(segments) == 3
    assert [(s.target_timerange.start, s.target_timerange.end) for s in segments] == [
        (0, frames_to_us(30, FPS)), (frames_to_us(30, FPS), frames_to_us(50, FPS)),
        (frames_to_us(50, FPS), frames_to_us(74, FPS))]
    # the trimmed take starts 5 frames in and plays at normal speed
    assert segments[1].source_timerange.start == frames_to_us(5, FPS) == 166_667
    assert [s.source_timerange.duration for s in segments] == [
        s.target_timerange.duration for s in segments]
    assert [s.raw_data["speed"] for s in segments] == [1.0, 1.0, 1.0]
    assert script.duration == frames_to_us(74, FPS)

    videos = {m["id"]: m for m in script.imported_materials["videos"]}
    linked = [videos[s.material_id]["path"] for s in segments]
    assert linked == [str(media[k].resolve()) for k in "abc"]
    assert all(Path(p).is_file() for p in linked)
    assert [videos[s.material_id]["material_name"] for s in segments] == [
        "E01-S01-001 take 1", "E01-S01-002 take 3", "E01-S01-003 take 2"]

    texts = {m["id"]: json.loads(m["content"]) for m in script.imported_materials["texts"]}
    subtitle_segments = tracks["subtitles"]["segments"]
    shown = [texts[s["material_id"]]["text"] for s in subtitle_segments]
    assert shown == [CJK, HOSTILE]
    assert [s["target_timerange"] for s in subtitle_segments] == [
        {"start": 0, "duration": frames_to_us(28, FPS)},
        {"start": frames_to_us(30, FPS), "duration": frames_to_us(50, FPS) - frames_to_us(30, FPS)}]
    # the style covers the whole line, emoji included (剪映 counts UTF-16 units)
    hostile_style = texts[subtitle_segments[1]["material_id"]]["styles"][0]
    assert hostile_style["range"] == [0, len(HOSTILE.encode("utf-16-le")) // 2]
    assert hostile_style["fill"]["content"]["solid"]["color"] == [1.0, 1.0, 1.0]
    assert hostile_style["strokes"][0]["content"]["solid"]["color"] == [0.0, 0.0, 0.0]
    # near the bottom, centred, with the translucent box of the burned subtitles
    assert subtitle_segments[0]["clip"]["transform"]["y"] == pytest.approx(-0.74)
    material = next(m for m in script.imported_materials["texts"]
                    if m["id"] == subtitle_segments[0]["material_id"])
    assert material["alignment"] == 1 and material["background_alpha"] == 0.55

    audios = {m["id"]: m for m in script.imported_materials["audios"]}
    [line] = tracks["dialogue"]["segments"]
    assert audios[line["material_id"]]["path"] == str(media["line"].resolve())
    assert line["target_timerange"] == {"start": frames_to_us(2, FPS),
                                        "duration": frames_to_us(27, FPS) - frames_to_us(2, FPS)}
    assert line["source_timerange"] == {"start": 0, "duration": line["target_timerange"]["duration"]}
    [music] = tracks["music"]["segments"]
    assert audios[music["material_id"]]["path"] == str(media["music"].resolve())
    assert music["volume"] == 0.3 and music["target_timerange"]["duration"] == frames_to_us(74, FPS)

    # 剪映 6 and newer read draft_info.json: the same plain JSON
    assert (draft / "draft_info.json").read_bytes() == (draft / "draft_content.json").read_bytes()
    meta = json.loads((draft / "draft_meta_info.json").read_text(encoding="utf-8"))
    assert meta["draft_name"] == "E01 雨夜_重逢" and meta["draft_fold_path"] == str(draft)
    assert meta["tm_duration"] == frames_to_us(74, FPS)


def test_bundled_draft_carries_its_media_and_links_them_there(tmp_path: Path, media):
    steps: list[tuple[int, int]] = []
    draft = write_jianying_draft(_spec(media), tmp_path, bundle=True,
                                 progress=lambda done, total: steps.append((done, total)))

    assert steps == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]
    script = _load(draft)
    paths = [m["path"] for m in script.imported_materials["videos"] + script.imported_materials["audios"]]
    assert len(paths) == 5
    for path in map(Path, paths):
        assert path.parent == draft / "materials"
        assert path.read_bytes() == media[{"take-a": "a", "take-b": "b", "take-c": "c",
                                           "line-1": "line", "theme": "music"}[path.stem]].read_bytes()


def test_missing_media_names_the_file_and_writes_nothing(tmp_path: Path, media):
    gone = tmp_path / "media" / "take-gone.mp4"
    spec = _spec(media)
    spec.video[1] = spec.video[1].model_copy(update={"path": gone})

    with pytest.raises(AssemblyError) as error:
        write_jianying_draft(spec, tmp_path / "exports")

    assert str(error.value) == (f"{gone}: media file not found (video clip E01-S01-002 take 3 "
                                "of the 剪映 draft).")
    assert not (tmp_path / "exports").exists()


@pytest.mark.parametrize("change, sentence", [
    ({"video": "overlap"}, "video clip E01-S01-002 take 3 starts at frame 20, before video clip "
                           "E01-S01-001 take 1 ends at frame 30"),
    ({"video": "too long"}, "take-c.mp4: the file lasts 1.000 s but the video clip "
                            "E01-S01-003 take 2 needs 0.333–1.133 s of it."),
    ({"audio": "video file"}, "take-a.mp4: it has a video stream, and a 剪映 audio track takes "
                              "audio files only (music audio clip of the 剪映 draft)."),
])
def test_a_bad_clip_is_one_sentence_and_keeps_the_earlier_draft(tmp_path: Path, media, change,
                                                                 sentence):
    good = write_jianying_draft(_spec(media), tmp_path)
    before = (good / "draft_content.json").read_bytes()
    spec = _spec(media)
    if change.get("video") == "overlap":
        spec.video[1] = spec.video[1].model_copy(update={"timeline_start_frames": 20})
    elif change.get("video") == "too long":
        spec.video[2] = spec.video[2].model_copy(update={"source_start_frames": 10})
    else:
        spec.audio_tracks[1].clips[0] = spec.audio_tracks[1].clips[0].model_copy(
            update={"path": media["a"], "duration_frames": 30})

    with pytest.raises(AssemblyError) as error:
        write_jianying_draft(spec, tmp_path)

    assert sentence in str(error.value)
    assert str(error.value).count(". ") == 0  # one sentence
    assert (good / "draft_content.json").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [good.name]  # no temp folder left behind


def test_rewriting_replaces_a_shotcraft_draft_but_never_a_foreign_or_edited_folder(
        tmp_path: Path, media):
    first = write_jianying_draft(_spec(media), tmp_path)
    second = write_jianying_draft(_spec(media, texts=[]), tmp_path)
    assert second == first
    assert "subtitles" not in _tracks(_load(second))
    assert [p.name for p in tmp_path.iterdir()] == [first.name]

    # 剪映 re-saved it (5.9 saves draft_content.json, newer versions draft_info.json, encrypted):
    # that holds the director's edits, which shotcraft must not throw away
    for saved in ("draft_content.json", "draft_info.json"):
        write_jianying_draft(_spec(media), tmp_path)
        content = second / saved
        content.write_text(content.read_text(encoding="utf-8").replace('"volume": 0.3', '"volume": 0.5'),
                           encoding="utf-8")
        with pytest.raises(AssemblyError, match="was changed in 剪映 since shotcraft wrote it"):
            write_jianying_draft(_spec(media), tmp_path)
        assert '"volume": 0.5' in content.read_text(encoding="utf-8")
        shutil.rmtree(second)

    foreign = tmp_path / "E02"
    foreign.mkdir()
    (foreign / "draft_content.json").write_text("{}", encoding="utf-8")
    with pytest.raises(AssemblyError) as error:
        write_jianying_draft(_spec(media, name="E02"), tmp_path)
    assert str(error.value) == (f"{foreign} already exists and was not written by shotcraft; "
                                "move it away or export under another name.")
    assert (foreign / "draft_content.json").read_text(encoding="utf-8") == "{}"
    assert not (foreign / MARKER).exists()


def test_a_lip_sync_take_is_muted_in_the_draft_and_the_dialogue_track_speaks(tmp_path: Path,
                                                                              media):
    """A lip-sync take carries the line it was made to say; the dialogue track says it too, so
    its clip is at 0 % in 剪映 and the other clips keep their own sound."""
    from shotcraft.assembly.formats.jianying import draft_spec
    from shotcraft.assembly.timeline import Clip, Timeline

    timeline = Timeline(title="E01", episode=1, fps=FPS, clips=[
        Clip(shot_id="E01-S01-001", scene_id="E01-S01", duration_frames=30, media=media["a"],
             take=1),
        Clip(shot_id="E01-S01-002", scene_id="E01-S01", duration_frames=20, media=media["b"],
             take=4, speaks=True),
    ], width=108, height=192)
    spec = draft_spec(timeline, "E01")
    assert [c.volume for c in spec.video] == [1.0, 0.0]

    script = _load(write_jianying_draft(spec, tmp_path / "exports"))
    [video] = [t for t in script.imported_tracks if t.name == "video"]
    assert [s.raw_data["volume"] for s in video.segments] == [1.0, 0.0]
