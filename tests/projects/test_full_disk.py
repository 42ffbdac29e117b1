"""Running out of disk in render, export and import, on a real (small) tmpfs.

Each test mounts its own tmpfs inside tmp_path, fills it with a filler file until the kernel
says ENOSPC, and drives the CLI in a child process (as a director would: its pid is dead
afterwards, so its leftovers are a dead run's). Mounting needs root, as in CI; where the
mount is impossible the tests skip and say why.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from shotcraft.projects import Project
from shotcraft.projects.db import JobRow
from shotcraft.projects.draw import Draw
from shotcraft.shots.errors import DiskFullError
from shotcraft.shots.media import ffprobe_binary
from tests.projects.conftest import SCRIPT, write_script

DISK_MB = 16
PRESET = "test-small"


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """A 16 MB tmpfs mounted in tmp_path, unmounted afterwards whatever happened."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (CI runs these as root)")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_MB}m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def fill(disk: Path, *, leave: int = 0) -> Path:
    """Write a filler until the disk is full, then give back `leave` bytes; returns the filler."""
    filler = disk / "filler"
    chunk = b"\0" * 65536
    with open(filler, "wb", buffering=0) as out:
        try:
            while True:
                out.write(chunk)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    small = b"\0" * 512  # the last partial chunk
    with open(filler, "ab", buffering=0) as out:
        try:
            while True:
                out.write(small)
        except OSError:
            pass
    if leave:
        os.truncate(filler, max(0, filler.stat().st_size - leave))
    return filler


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SHOTCRAFT_PREVIZ_SCALE": "0.1", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "shotcraft.studio.cli", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=240)


def the_sentence(done: subprocess.CompletedProcess[str], project: Path) -> str:
    assert done.returncode == 1, (done.stdout, done.stderr)
    lines = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, done.stderr
    sentence = lines[0].removeprefix("error: ")
    assert sentence.startswith(f"the disk holding {project} is full: "), sentence
    assert sentence.endswith(" MB free."), sentence
    return sentence


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def leftovers(project: Path) -> list[str]:
    """Temp files, partial files and work folders anywhere in the project."""
    found = [p for p in (project / "work").iterdir()]
    for path in project.rglob("*"):
        name = path.name
        if name.startswith(".tmp-") or ".partial" in name or (
                name.startswith(".") and path.parent.name == "frames"):
            found.append(path)
    return sorted(str(p.relative_to(project)) for p in found)


def decoded_frames(path: Path, stream: str = "v:0") -> int:
    probe = ffprobe_binary()
    assert probe is not None
    done = subprocess.run(
        [probe, "-v", "error", "-count_frames", "-select_streams", stream, "-show_entries",
         "stream=nb_read_frames", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True)
    return int(done.stdout.strip())


def new_project(disk: Path, tmp_path: Path) -> Path:
    root = disk / "proj"
    assert cli("new", root).returncode == 0
    done = cli("import", root, write_script(tmp_path))
    assert done.returncode == 0, done.stderr
    return root


def takes_of(root: Path) -> dict[tuple[str, int], tuple[str, str | None]]:
    project = Project.open(root)
    try:
        return {(shot.id, view.take.number): (view.take.status.value, view.take.media_path)
                for shot in project.shots() for view in project.takes(shot.id)}
    finally:
        project.close()


def job_states(root: Path) -> list[str]:
    project = Project.open(root)
    try:
        with project.db.read() as session:
            return [job.state for job in session.exec(select(JobRow)).all()]
    finally:
        project.close()


@pytest.mark.parametrize("leave", [0, 1024 * 1024], ids=["brim-full", "fills-mid-render"])
def test_a_render_on_a_full_disk_stops_with_one_sentence_and_keeps_earlier_takes(
    disk: Path, tmp_path: Path, leave: int,
) -> None:
    root = new_project(disk, tmp_path)
    assert cli("render", root, "--episode", "1", "--takes", "1").returncode == 0
    before = takes_of(root)
    files = {key: digest(root / media) for key, (_status, media) in before.items() if media}
    assert len(files) == 8  # one take of each shot of episode 1

    filler = fill(disk, leave=leave)
    the_sentence(cli("render", root, "--episode", "1", "--takes", "2"), root)
    filler.unlink()

    after = takes_of(root)
    statuses = [status for status, _media in after.values()]
    assert "running" not in statuses and "running" not in job_states(root)
    for key, sha in files.items():  # the takes drawn before are untouched, rows and files
        assert after[key] == before[key] and digest(root / before[key][1]) == sha  # type: ignore[operator]
    for status, media in after.values():  # whatever this run finished is whole
        if status == "done":
            assert media and decoded_frames(root / media) > 0
        else:
            assert status == "queued" and media is None
    registered = {media for _status, media in after.values() if media}
    stored = {p.relative_to(root).as_posix() for p in (root / "media" / "takes").rglob("*") if p.is_file()}
    assert stored == registered, "a file half-stored on the full disk was kept"

    assert cli("shots", root).returncode == 0  # the next command, any command
    assert leftovers(root) == []
    if leave == 0:  # no room even to open the database: nothing was queued
        assert after == before
        return
    assert "queued" in statuses, "the disk did not fill: give the test less room"
    assert statuses.count("done") > 7, "the disk filled before any take: give the test more room"
    finished = cli("render", root, "--episode", "1")  # room again: the interrupted takes are drawn
    assert finished.returncode == 0, finished.stderr
    assert "resumed" in finished.stdout
    final = takes_of(root)
    assert final.keys() == after.keys()
    assert all(status == "done" for status, _media in final.values())


def test_an_export_on_a_full_disk_keeps_the_earlier_episode_and_never_reuses_a_truncated_clip(
    disk: Path, tmp_path: Path,
) -> None:
    root = new_project(disk, tmp_path)
    assert cli("render", root, "--episode", "1", "--takes", "1").returncode == 0
    good = cli("export", root, "--episode", "1", "--preset", PRESET, "--json")
    assert good.returncode == 0, good.stderr
    episode = Path(json.loads(good.stdout)["output"])
    kept = digest(episode)
    project = Project.open(root)
    expected = sum(shot.duration_frames for shot in project.shots(episode=1))
    project.close()

    for clip in (root / "cache").iterdir():  # a cold cache: the export has clips to write
        if clip.is_file():  # (cache/exports/ notes what the last export played, no clip)
            clip.unlink()
    for leave in (0, 40 * 1024):  # no room at all, then room for a clip or two and no more
        filler = fill(disk, leave=leave)
        the_sentence(cli("export", root, "--episode", "1", "--preset", PRESET), root)
        assert digest(episode) == kept, "the failed export replaced the earlier episode"
        filler.unlink()

    done = cli("export", root, "--episode", "1", "--preset", PRESET, "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["duration_frames"] == expected
    assert decoded_frames(episode) == expected, "a truncated cache clip was reused"
    assert leftovers(root) == []


def test_an_import_on_a_full_disk_keeps_the_storyboard_and_the_script(disk: Path, tmp_path: Path) -> None:
    root = new_project(disk, tmp_path)
    project = Project.open(root)
    shots_before = [(s.id, s.action, s.dialogue) for s in project.shots()]
    project.close()
    kept_script = root / "script" / "drama.txt"
    script_before = kept_script.read_bytes()
    changed = write_script(tmp_path / "v2", SCRIPT.replace("推门走进咖啡馆", "冲进雨夜的咖啡馆")) \
        if (tmp_path / "v2").mkdir() is None else None
    assert changed is not None and changed.name == "drama.txt"

    for leave in (0, 8 * 1024):
        filler = fill(disk, leave=leave)
        the_sentence(cli("import", root, changed), root)
        filler.unlink()
        project = Project.open(root)
        assert [(s.id, s.action, s.dialogue) for s in project.shots()] == shots_before
        project.close()
        assert kept_script.read_bytes() == script_before
        assert leftovers(root) == []


def test_a_worker_meeting_the_full_disk_while_claiming_leaves_no_take_running(
    project: Project, small_previz: None, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two workers: one halts on the full disk while the other has just claimed its next batch
    and fails preparing it (here: the disk refuses the chained first frame). The claimed takes
    go back to the queue with the one sentence, instead of staying "running" until a lease
    expires."""
    import shotcraft.projects.draw.run as render_module

    real = render_module.request_for
    calls = {"n": 0}

    def filling(*args: object, **kwargs: object):  # noqa: ANN202
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(render_module, "request_for", filling)
    shots = [s.id for s in project.shots(episode=1)[:3]]
    with pytest.raises(DiskFullError) as caught:  # one worker: the order is deterministic
        project.draw(Draw(shots=shots, takes=1, executor_options={"workers": 1}))
    assert str(caught.value).startswith("the disk holding")
    statuses = [v.take.status.value for s in shots for v in project.takes(s)]
    assert "running" not in statuses
    assert statuses.count("queued") == 2 and statuses.count("done") == 1
    with project.db.read() as session:
        assert {job.state for job in session.exec(select(JobRow)).all()} == {"done", "queued"}
    monkeypatch.setattr(render_module, "request_for", real)
    project.draw(Draw(shots=shots))  # the next render draws what the full disk left
    assert [v.take.status.value for s in shots for v in project.takes(s)] == ["done"] * 3
