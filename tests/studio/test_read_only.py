"""A project on a read-only mount: everything can be read, every change is one sentence.

The folder is bind-mounted read-only (as root, which a plain permission bit would not stop):
SQLite in WAL mode cannot even read such a folder the usual way, so this is the real case.
"""

from __future__ import annotations

import gc
import json
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from shotcraft.projects import Project
from shotcraft.projects.draw import Draw
from shotcraft.shots.models import TakeStatus
from shotcraft.studio.tui.app import make_app
from shotcraft.studio.tui.screens.board import BoardScreen
from shotcraft.studio.tui.screens.takes import TakesScreen
from tests.projects.conftest import write_script
from tests.studio.conftest import invoke
from tests.studio.test_tui_studio import shot_ids_shown

SHOT = "E01-S01-001"


def _mount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *args], capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def writable(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with a picked take and a second one, closed cleanly (no -wal left)."""
    base = tmp_path_factory.mktemp("ro")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SHOTCRAFT_PREVIZ_SCALE", "0.1")
        project = Project.create(base / "proj", title="只读")
        project.import_script(write_script(base))
        project.draw(Draw(shots=[SHOT], takes=2))
        project.pick(SHOT, 1)
        project.close()
    return base / "proj"


@contextmanager
def mounted_read_only(source: Path, target: Path) -> Iterator[Path]:
    """`source` bind-mounted read-only at `target` (skips, saying why, where mounting is impossible)."""
    if shutil.which("mount") is None:
        pytest.skip("no mount command to make a read-only bind mount")
    target.mkdir()
    done = _mount("--bind", str(source), str(target))
    if done.returncode != 0:
        pytest.skip(f"cannot bind-mount here (needs root): {done.stderr.strip()}")
    try:
        remount = _mount("-o", "remount,ro,bind", str(target))
        if remount.returncode != 0:
            pytest.skip(f"cannot remount read-only here: {remount.stderr.strip()}")
        yield target
    finally:
        gc.collect()  # the studio's Pilot app may still hold its project until collected
        subprocess.run(["umount", "--lazy", str(target)], check=True)


@pytest.fixture
def read_only(writable: Path, tmp_path: Path) -> Iterator[Path]:
    with mounted_read_only(writable, tmp_path / "mounted") as target:
        yield target


def test_the_mount_really_is_read_only_even_for_root(read_only: Path) -> None:
    with pytest.raises(OSError, match="Read-only file system"):
        (read_only / "probe").touch()


def test_read_commands_work_on_a_read_only_project(read_only: Path, writable: Path) -> None:
    shots = invoke("shots", read_only, "--json")
    assert shots.exit_code == 0, shots.output
    data = json.loads(shots.stdout)
    first = data["episodes"][0]["scenes"][0]["shots"][0]
    assert first["id"] == SHOT and first["picked_take"] == 1
    assert sum(len(s["shots"]) for ep in data["episodes"] for s in ep["scenes"]) == 10
    takes = invoke("takes", read_only, SHOT, "--json")
    assert takes.exit_code == 0, takes.output
    listed = json.loads(takes.stdout)
    assert [t["take"] for t in listed] == [1, 2] and all(t["status"] == "done" for t in listed)
    people = invoke("characters", read_only, "--json")
    assert people.exit_code == 0 and {"林晚", "顾言"} <= {c["name"] for c in json.loads(people.stdout)}
    assert invoke("shots", read_only).exit_code == 0  # the table too
    assert sorted(p.name for p in read_only.iterdir()) == sorted(p.name for p in writable.iterdir())


@pytest.mark.parametrize("args", [
    ["pick", SHOT, "2"],
    ["pick", "--auto"],
    ["render", "--shot", SHOT, "--takes", "1"],
    ["import", "SCRIPT"],
    ["export", "--episode", "1"],
    ["add-take", SHOT, "SCRIPT"],
], ids=lambda args: args[0] + (" --auto" if "--auto" in args else ""))
def test_write_commands_say_the_folder_is_read_only(read_only: Path, tmp_path: Path,
                                                    args: list[str]) -> None:
    script = write_script(tmp_path)
    result = invoke(args[0], read_only, *[str(script) if a == "SCRIPT" else a for a in args[1:]])
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"error: the project folder {read_only.resolve()} is read-only; ")
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert json.loads(invoke("shots", read_only, "--json").stdout)["episodes"][0]["scenes"][0][
        "shots"][0]["picked_take"] == 1


def test_an_old_project_on_a_read_only_folder_is_not_upgraded(tmp_path: Path) -> None:
    old = Path(__file__).resolve().parents[1] / "data" / "projects"
    sample = next(p for p in sorted(old.iterdir()) if (p / "shotcraft.db").is_file())
    copy = tmp_path / "old"
    shutil.copytree(sample, copy)
    with mounted_read_only(copy, tmp_path / "mounted") as target:
        before = (copy / "shotcraft.db").read_bytes()
        result = invoke("shots", target, "--json")
        assert result.exit_code == 1
        assert "needs an upgrade" in result.stderr and "can't be written on a read-only folder" in result.stderr
        assert (copy / "shotcraft.db").read_bytes() == before


async def test_the_studio_opens_read_only_and_refuses_a_pick(read_only: Path) -> None:
    app_ = make_app(read_only)
    notes: list[str] = []
    async with app_.run_test(size=(160, 48)) as pilot:
        original = app_.notify

        def heard(message: str, **kwargs: object) -> None:
            notes.append(message)
            original(message, **kwargs)  # type: ignore[arg-type]

        app_.notify = heard  # type: ignore[method-assign]
        assert app_.project.read_only
        await pilot.pause()
        board = app_.screen
        assert isinstance(board, BoardScreen) and len(shot_ids_shown(board)) == 10
        await pilot.press("enter")  # open the first shot
        await pilot.pause()
        await pilot.press("ctrl+t")  # its takes
        await pilot.pause()
        screen = app_.screen
        assert isinstance(screen, TakesScreen)
        assert sorted(v.take.number for v in screen.views) == [1, 2]
        assert all(v.take.status == TakeStatus.DONE for v in screen.views)
        await pilot.press("down", "p")
        await pilot.pause()
    assert any("is read-only; pick needs to write there" in note for note in notes), notes
    assert app_.last_error is not None and "read-only" in app_.last_error.message


def test_a_project_copied_while_open_shows_what_its_wal_holds(writable: Path, tmp_path: Path) -> None:
    import sqlite3

    source = tmp_path / "live"
    shutil.copytree(writable, source)
    holder = sqlite3.connect(source / "shotcraft.db")  # keeps -wal and -shm in place
    holder.execute("PRAGMA wal_autocheckpoint=0")
    holder.execute("UPDATE shot SET prompt = '雨夜 WAL' WHERE id = ?", (SHOT,))
    holder.commit()
    copy = tmp_path / "副本 copy"
    shutil.copytree(source, copy)
    holder.close()
    assert (copy / "shotcraft.db-wal").stat().st_size > 0
    with mounted_read_only(copy, tmp_path / "只读 mounted") as target:
        result = invoke("shots", target, "--json")
        assert result.exit_code == 0, result.output
        first = json.loads(result.stdout)["episodes"][0]["scenes"][0]["shots"][0]
        assert first["prompt"] == "雨夜 WAL"
