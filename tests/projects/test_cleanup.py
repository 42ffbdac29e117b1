"""Leftovers of dead runs are removed by the next command; a live run's files are never touched."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shotcraft.projects import Project
from shotcraft.projects.cleanup import sweep
from shotcraft.projects.draw import Draw

HOUR = 3600


def _pid_of_finished_process() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(done.stdout)


@pytest.fixture
def dead_pid() -> int:
    return _pid_of_finished_process()


@pytest.fixture
def live_pid() -> Iterator[int]:
    """A process that is alive for the whole test: stands in for a render in another process."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        yield proc.pid
    finally:
        proc.kill()
        proc.wait()


def _write(path: Path, data: bytes = b"x" * 100, *, age: float = 0.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if age:
        stamp = time.time() - age
        os.utime(path, (stamp, stamp))
    return path


def _leftovers(root: Path, pid: int, *, age: float = 0.0) -> list[Path]:
    """One of each kind a run leaves when it dies (names as render, normalize and export write them)."""
    return [
        _write(root / "work" / f"{pid}-17" / "take-001.mp4", age=age),
        _write(root / "cache" / f".tmp-4572349f82190667-{pid}-140241177401024" / "part-0.mp4", age=age),
        _write(root / "cache" / f".tmp-join-2db6e87e-{pid}-140199494407872.mp4", age=age),
        _write(root / "cache" / f".probe-377fe523.json.{pid}.140199494407872", age=age),
        _write(root / "media" / "takes" / "ab" / f".ab12cd.mp4.{pid}.partial", age=age),
        _write(root / "media" / "frames" / f".ab12cd-thumb.png.{pid}.png", age=age),
        _write(root / "script" / f".drama.txt.{pid}.partial", age=age),
        _write(root / "exports" / f".episode-01.{pid}-0a1b2c3d.partial.mp4", age=age),
        _write(root / "cache" / f".clip-4572349f.{pid}-0a1b2c3d.partial.mp4", age=age),
    ]


def _ancestor_under(path: Path, folder: Path) -> Path:
    """The entry directly inside `folder` that holds `path` (what a sweep removes)."""
    return folder / path.relative_to(folder).parts[0]


def test_the_next_command_removes_what_a_dead_run_left(project: Project, dead_pid: int) -> None:
    root = project.root
    left = _leftovers(root, dead_pid)
    project.close()
    reopened = Project.open(root)  # any command: work/, cache/, exports/, script/
    in_media = [path for path in left if "media" in path.parts]
    for path in left:
        assert path.exists() == (path in in_media), f"{path.relative_to(root)} after the next open"
    assert list((root / "work").iterdir()) == [] and not list((root / "cache").iterdir())
    swept = sweep(reopened.store)  # render and export: media/ too
    reopened.close()
    assert not any(path.exists() for path in in_media)
    assert len(swept.temps) == len(in_media) and swept.work == [] and swept.orphans == []


def test_a_live_runs_files_are_untouched(project: Project, live_pid: int) -> None:
    root = project.root
    left = _leftovers(root, live_pid, age=30 * 60)  # half an hour quiet is not yet abandoned
    fresh_export = _write(root / "exports" / ".episode-01.partial.mp4")  # no pid: kept while fresh
    export_lists = _write(root / "cache" / ".export-k2j3h4l5" / "list.txt", age=30 * 60)
    os.utime(export_lists.parent, (time.time() - 30 * 60, time.time() - 30 * 60))
    just_stored = _write(root / "media" / "takes" / "cd" / ("cd" * 32 + ".mp4"))  # not yet registered
    project.close()
    reopened = Project.open(root)
    sweep(reopened.store)
    reopened.close()
    for path in [*left, fresh_export, export_lists, just_stored]:
        assert path.exists(), f"{path.relative_to(root)} of a live run was removed"


def test_temps_without_a_pid_go_once_stale_and_orphaned_media_after_an_hour(
    project: Project, small_previz: None,
) -> None:
    project.draw(Draw(shots=[project.shots()[0].id], takes=1))
    registered = [p for p in (project.root / "media" / "takes").rglob("*") if p.is_file()]
    assert registered
    for path in registered:  # a registered take is never an orphan, however old
        os.utime(path, (time.time() - 5 * HOUR, time.time() - 5 * HOUR))
    stale_export = _write(project.root / "exports" / ".episode-01.partial.mp4", age=20 * 60)
    stale_lists = _write(project.root / "cache" / ".export-k2j3h4l5" / "list.txt", age=2 * HOUR)
    os.utime(stale_lists.parent, (time.time() - 2 * HOUR, time.time() - 2 * HOUR))
    orphan = _write(project.root / "media" / "takes" / "ef" / ("ef" * 32 + ".mp4"), age=2 * HOUR)
    swept = sweep(project.store)
    assert not stale_export.exists() and not orphan.exists() and not stale_lists.parent.exists()
    assert swept.orphans == [f"media/takes/ef/{'ef' * 32}.mp4"]
    assert all(path.exists() for path in registered)


def test_render_and_export_sweep_orphans_first(project: Project, small_previz: None, dead_pid: int) -> None:
    orphan = _write(project.root / "media" / "takes" / "ef" / ("ef" * 32 + ".mp4"), age=2 * HOUR)
    work = _write(project.root / "work" / f"{dead_pid}-3" / "take-001.mp4")
    project.draw(Draw(shots=[project.shots()[0].id], takes=1))
    assert not orphan.exists() and not work.exists()
    orphan = _write(project.root / "media" / "takes" / "ef" / ("ef" * 32 + ".mp4"), age=2 * HOUR)
    from shotcraft.projects.export import export_options

    project.export(1, export_options(preset="test-small", subtitles="none"))
    assert not orphan.exists()


def test_a_concurrent_render_in_another_process_is_not_disturbed(
    project: Project, small_previz: None,
) -> None:
    """A render runs in another process while this one opens and sweeps the project over and over."""
    root = project.root
    project.close()
    env = {**os.environ, "SHOTCRAFT_PREVIZ_SCALE": "0.1"}
    other = subprocess.Popen(
        [sys.executable, "-m", "shotcraft.studio.cli", "render", str(root), "--episode", "1",
         "--takes", "1"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    saw_work = False
    while other.poll() is None:
        opened = Project.open(root)
        sweep(opened.store)
        opened.close()
        saw_work = saw_work or any((root / "work").iterdir())
        time.sleep(0.1)
    out, errors = other.communicate()
    assert other.returncode == 0, errors
    assert "drew 7 takes, 0 failed" in out
    assert saw_work, "the render finished before the sweeps could overlap it"
    reopened = Project.open(root)
    try:
        views = [v for shot in reopened.shots(episode=1) for v in reopened.takes(shot.id)]
        assert len(views) == 7 and all(v.take.status.value == "done" for v in views)
        assert all(reopened.take_path(v.take) and reopened.take_path(v.take).is_file() for v in views)
    finally:
        reopened.close()
