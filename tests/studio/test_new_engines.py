"""Seedance and ComfyUI takes land, rank, get picked and export at 1080×1920 — through the CLI
and through the studio — against their stand-ins; a sequence drawn from the studio's storyboard."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from shotcraft.assembly.episode import ExportOptions
from shotcraft.projects import Project
from shotcraft.projects.draw import Draw
from shotcraft.shots.media import probe
from shotcraft.studio.tui.app import make_app
from shotcraft.studio.tui.screens.spend import SpendScreen
from shotcraft.studio.tui.screens.takes import TakesScreen
from tests.engine.comfyui_server import FakeComfy
from tests.engine.seedance_server import FakeArk
from tests.projects.conftest import write_script
from tests.studio.conftest import invoke
from tests.studio.test_tui_studio import wait_for

KEY = "ark-test-0c1d2e3f-4a5b-6c7d-8e9f-a0b1c2d3e4f5"
WAN = Path(__file__).resolve().parents[1] / "engine" / "data" / "comfyui" / "text_to_video_wan.json"
SIZES = {"seedance": (720, 1280, 24.0), "comfyui": (256, 448, 16.0)}


@pytest.fixture(params=["seedance", "comfyui"])
def engine(request: pytest.FixtureRequest, tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, object]]:
    name = request.param
    if name == "seedance":
        fake: object = FakeArk(api_key=KEY).start()
        values = {"SHOTCRAFT_SEEDANCE_API_KEY": KEY, "SHOTCRAFT_SEEDANCE_BASE_URL": fake.base_url,
                  "SHOTCRAFT_SEEDANCE_POLL_INTERVAL": "0.01",
                  "SHOTCRAFT_SEEDANCE_POLL_MAX_INTERVAL": "0.02"}
    else:
        fake = FakeComfy(folder=tmp_path / "comfy").start()
        values = {"SHOTCRAFT_COMFYUI_URL": fake.base_url, "SHOTCRAFT_COMFYUI_WORKFLOW": str(WAN),
                  "SHOTCRAFT_COMFYUI_LONG_SIDE": "448", "SHOTCRAFT_COMFYUI_POLL_INTERVAL": "0.05",
                  "SHOTCRAFT_COMFYUI_EVENT_TIMEOUT": "0.1"}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    yield name, fake
    fake.stop()  # type: ignore[attr-defined]


SHORT = """《测试短剧》

第1集 初见

1-1 日 内 咖啡馆
人物：林晚
△林晚推门走进咖啡馆。
"""


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    """An episode of two shots (the scene's establishing shot and its action)."""
    project = Project.create(tmp_path / "proj", title="新引擎")
    project.import_script(write_script(tmp_path, SHORT))
    project.close()
    return tmp_path / "proj"


@pytest.fixture
def scene_dir(tmp_path: Path) -> Path:
    project = Project.create(tmp_path / "scene", title="序列")
    project.import_script(write_script(tmp_path, name="scene.txt"))
    project.close()
    return tmp_path / "scene"


def test_cli_takes_land_rank_get_picked_and_export_at_1080x1920(engine, project_dir, tmp_path):
    name, _fake = engine
    plan = invoke("render", project_dir, "--episode", 1, "--engine", name, "--takes", 2,
                  "--dry-run", "--json")
    assert plan.exit_code == 0, plan.output
    shots = [s["shot_id"] for s in json.loads(plan.stdout)["shots"]]
    drawn = invoke("render", project_dir, "--episode", 1, "--engine", name, "--takes", 2)
    assert drawn.exit_code == 0, drawn.output
    assert f"drew {2 * len(shots)} takes, 0 failed" in drawn.stdout
    width, height, fps = SIZES[name]
    for shot_id in shots:
        rows = json.loads(invoke("takes", project_dir, shot_id, "--json").stdout)
        assert sorted(r["rank"] for r in rows) == [1, 2]  # scored and ranked
        assert all(r["engine"] == name and r["status"] == "done" for r in rows)
        assert {(r["width"], r["height"], r["fps"]) for r in rows} == {(width, height, fps)}
    assert invoke("pick", project_dir, "--auto", "--episode", 1).exit_code == 0
    out = tmp_path / "episode1.mp4"
    exported = invoke("export", project_dir, "--episode", 1, "-o", out)
    assert exported.exit_code == 0, exported.output
    info = probe(out)
    assert (info.width, info.height) == (1080, 1920)
    project = Project.open(project_dir)
    try:
        assert info.frames == sum(s.duration_frames for s in project.shots(episode=1))
    finally:
        project.close()


async def test_studio_takes_land_rank_get_picked_and_export_at_1080x1920(
        engine, project_dir, monkeypatch):
    name, _fake = engine
    monkeypatch.setenv("SHOTCRAFT_DEFAULT_ENGINE", name)
    app = make_app(project_dir)
    async with app.run_test(size=(140, 40)) as pilot:
        shots = [s.id for s in app.project.shots(episode=1)]
        await pilot.press("r")  # draw the highlighted (first) shot on the default engine
        await pilot.pause()
        if isinstance(app.screen, SpendScreen):  # a paid engine shows its estimate first
            await pilot.press("enter")
        wanted = app.project.shot(shots[0]).takes_wanted
        await wait_for(pilot, lambda: app.project.totals(shot_id=shots[0]).takes_done == wanted)
        await app.workers.wait_for_complete()
        # the rest of the episode, so that it can be exported
        app.project.draw(Draw(shots=shots[1:], takes=1, engine=name))
        await pilot.press("t")  # the takes of the highlighted (first) shot, ranked
        await pilot.pause()
        takes_screen = app.screen
        assert isinstance(takes_screen, TakesScreen)
        await wait_for(pilot, lambda: len(takes_screen.views) == wanted)
        assert sorted(v.rank for v in takes_screen.views) == list(range(1, wanted + 1))
        await pilot.press("p")
        await pilot.pause()
        assert app.project.shot(shots[0]).picked_take == takes_screen.views[0].take.number
        app.project.auto_pick(episode=1)
        await pilot.press("escape", "x")
        await pilot.pause()
        assert app.export_episode(1, ExportOptions(subtitles="srt", language="zh"))
        await app.workers.wait_for_complete()
        await wait_for(pilot, lambda: app.screen.result is not None, timeout=180)
        result = app.screen.result
        assert (result.width, result.height) == (1080, 1920)
        info = probe(result.output)
        assert (info.width, info.height) == (1080, 1920)
        assert next(c for c in result.clips if c.shot_id == shots[0]).take == \
            app.project.shot(shots[0]).picked_take


async def test_studio_draws_the_scene_from_the_highlighted_shot_as_one_clip(
        scene_dir, monkeypatch):
    project_dir = scene_dir
    fake = FakeArk(api_key=KEY).start()
    try:
        for key, value in {"API_KEY": KEY, "BASE_URL": fake.base_url, "POLL_INTERVAL": "0.01",
                           "POLL_MAX_INTERVAL": "0.02"}.items():
            monkeypatch.setenv(f"SHOTCRAFT_SEEDANCE_{key}", value)
        monkeypatch.setenv("SHOTCRAFT_DEFAULT_ENGINE", "seedance")
        app = make_app(project_dir)
        async with app.run_test(size=(140, 40)) as pilot:
            scene = [s.id for s in app.project.shots(episode=1) if s.id.startswith("E01-S01-")]
            await pilot.press("D")  # on the first shot of scene 1-1
            await pilot.pause()
            assert isinstance(app.screen, SpendScreen)
            await pilot.press("enter")
            await wait_for(pilot, lambda: all(app.project.totals(shot_id=s).takes_done == 1
                                              for s in scene))
            await app.workers.wait_for_complete()
        assert len(fake.created) == 1  # the whole scene, one task
        for shot_id in scene:
            project = Project.open(project_dir)
            try:
                [view] = project.takes(shot_id)
                assert view.take.params["sequence"]["of"] == len(scene)
            finally:
                project.close()
    finally:
        fake.stop()


KILLED = r"""
import sys
from shotcraft.studio.cli import main
sys.argv = ["shotcraft", "render", sys.argv[1], "--shot", sys.argv[2], "--engine", sys.argv[3],
            "--takes", "1"]
main()
"""


def test_a_render_killed_mid_poll_is_resumed_by_the_next_render_without_a_second_task(
        engine, project_dir):
    import os
    import signal
    import subprocess
    import sys
    import time

    name, fake = engine
    repo = Path(__file__).resolve().parents[2]
    sent = (lambda: len(fake.posts)) if name == "seedance" else (lambda: fake.posted)
    fake.hold = True  # type: ignore[attr-defined]
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED, str(project_dir), "E01-S01-002", name], cwd=repo,
        env={**os.environ, "PYTHONPATH": f"{repo / 'src'}{os.pathsep}{repo}"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while sent() == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sent() == 1, "the first render never sent its task"
        time.sleep(0.5)  # polling now
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    fake.hold = False  # type: ignore[attr-defined]
    again = invoke("render", project_dir, "--engine", name)  # a bare render finishes it
    assert again.exit_code == 0, again.output
    assert "resumed 1 interrupted takes" in again.stdout
    rows = json.loads(invoke("takes", project_dir, "E01-S01-002", "--json").stdout)
    assert [r["status"] for r in rows] == ["done"]
    assert sent() == 1  # never sent, never paid, twice
