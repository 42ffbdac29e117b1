"""`shotcraft play` and the studio's play key: the system's player, or one sentence why not,
and never a process left behind."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from shotcraft.projects import Project
from shotcraft.projects.draw import Draw
from shotcraft.studio.player import CannotPlay, play
from tests.studio.conftest import invoke


def _fake_player(folder: Path, name: str = "mpv") -> Path:
    """A player that writes what it was asked to play, then exits at once."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / name
    log = folder / "played.txt"
    script.write_text(f'#!/bin/sh\nfor last; do :; done\nprintf "%s\\n" "$last" >> "{log}"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return log


@pytest.fixture
def drawn(project_dir: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    monkeypatch.setenv("SHOTCRAFT_PREVIZ_SCALE", "0.1")
    project = Project.open(project_dir)
    try:
        shot_id = project.shots()[0].id
        assert project.draw(Draw(shots=[shot_id], takes=2)).done == 2
    finally:
        project.close()
    return project_dir, shot_id


def test_play_opens_the_take_in_the_players_found(drawn: tuple[Path, str], tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    folder, shot_id = drawn
    bin_dir = tmp_path / "bin"
    log = _fake_player(bin_dir, "mpv")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("DISPLAY", ":0")
    result = invoke("play", folder, shot_id, 2)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"played take 2 of {shot_id} in mpv"
    project = Project.open(folder)
    try:
        expected = project.take_path(project.takes(shot_id)[1].take)
    finally:
        project.close()
    assert log.read_text().split() == [str(expected)]


def test_the_studio_key_reaps_its_player(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    log = _fake_player(bin_dir, "ffplay")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}/usr/bin/nonexistent")
    monkeypatch.setenv("DISPLAY", ":0")
    clip = tmp_path / "take.mp4"
    clip.write_bytes(b"not really a video")
    playing = play(clip, wait=False)  # what the studio does: return at once
    assert playing.name == "ffplay" and playing.reaper is not None
    playing.reaper.join(timeout=10)
    assert playing.process.returncode == 0  # it exited and was waited for
    with pytest.raises(ChildProcessError):
        os.waitpid(playing.process.pid, os.WNOHANG)  # no zombie left to reap
    assert log.read_text().split() == [str(clip)]


def test_without_a_display_play_says_so(drawn: tuple[Path, str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    folder, shot_id = drawn
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    result = invoke("play", folder, shot_id)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("cannot play take ")
    assert "no display to play on (DISPLAY and WAYLAND_DISPLAY are unset)" in lines[0]


def test_without_a_player_play_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv("DISPLAY", ":0")
    clip = tmp_path / "take.mp4"
    clip.write_bytes(b"x")
    with pytest.raises(CannotPlay, match="no player found \\(mpv, ffplay or xdg-open\\)"):
        play(clip, wait=True)


def test_a_shot_without_takes_has_nothing_to_play(project_dir: Path) -> None:
    shot_id = Project.open(project_dir).shots()[0].id
    result = invoke("play", project_dir, shot_id)
    assert result.exit_code == 1
    assert f"{shot_id} has no finished take to play" in result.output
