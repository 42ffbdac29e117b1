"""Card draw through the facade: numbering, seeds, the store, ranking, picks, crashes, budgets."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from shotcraft.engine.previz import PrevizEngine
from shotcraft.projects import Project
from shotcraft.projects.draw import Draw
from shotcraft.shots.errors import ProjectError
from shotcraft.shots.media import probe, sha256_file
from shotcraft.shots.models import Budget, TakeKind, TakeStatus

pytestmark = pytest.mark.usefixtures("small_previz")


def _done(project: Project, shot_id: str) -> list:
    return [v for v in project.takes(shot_id) if v.take.status is TakeStatus.DONE]


def test_render_draws_numbered_seeded_takes_into_the_store(project: Project) -> None:
    shot = project.shots(episode=1)[1]
    summary = project.draw(Draw(shots=[shot.id], takes=3))
    assert (summary.done, summary.failed) == (3, 0)
    views = project.takes(shot.id)
    assert [v.take.number for v in views] == [1, 2, 3]
    seeds = [v.take.seed for v in views]
    assert len(set(seeds)) == 3 and seeds == sorted(seeds)
    assert sorted(v.rank for v in views) == [1, 2, 3]
    for view in views:
        take = view.take
        path = project.take_path(take)
        assert path is not None and path.is_file()
        assert path.parent.parent == project.root / "media" / "takes"
        assert path.stem == sha256_file(path)  # content-addressed
        info = probe(path)
        assert info.frames == shot.duration_frames == take.duration_frames
        assert take.engine == "previz" and take.params and take.score is not None
        assert take.engine_version == PrevizEngine.version
        assert (take.width, take.height) == (108, 192)  # previz draws at SHOTCRAFT_PREVIZ_SCALE=0.1
        assert set(take.scores) >= {"sharpness", "exposure", "black_frames"}
        assert take.cost_seconds > 0


def test_more_takes_continue_numbers_and_seeds(project: Project) -> None:
    shot = project.shots(episode=1)[0]
    project.draw(Draw(shots=[shot.id], takes=2))
    project.draw(Draw(shots=[shot.id], takes=1))
    views = project.takes(shot.id)
    assert [v.take.number for v in views] == [1, 2, 3]
    assert views[2].take.seed == views[1].take.seed + 1
    project.draw(Draw(shots=[shot.id], takes=1, seed=42))
    assert project.takes(shot.id)[3].take.seed == 42


def test_render_without_takes_fills_each_shot_to_its_takes_wanted(project: Project) -> None:
    shot = project.shots(episode=1)[0]
    project.update_shot(shot.id, takes_wanted=2)
    project.draw(Draw(shots=[shot.id]))
    project.draw(Draw(shots=[shot.id]))  # nothing missing: draws nothing more
    assert len(_done(project, shot.id)) == 2


def test_same_seed_gives_the_same_picture(project: Project) -> None:
    from shotcraft.shots.media import read_frames

    shot = project.shots(episode=1)[0]
    project.draw(Draw(shots=[shot.id], takes=1, seed=7))
    project.draw(Draw(shots=[shot.id], takes=1, seed=7))
    project.draw(Draw(shots=[shot.id], takes=1, seed=8))
    first, second, third = (read_frames(project.take_path(v.take), every=10).astype(int)
                            for v in project.takes(shot.id))
    # only the slate (it names the take number) may differ between two draws of one seed
    same_seed = (np.abs(first - second).max(axis=-1) > 24).mean()
    other_seed = (np.abs(first - third).max(axis=-1) > 24).mean()
    assert same_seed < 0.05
    assert other_seed > same_seed * 2


def test_pick_auto_pick_and_reject(project: Project) -> None:
    shots = project.shots(episode=1)[:2]
    project.draw(Draw(shots=[s.id for s in shots], takes=2))
    project.pick(shots[0].id, 2)
    picked = project.auto_pick(episode=1).picked
    assert shots[0].id not in picked and shots[1].id in picked
    assert project.shot(shots[0].id).picked_take == 2
    top = next(v for v in project.takes(shots[1].id) if v.rank == 1)
    assert project.shot(shots[1].id).picked_take == top.take.number
    project.reject(shots[0].id, 2)
    assert project.shot(shots[0].id).picked_take is None
    assert [v.take.number for v in project.takes(shots[0].id) if v.rank] == [1]
    with pytest.raises(ProjectError, match="only a done take"):
        project.pick(shots[0].id, 2)
    with pytest.raises(ProjectError, match="no take 9"):
        project.pick(shots[0].id, 9)


def test_a_picked_keyframe_becomes_the_first_frame_of_later_video_takes(project: Project) -> None:
    shot = project.shots(episode=1)[1]
    project.draw(Draw(what="keyframes", shots=[shot.id], takes=1))
    keyframe = project.takes(shot.id)[0].take
    assert keyframe.kind is TakeKind.KEYFRAME and keyframe.media_path.endswith(".png")
    project.pick(shot.id, keyframe.number)
    project.draw(Draw(shots=[shot.id], takes=1))
    video = project.takes(shot.id, kind=TakeKind.VIDEO)[0].take
    assert video.number == 2
    assert video.reference_hashes["first_frame"] == sha256_file(project.take_path(keyframe))


def test_add_take_imports_a_clip_drawn_elsewhere(project: Project, tmp_path: Path) -> None:
    clip = tmp_path / "kling-download.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=108x192:r=30",
                    "-t", "1", "-pix_fmt", "yuv420p", str(clip)], check=True)
    shot = project.shots(episode=1)[0]
    take = project.add_take(shot.id, clip)
    assert take.origin.value == "imported" and take.number == 1 and take.score is not None
    assert project.take_path(take).read_bytes() == clip.read_bytes()
    with pytest.raises(Exception, match="does not exist"):
        project.add_take(shot.id, tmp_path / "missing.mp4")


def test_shot_budget_stops_render_and_says_so(project: Project) -> None:
    shot = project.shots(episode=1)[0]
    project.update_shot(shot.id, budget=Budget(max_takes=2))
    summary = project.draw(Draw(shots=[shot.id], takes=3))
    assert summary.done == 2
    assert any("allows 2 takes" in note for note in summary.budget_notes)
    again = project.draw(Draw(shots=[shot.id], takes=1))
    assert again.done == 0 and again.budget_notes


def test_episode_budget_caps_the_whole_episode(project: Project) -> None:
    project.set_episode_budget(2, Budget(max_takes=1))
    summary = project.draw(Draw(episode=2, takes=1))
    assert summary.done == 1
    assert project.totals(episode=2).takes_done == 1


def test_an_invalid_engine_output_fails_that_take_and_the_others_go_on(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shotcraft.engine.previz as previz

    real = previz.PrevizEngine.render

    def short_second_take(self, request, **kwargs):  # noqa: ANN001, ANN003
        results = real(self, request, **kwargs)
        victim = results[1].path
        victim.write_bytes(victim.read_bytes()[:200])  # truncated file
        return results

    monkeypatch.setattr(previz.PrevizEngine, "render", short_second_take)
    shot = project.shots(episode=1)[0]
    summary = project.draw(Draw(shots=[shot.id], takes=3))
    statuses = [v.take.status for v in project.takes(shot.id)]
    assert statuses.count(TakeStatus.DONE) == 2 and statuses.count(TakeStatus.FAILED) == 1
    failed = next(v.take for v in project.takes(shot.id) if v.take.status is TakeStatus.FAILED)
    assert failed.reason.startswith("invalid output") and failed.media_path is None
    assert summary.failed == 1
    monkeypatch.setattr(previz.PrevizEngine, "render", real)
    assert project.retry_failed(shot_id=shot.id) == 1
    project.draw(Draw(shots=[shot.id]))
    assert [v.take.status for v in project.takes(shot.id)].count(TakeStatus.DONE) == 3


def test_sigkill_mid_render_keeps_finished_takes_and_resumes_the_rest(project: Project) -> None:
    env = {**os.environ, "SHOTCRAFT_PREVIZ_SCALE": "0.1"}
    cmd = [sys.executable, "-m", "shotcraft.studio.cli", "render", str(project.root), "--episode", "1", "--takes", "2"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            cwd=Path(__file__).resolve().parents[2])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done = project.totals(episode=1).takes_done
        if done >= 2:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    shots = project.shots(episode=1)
    wanted = 2 * len(shots)
    before = project.totals(episode=1)
    assert 2 <= before.takes_done < wanted, "the kill must land mid-run"
    # nothing registered points at a missing or partial file
    for shot in shots:
        for view in project.takes(shot.id):
            if view.take.media_path:
                assert project.take_path(view.take).is_file()
    assert not list((project.root / "media" / "takes").rglob("*.partial"))
    # run again: the interrupted takes re-run under their own numbers, nothing more is queued
    summary = project.draw(Draw(episode=1))
    assert summary.resumed == wanted - before.takes_done and summary.queued == 0
    for shot in shots:
        views = project.takes(shot.id)
        assert [v.take.number for v in views] == [1, 2]
        assert all(v.take.status is TakeStatus.DONE for v in views)
    assert project.totals(episode=1).takes_done == wanted
    assert not [j for j in project.jobs() if j["state"] in ("queued", "running")]


def test_reimporting_the_same_script_keeps_every_take_and_pick(project: Project, script_file: Path) -> None:
    shot = project.shots(episode=1)[2]
    project.draw(Draw(shots=[shot.id], takes=2))
    project.pick(shot.id, 2)
    report = project.import_script(script_file)
    assert report.added == 0 and report.archived == 0
    assert [v.take.number for v in project.takes(shot.id)] == [1, 2]
    assert project.shot(shot.id).picked_take == 2


def test_takes_queued_for_another_engine_wait_for_that_engine(project: Project) -> None:
    from shotcraft.projects.draw.plan import RenderPlan, ShotPlan
    from shotcraft.projects.draw.queue import queue_takes

    shot = project.shots(episode=1)[0]
    queue_takes(project.store, RenderPlan(engine="kling", kind=TakeKind.VIDEO, shots=[ShotPlan(shot_id=shot.id, episode=shot.episode, takes=1)]))  # left by a crash
    summary = project.draw(Draw(shots=[shot.id], takes=1))  # previz
    assert summary.done == 1
    kling, previz = project.takes(shot.id)
    assert (kling.take.engine, kling.take.status) == ("kling", TakeStatus.QUEUED)
    assert (previz.take.engine, previz.take.status) == ("previz", TakeStatus.DONE)
    assert [j["engine"] for j in project.jobs() if j["state"] == "queued"] == ["kling"]
