"""Space on the studio's takes screen plays the take through studio.player (the code `shotcraft
play` uses): the system's player, or one sentence why not, and never a process left behind."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from shotcraft.projects import Project
from shotcraft.projects.draw import Draw
from shotcraft.studio.tui.app import make_app
from shotcraft.studio.tui.screens.takes import TakesScreen
from tests.projects.conftest import write_script
from tests.studio.test_tui_studio import wait_for

SIZE = (160, 48)
SHOT = "E01-S01-000"  # the board opens on the first row: the episode's hook


@pytest.fixture
def project_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SHOTCRAFT_PREVIZ_SCALE", "0.1")
    project = Project.create(tmp_path / "proj", title="测试")
    project.import_script(write_script(tmp_path))
    project.draw(Draw(shots=[SHOT], takes=2))
    project.close()
    return tmp_path / "proj"


def fake_player(folder: Path, name: str) -> Path:
    """A player that notes its pid and what it was asked to play, then exits at once."""
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / f"{name}.log"
    script = folder / name
    script.write_text(f'#!/bin/sh\nfor last; do :; done\nprintf "%s %s\\n" "$$" "$last" >> "{log}"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return log


def recorded(app: object) -> list[str]:
    """Every notification the app posts, kept (a toast can leave before the test looks)."""
    said: list[str] = []
    notify = app.notify  # type: ignore[attr-defined]

    def recording(message: str, *args: object, **kwargs: object) -> None:
        said.append(str(message))
        notify(message, *args, **kwargs)

    app.notify = recording  # type: ignore[attr-defined]
    return said


async def _open_takes(pilot: object, app: object) -> TakesScreen:
    await pilot.press("t")  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, TakesScreen) and screen.shot_id == SHOT
    return screen


async def test_space_plays_the_take_in_the_player_found_and_reaps_it(
    project_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    bin_dir = tmp_path / "bin"
    log = fake_player(bin_dir, "ffplay")
    monkeypatch.setenv("DISPLAY", ":0")
    app = make_app(project_dir)
    said = recorded(app)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await _open_takes(pilot, app)
        take = screen.current().take
        expected = app.project.take_path(take)
        monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}/usr/bin/nonexistent")  # no mpv here
        await pilot.press("space")
        await wait_for(pilot, lambda: f"Playing take {take.number} in ffplay." in said)
        await wait_for(pilot, lambda: log.is_file() and log.read_text().strip() != "")
    pid, played = log.read_text().split()
    assert played == str(expected)
    # the player exited and the studio waited for it: no zombie under its pid
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Path(f"/proc/{pid}").exists()


async def test_space_without_a_display_says_why_in_one_sentence_and_starts_nothing(
    project_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    bin_dir = tmp_path / "bin"
    log = fake_player(bin_dir, "mpv")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    app = make_app(project_dir)
    said = recorded(app)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await _open_takes(pilot, app)
        take = screen.current().take
        path = app.project.take_path(take)
        await pilot.press("space")
        sentence = (f"Cannot play take {take.number}: no display to play on (DISPLAY and "
                    f"WAYLAND_DISPLAY are unset); the take is {path}")
        await wait_for(pilot, lambda: sentence in said)
    assert not any(line.startswith("Playing") for line in said)
    assert "\n" not in sentence and not log.exists()  # one line, and no player was started


async def test_space_without_a_player_says_why_in_one_sentence(
    project_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DISPLAY", ":0")
    app = make_app(project_dir)
    said = recorded(app)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await _open_takes(pilot, app)
        take = screen.current().take
        path = app.project.take_path(take)
        monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no mpv, ffplay or xdg-open
        await pilot.press("space")
        await wait_for(pilot, lambda: (
            f"Cannot play take {take.number}: no player found (mpv, ffplay or xdg-open); "
            f"the take is {path}") in said)
    assert not any(line.startswith("Playing") for line in said)
