"""Bounded waits: a Ray address nothing answers at fails in seconds with one sentence and
queues nothing; SIGTERM stops a render within seconds and puts the takes it was drawing back
in the queue, where the next render finds them."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.studio.conftest import invoke


def shotcraft(*args: object, **popen: object) -> subprocess.Popen[str]:
    env = {**os.environ, "SHOTCRAFT_PREVIZ_SCALE": "0.15"}
    return subprocess.Popen([sys.executable, "-m", "shotcraft.studio.cli", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            **popen)  # type: ignore[call-overload]


def statuses(folder: Path) -> list[str]:
    with sqlite3.connect(folder / "shotcraft.db") as db:
        return [row[0] for row in db.execute("SELECT status FROM take ORDER BY id")]


def test_a_ray_address_nobody_answers_at_is_one_sentence_within_seconds(project_dir: Path) -> None:
    started = time.monotonic()
    proc = shotcraft("render", project_dir, "--shot", "E01-S01-001", "--takes", "1",
                     "--executor", "ray", "--ray-address", "127.0.0.1:1")
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError("still trying to reach Ray after a minute") from None
    assert time.monotonic() - started < 30
    assert proc.returncode == 1
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines == [line for line in lines if line.startswith("error: no Ray cluster answers "
                                                             "at 127.0.0.1:1")], err
    assert "Nothing was queued" in err
    assert statuses(project_dir) == []  # no take queued, none left running


def test_sigterm_stops_a_render_within_seconds_and_requeues_its_takes(project_dir: Path) -> None:
    proc = shotcraft("render", project_dir, "--episode", "1", "--takes", "3")
    deadline = time.monotonic() + 120
    while "done" not in statuses(project_dir) or "running" not in statuses(project_dir):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the render never got going"
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    stopped = time.monotonic()
    out, err = proc.communicate(timeout=30)
    # the goal is 5 s (benchmarks/stop_render.py: 0.9-2.2 s on the loaded 2-core machine); 10 s
    # here catches a stop that waits for a batch (a signal the kernel gave a worker thread
    # waited for the batch to end: 13-22 s)
    assert time.monotonic() - stopped < 10, "SIGTERM took more than 10 s"
    assert proc.returncode == 128 + signal.SIGTERM
    assert "stopped by SIGTERM" in err and "went back to the queue" in err
    after = statuses(project_dir)
    assert "running" not in after and "failed" not in after
    assert after.count("queued") >= 1
    done = after.count("done")
    listed = json.loads(invoke("takes", project_dir, "E01-S01-001", "--json").stdout)
    assert all(take["status"] in ("done", "queued") for take in listed)
    again = shotcraft("render", project_dir)  # a bare render finishes what was asked
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    assert f"resumed {len(after) - done} interrupted takes" in out
    assert set(statuses(project_dir)) == {"done"}


def test_sigterm_stops_a_render_on_ray_and_requeues_its_takes(project_dir: Path) -> None:
    """On the ray executor too, whether the signal comes while Ray starts (ray.init installs a
    SIGTERM handler of its own) or while the workers draw."""
    for wait_for in ("queued", "running"):  # queued: the takes are queued and Ray is starting
        proc = shotcraft("render", project_dir, "--episode", "1", "--takes", "2",
                         "--executor", "ray")
        deadline = time.monotonic() + 180
        while wait_for not in statuses(project_dir):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the render never got going"
            time.sleep(0.02)
        proc.send_signal(signal.SIGTERM)
        stopped = time.monotonic()
        out, err = proc.communicate(timeout=60)
        # measured 4.2 s on the 2-core machine, most of it ray.shutdown of the local instance
        assert time.monotonic() - stopped < 10, "SIGTERM took more than 10 s on Ray"
        assert proc.returncode == 128 + signal.SIGTERM, err
        assert "stopped by SIGTERM" in err
        assert "running" not in statuses(project_dir)


WATCH_RAY_START = """
import os, signal
from shotcraft.engine.executors.ray import RayExecutor

def stop(number, frame):  # the CLI's kind: set the draw's cancel event, raise nothing
    pass

signal.signal(signal.SIGTERM, stop)
at_forks = []
os.register_at_fork(after_in_parent=lambda: at_forks.append(signal.getsignal(signal.SIGTERM)))
executor = RayExecutor(num_cpus=1)
executor._connect()
print(len(at_forks), sum(handler is not stop for handler in at_forks),
      signal.getsignal(signal.SIGTERM) is stop)
executor.close()
"""


def test_ray_start_never_holds_a_sigterm_handler_that_a_fork_would_swallow() -> None:
    """The way a stop was lost on Ray: ray.init forks its services, and Ray's own SIGTERM
    handler (it raises SystemExit) was installed while it did. A SIGTERM landing in the
    interpreter's at-fork hooks then had its SystemExit printed as "Exception ignored in:
    _releaseLock" and dropped, and the render drew on (seen once in CI). The caller's handler
    must be the one installed at every fork."""
    done = subprocess.run([sys.executable, "-c", WATCH_RAY_START], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    forks, foreign, kept = done.stdout.split()[-3:]
    assert int(forks) >= 1, "ray.init forked nothing: this test no longer watches the window"
    assert foreign == "0", f"Ray's handler was installed at {foreign} of {forks} forks"
    assert kept == "True"


def test_sigterm_stops_an_export_and_keeps_the_previous_episode(project_dir: Path) -> None:
    drew = shotcraft("render", project_dir, "--episode", "1", "--takes", "1")
    assert drew.wait(timeout=300) == 0
    first = shotcraft("export", project_dir, "--episode", "1", "--preset", "test-small",
                      "--subtitles", "none")
    assert first.wait(timeout=300) == 0
    episode = project_dir / "exports" / "episode-01.mp4"
    before = episode.read_bytes()
    # a full-size re-export, stopped while its clips are being normalised
    proc = shotcraft("export", project_dir, "--episode", "1", "--preset", "vertical-1080",
                     "--subtitles", "burn")
    deadline = time.monotonic() + 120
    while not list((project_dir / "cache").glob(".clip-*.partial")):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the export never started encoding"
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    stopped = time.monotonic()
    out, err = proc.communicate(timeout=60)
    assert time.monotonic() - stopped < 10, "SIGTERM took more than 10 s"
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "stopped by SIGTERM: the export was abandoned" in err
    assert episode.read_bytes() == before
    assert not list((project_dir / "exports").glob(".*partial*"))
