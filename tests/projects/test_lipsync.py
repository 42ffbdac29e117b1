"""`shotcraft render DIR --shot ID --lipsync`: a dialogue shot's Kling take re-animated to its
lines in the bible's voices (Kling stand-in: tests/engine/kling_server.py), stored as a take of
kind lipsync with its parent and audio hash, and checked by the mouth check."""

from __future__ import annotations

import base64
import hashlib
import json
import wave
from pathlib import Path

import pytest

from shotcraft.projects import Project
from shotcraft.projects.draw import Draw
from shotcraft.projects.export import build_timeline
from shotcraft.shots.media import probe
from shotcraft.shots.models import TakeKind, TakeStatus
from tests.engine.kling_server import FakeKling
from tests.projects.kling_stand_in import kling_stand_in
from tests.studio.conftest import invoke


@pytest.fixture
def kling(monkeypatch: pytest.MonkeyPatch):
    with kling_stand_in(monkeypatch) as fake:
        yield fake


def spoken_shot(project: Project) -> str:
    """The first shot with a line said on screen (顾言：你迟到了。)."""
    return next(s.id for s in project.shots(episode=1)
                if any(not (line.mode or "") for line in s.dialogue))


def inner_voice_shot(project: Project) -> str:
    """The shot whose only line is inner voice (顾言OS：她到底是谁？)."""
    return next(s.id for s in project.shots(episode=1)
                if s.dialogue and all((line.mode or "").upper() == "OS" for line in s.dialogue))


def lipsync_posts(fake: FakeKling) -> list[dict]:
    return [p for p in fake.posts if p["endpoint"] == "lip-sync"]


def test_a_lip_sync_take_is_drawn_stored_checked_and_picked_like_any_take(
        project: Project, kling: FakeKling) -> None:
    shot_id = spoken_shot(project)
    summary = project.draw(Draw(shots=[shot_id], takes=1, engine="kling"))
    assert summary.done == 1, summary.results
    folder = project.store.root

    result = invoke("render", folder, "--shot", shot_id, "--lipsync")

    assert result.exit_code == 0, result.output
    assert f"{shot_id} take 2: lip-sync of take 1" in result.output
    project = Project.open(folder)
    views = {v.take.number: v for v in project.takes(shot_id)}
    take = views[2].take
    assert take.kind is TakeKind.LIPSYNC and take.status is TakeStatus.DONE, take.reason
    assert take.parent_take == 1 and take.engine == "kling"
    # the audio it was made to speak: kept by its hash, and exactly what Kling was sent
    audio = folder / "cache" / "lipsync" / f"{take.audio_hash}.wav"
    with wave.open(str(audio)) as handle:
        pcm = handle.readframes(handle.getnframes())
        seconds = handle.getnframes() / handle.getframerate()
    assert hashlib.sha256(pcm).hexdigest() == take.audio_hash
    [post] = lipsync_posts(kling)
    assert base64.b64decode(post["body"]["input"]["audio_file"]) == audio.read_bytes()
    assert post["body"]["input"]["video_id"] == views[1].take.provider["video_id"]
    # as long as the parent take (Kling's 5 s), and the take is too
    assert abs(seconds - 5.0) < 1e-3
    info = probe(project.take_path(take))
    assert abs(info.frames / info.fps - seconds) <= 1 / info.fps
    # the mouth check passed, in words
    assert take.scores["lipsync"] == 1.0, views[2].explanations["lipsync"]
    assert views[2].explanations["lipsync"].startswith("lip sync ok")
    # numbered, ranked and picked like any take; export cuts the picked lip-sync take
    project.pick(shot_id, 2)
    clip = next(c for c in build_timeline(project.store, 1).clips if c.shot_id == shot_id)
    assert clip.take == 2
    listing = invoke("takes", folder, shot_id)
    assert "lip-sync of 1" in listing.output and "lip sync ok" in listing.output
    rows = {row["take"]: row for row in json.loads(invoke("takes", folder, shot_id,
                                                          "--json").output)}
    assert (rows[2]["kind"], rows[2]["parent_take"], rows[2]["audio_hash"]) == (
        "lipsync", 1, take.audio_hash)
    assert (rows[1]["kind"], rows[1]["parent_take"], rows[1]["audio_hash"]) == ("video", None, None)

    # scored again later, without its cached audio: judged against its own track, same verdict
    audio.unlink()
    [again] = [r for r in project.rescore(shot_ids=[shot_id]) if r.take == 2]
    assert again.error is None and again.after == take.score


def test_a_mouth_that_does_not_follow_the_line_fails_the_check_in_words(
        project: Project, kling: FakeKling) -> None:
    shot_id = spoken_shot(project)
    project.draw(Draw(shots=[shot_id], takes=1, engine="kling"))
    kling.lipsync_mode = "frozen"  # the stand-in returns a face whose mouth never opens

    result = invoke("render", project.store.root, "--shot", shot_id, "--lipsync",
                    "--from-take", "1")

    assert result.exit_code == 0, result.output
    view = next(v for v in Project.open(project.store.root).takes(shot_id) if v.take.number == 2)
    assert view.take.scores["lipsync"] < 0.5
    assert "barely moves while the line is spoken" in view.explanations["lipsync"]


@pytest.mark.parametrize("case", ["inner voice", "previz take", "lip-sync parent", "no take"])
def test_what_cannot_be_lip_synced_is_one_sentence_and_nothing_is_sent(
        project: Project, kling: FakeKling, case: str) -> None:
    folder = project.store.root
    shot_id = spoken_shot(project)
    args: list[object] = []
    if case == "inner voice":
        shot_id = inner_voice_shot(project)
        project.draw(Draw(shots=[shot_id], takes=1, engine="kling"))
        says = "has no line spoken on screen"
    elif case == "previz take":
        project.draw(Draw(shots=[shot_id], takes=1, engine="previz"))
        says = "was drawn by previz; Kling lip-syncs only videos it drew itself"
    elif case == "lip-sync parent":
        project.draw(Draw(shots=[shot_id], takes=1, engine="kling"))
        assert invoke("render", folder, "--shot", shot_id, "--lipsync").exit_code == 0
        kling.posts.clear()
        args = ["--from-take", "2"]
        says = "is itself a lip-sync take (of take 1); name a video take"
    else:
        says = "has no done video take to lip-sync; draw one first"
    before = len(Project.open(folder).takes(shot_id))

    result = invoke("render", folder, "--shot", shot_id, "--lipsync", *args)

    assert result.exit_code == 1
    assert says in result.output, result.output
    assert result.output.strip().count("\n") == 0  # one sentence, one line
    assert lipsync_posts(kling) == []
    assert len(Project.open(folder).takes(shot_id)) == before  # no take number burned


def test_lipsync_options_are_a_usage_error_with_other_kinds_of_draw(project: Project) -> None:
    folder = project.store.root
    shot_id = spoken_shot(project)
    for args in (["--shot", shot_id, "--from-take", "1"], ["--lipsync"],
                 ["--shot", shot_id, "--lipsync", "--keyframes"],
                 ["--shot", shot_id, "--episode", "1", "--lipsync"],
                 ["--episode", "1", "--lipsync", "--from-take", "1"]):
        result = invoke("render", folder, *args)
        assert result.exit_code == 2, (args, result.output)
        assert "usage: shotcraft render DIR (--shot ID [--shot ID ...] | --episode N) --lipsync" \
            in result.output


def test_an_engine_that_cannot_lip_sync_is_one_sentence_naming_those_that_can(
        project: Project, kling: FakeKling) -> None:
    """Lip-sync is an engine's capability (`Engine.kinds`), not Kling's by name: an engine
    without it is refused before anything is read or sent, naming the installed ones that can."""
    shot_id = spoken_shot(project)
    project.draw(Draw(shots=[shot_id], takes=1, engine="kling"))

    result = invoke("render", project.store.root, "--shot", shot_id, "--lipsync",
                    "--engine", "previz")

    assert result.exit_code == 1
    assert result.stderr.strip() == ("error: previz cannot lip-sync; the installed engines that "
                                     "can: kling.")
    assert lipsync_posts(kling) == []
    assert [v.take.kind for v in project.takes(shot_id)] == [TakeKind.VIDEO]


def test_the_lip_sync_audio_places_each_line_where_the_subtitles_do(
        project: Project, kling: FakeKling, tmp_path: Path) -> None:
    """The line's speech lies where its cue is in the shot (this one speaks from the shot's
    start) and lasts as long as its cached speech; after it, digital silence up to the take's
    length."""
    import numpy as np

    from shotcraft.projects.draw.lipsync import lipsync_source

    shot_id = spoken_shot(project)
    project.draw(Draw(shots=[shot_id], takes=1, engine="kling"))
    source = lipsync_source(project.store, shot_id)
    audio = project.store.root / source["audio"]
    with wave.open(str(audio)) as handle:
        rate = handle.getframerate()
        samples = np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2")
    [(start, end)] = source["speech"]
    loud = np.flatnonzero(np.abs(samples) > 300)
    assert start == 0.0 and loud[0] / rate < 0.05  # espeak-ng starts speaking at once
    assert 0.3 < end < 5.0 and loud[-1] / rate <= end
    assert not samples[round(end * rate) + 1:].any()  # silence after the line
    assert samples.size / rate == pytest.approx(5.0, abs=1e-3)
    assert source["parent_take"] == 1 and source["video_engine"] == "kling"


def test_an_episode_lip_syncs_every_dialogue_shot_it_can_once_and_names_the_rest(
        project: Project, kling: FakeKling) -> None:
    """`--episode N`: the shots with on-screen lines and a Kling take are drawn; one drawn on
    previz is named and skipped; running it again draws nothing (same take, same lines)."""
    folder = project.store.root
    spoken = [s.id for s in project.shots(episode=1)
              if any(not (line.mode or "") for line in s.dialogue)]
    assert len(spoken) >= 2
    on_previz, on_kling = spoken[0], spoken[1:]
    project.draw(Draw(shots=[on_previz], takes=1, engine="previz"))
    project.draw(Draw(shots=on_kling, takes=1, engine="kling"))

    result = invoke("render", folder, "--episode", 1, "--lipsync")

    assert result.exit_code == 0, result.output
    assert f"skipped: take 1 of {on_previz} was drawn by previz" in result.output
    assert f"drew {len(on_kling)} lip-sync takes, 0 failed" in result.output
    synced = {p["body"]["input"]["video_id"] for p in lipsync_posts(kling)}
    assert len(synced) == len(on_kling) == len(lipsync_posts(kling))

    again = invoke("render", folder, "--episode", 1, "--lipsync")
    assert again.exit_code == 0, again.output
    assert "already lip-syncs take 1 to these lines" in again.output
    assert "no shot of episode 1 to lip-sync" in again.output
    assert len(lipsync_posts(kling)) == len(on_kling)  # nothing paid twice


def test_a_picked_lip_sync_take_s_own_sound_is_not_mixed_over_the_dialogue(
        project: Project, kling: FakeKling) -> None:
    """Kling's lip-sync result carries the line; the dialogue layer says it already, so the
    export leaves that sound out: with --voice none the shot is silent."""
    import subprocess

    import numpy as np

    from shotcraft.projects import export_options
    from shotcraft.shots.media import ffmpeg_binary

    shot_id = spoken_shot(project)
    project.draw(Draw(shots=[shot_id], takes=1, engine="kling"))
    assert invoke("render", project.store.root, "--shot", shot_id, "--lipsync").exit_code == 0
    project = Project.open(project.store.root)
    project.pick(shot_id, 2)
    lipsync = next(v.take for v in project.takes(shot_id) if v.take.number == 2)
    assert probe(project.take_path(lipsync)).has_audio
    timeline = build_timeline(project.store, 1)
    clip = next(c for c in timeline.clips if c.shot_id == shot_id)
    assert clip.speaks and clip.take == 2

    result = project.export(1, export_options(subtitles="none", voice="none", preset="vertical-720"))

    start = timeline.clip_starts()[timeline.clips.index(clip)] / timeline.fps
    raw = subprocess.run([ffmpeg_binary(), "-v", "error", "-ss", f"{start:.3f}", "-t",
                          f"{clip.duration_frames / timeline.fps:.3f}", "-i", str(result.output),
                          "-ac", "1", "-f", "s16le", "-"], capture_output=True, check=True).stdout
    samples = np.frombuffer(raw, "<i2")
    assert samples.size and np.abs(samples).max() < 50  # silence, not the take's speech
