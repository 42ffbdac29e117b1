"""Writing under a final name only once the file is complete; locks between exports."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from shotcraft.shots.files import atomic_target, file_lock, remove_stale_temps, temp_path


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "ep.srt"
    target.write_text("good")
    with pytest.raises(RuntimeError), atomic_target(target) as temp:
        temp.write_text("half")
        raise RuntimeError("verification failed")
    assert target.read_text() == "good"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ep.srt"]


def test_the_written_file_gets_the_umask_mode_even_from_a_0600_writer(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        with atomic_target(tmp_path / "ep.otio") as temp:
            temp.write_text("{}")
            temp.chmod(0o600)  # what tempfile-based writers leave
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "ep.otio").stat().st_mode) == 0o644


def test_two_writers_get_different_temp_names_beside_the_target(tmp_path: Path) -> None:
    with atomic_target(tmp_path / "ep.mp4") as one, atomic_target(tmp_path / "ep.mp4") as two:
        assert one != two and one.parent == two.parent == tmp_path
        assert one.name.startswith(".ep.") and one.name.endswith(".partial.mp4")
        one.write_text("1")
        two.write_text("2")
    assert (tmp_path / "ep.mp4").read_text() in {"1", "2"}


def test_stale_temps_of_one_target_are_removed_and_no_others(tmp_path: Path) -> None:
    mine = temp_path(tmp_path / "ep.mp4")
    other = temp_path(tmp_path / "ep.x.mp4")  # another output whose name starts the same
    for path in (mine, other, tmp_path / "ep.mp4"):
        path.write_text("x")
    assert remove_stale_temps(tmp_path / "ep.mp4") == 1
    assert not mine.exists() and other.exists() and (tmp_path / "ep.mp4").exists()


def test_a_second_process_waits_for_the_lock_and_says_so(tmp_path: Path) -> None:
    lock = tmp_path / ".ep.mp4.lock"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from shotcraft.shots.files import file_lock
        with file_lock({str(lock)!r}):
            print("held", flush=True)
            time.sleep(0.6)
    """)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    waits: list[float] = []
    started = time.monotonic()
    with file_lock(lock, on_wait=lambda: waits.append(time.monotonic())):
        waited = time.monotonic() - started
    assert len(waits) == 1 and waited > 0.4  # the holder kept it 0.6 s after saying so
    assert holder.wait() == 0 and not lock.exists()


def test_a_cancelled_wait_for_the_lock_stops_waiting(tmp_path: Path) -> None:
    lock = tmp_path / ".ep.mp4.lock"
    cancel, held, done = threading.Event(), threading.Event(), threading.Event()

    def hold() -> None:  # another export holds it (here a thread of this process)
        with file_lock(lock):
            held.set()
            done.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)
        threading.Timer(0.2, cancel.set).start()
        with pytest.raises(InterruptedError):
            with file_lock(lock, cancel=cancel):
                pass
    finally:
        done.set()
        holder.join()
    with file_lock(lock):  # free again once the holder is done
        pass
    assert not lock.exists()
