"""The ray executor on a local two-CPU Ray instance: same takes as the local executor, pipelines
kept on their worker, killed workers retried by the driver without duplicates or second
payments, cancel reaching the engines."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ray = pytest.importorskip("ray", reason="the ray extra is not installed")

from shotcraft.engine.executors import get_executor  # noqa: E402
from shotcraft.engine.executors.ray import RayExecutor  # noqa: E402
from shotcraft.projects import Project  # noqa: E402
from shotcraft.projects.draw import Draw  # noqa: E402
from shotcraft.shots.media import ffmpeg_binary, probe, read_frames, sha256_file  # noqa: E402
from shotcraft.shots.models import TakeKind, TakeStatus  # noqa: E402
from tests.engine import ray_support  # noqa: E402
from tests.engine.kling_server import FakeKling  # noqa: E402
from tests.engine.ray_support import MemorySource, batch  # noqa: E402
from tests.projects.conftest import write_script  # noqa: E402

pytestmark = pytest.mark.timeout(180)

REPO = Path(__file__).resolve().parents[2]
ACCESS = "ak-test-7f3e9c1d5a6b4c3d2e1f0a9b8c7d6e5f"
SECRET = "sk-test-0b5a8e2f44c6d7e8f9a0b1c2d3e4f5a6"


@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeKling]:
    path = tmp_path_factory.mktemp("kling") / "result.mp4"
    subprocess.run(
        [ffmpeg_binary(), "-v", "error", "-f", "lavfi", "-i", "testsrc=size=72x128:rate=10",
         "-t", "1", "-c:v", "libx264", "-pix_fmt", "yuv420p", str(path)], check=True)
    server = FakeKling(access_key=ACCESS, secret_key=SECRET, video=path.read_bytes()).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def workers_env(fake: FakeKling) -> dict[str, str]:
    """The workers' environment: the keys live there (shotcraft never sends them through Ray)."""
    return {
        "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "src")]),
        "SHOTCRAFT_PREVIZ_SCALE": "0.1",
        "SHOTCRAFT_KLING_BASE_URL": fake.base_url, "SHOTCRAFT_KLING_ACCESS_KEY": ACCESS,
        "SHOTCRAFT_KLING_SECRET_KEY": SECRET, "SHOTCRAFT_KLING_POLL_INTERVAL": "0.01",
        "SHOTCRAFT_KLING_POLL_MAX_INTERVAL": "0.02", "SHOTCRAFT_KLING_RETRY_DELAY": "0.01",
        "SHOTCRAFT_KLING_REQUEST_TIMEOUT": "5",
    }


@pytest.fixture(scope="module", autouse=True)
def cluster(workers_env: dict[str, str]) -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, runtime_env={
        "env_vars": workers_env, "worker_process_setup_hook": "tests.engine.ray_support.register"})
    yield
    ray.shutdown()


@pytest.fixture(autouse=True)
def here(workers_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The driver plans with the same settings the workers draw with."""
    for key, value in workers_env.items():
        if key != "PYTHONPATH":
            monkeypatch.setenv(key, value)
    ray_support.register()


def _project(root: Path) -> Project:
    project = Project.create(root / "proj", title="测试")
    project.import_script(write_script(root))
    return project


def _takes(project: Project) -> dict[tuple[str, int], Any]:
    return {(v.take.shot_id, v.take.number): v.take for shot in project.shots()
            for v in project.takes(shot.id)}


def _in_thread(target: Any) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            target()
        except BaseException as exc:  # noqa: BLE001 - the test asserts on it
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, errors


def _wait_for(condition: Any, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


def test_previz_through_ray_draws_the_same_takes_as_the_local_executor(tmp_path: Path) -> None:
    local = _project(tmp_path / "a")
    shutil.copytree(local.root, tmp_path / "copy")
    remote = Project.open(tmp_path / "copy")

    mine = local.draw(Draw(episode=1, takes=2))
    theirs = remote.draw(Draw(episode=1, takes=2, executor="ray"))

    wanted = 2 * len(local.shots(episode=1))
    assert (theirs.executor, theirs.done, theirs.failed) == ("ray", wanted, 0)
    assert (mine.done, mine.failed) == (wanted, 0)
    ours, others = _takes(local), _takes(remote)
    assert sorted(ours) == sorted(others)
    for key, take in ours.items():
        other = others[key]
        assert (other.seed, other.status) == (take.seed, TakeStatus.DONE)
        assert sha256_file(remote.take_path(other)) == sha256_file(local.take_path(take))


def test_a_diffusers_pipeline_is_loaded_once_per_worker(tmp_path: Path) -> None:
    pytest.importorskip("diffusers", reason="the diffusers extra is not installed")
    from shotcraft.engine import diffusers_tiny

    sd = diffusers_tiny.build_sd(tmp_path / "sd")
    project = _project(tmp_path)
    settings = {"keyframe_model": str(sd), "keyframe_steps": 2, "max_batch": 1,
                "keyframe_buckets": {"9:16": "32x32"}, "embeds_cache": str(tmp_path / "emb")}
    executor = get_executor("ray")
    try:
        shots = project.shots(episode=1)
        for shot in shots:  # two runs, two shots, two takes each: one worker, one load
            summary = project.draw(Draw(what="keyframes", shots=[shot.id], takes=2, engine="diffusers", engine_settings=settings, params={"width": 32, "height": 32}), executor=executor)
            assert (summary.done, summary.failed) == (2, 0), summary.results
        [worker] = executor.workers()  # no GPU here: one CPU worker stands in for the device
        assert ray.get(worker.stats.remote())["loads"] == 1
    finally:
        executor.close()
    for shot in shots:
        for view in project.takes(shot.id, kind=TakeKind.KEYFRAME):
            assert probe(project.take_path(view.take)).width == 32


def test_a_worker_killed_mid_run_is_retried_on_the_others_without_duplicates(tmp_path: Path) -> None:
    project = _project(tmp_path)
    executor = RayExecutor()
    killed: list[int] = []

    def kill_the_first_drawing_worker(event: Any) -> None:
        if event.kind != "progress" or killed:
            return
        for slot in executor.slots:
            if slot.batch is not None and slot.batch.request.shot_id == event.shot_id:
                killed.append(slot.pid)
                os.kill(slot.pid, signal.SIGKILL)
                return

    shots = [shot.id for shot in project.shots()[:3]]
    started = time.monotonic()
    try:
        summary = project.draw(Draw(shots=shots, takes=4), on_event=kill_the_first_drawing_worker, executor=executor)
        seconds = time.monotonic() - started
        assert killed and executor.retries == 1
        assert [ray.get(w.ping.remote()) for w in executor.workers()] != killed
    finally:
        executor.close()
    assert (summary.done, summary.failed) == (12, 0), (summary.results, seconds)
    for shot_id in shots:
        views = project.takes(shot_id)
        assert [v.take.number for v in views] == [1, 2, 3, 4]
        assert {v.take.status for v in views} == {TakeStatus.DONE}
        for view in views:
            assert len(read_frames(project.take_path(view.take), every=5)) > 0
    leftovers = list((project.root / "work").glob("*")) if (project.root / "work").exists() else []
    assert not [p for p in leftovers if p.is_dir()]


def test_a_paid_cloud_task_is_resumed_not_submitted_again(fake: FakeKling, tmp_path: Path) -> None:
    fake.created.clear()
    fake.hold = True  # tasks stay processing until a worker is dead
    source = MemorySource([batch(n, tmp_path, engine="kling", cloud=True) for n in (1, 2)])
    executor = RayExecutor()
    thread, errors = _in_thread(lambda: executor.run(source, cancel=threading.Event()))
    try:
        _wait_for(lambda: len(fake.created) == 2 and all(
            source.saved.get((f"job-{n}", 1), {}).get("task_id") for n in (1, 2)))
        victim = next(s for s in executor.slots if s.batch is not None and s.batch.id == "job-1")
        os.kill(victim.pid, signal.SIGKILL)
        _wait_for(lambda: victim.dead)
        fake.hold = False
        thread.join(60)
    finally:
        fake.hold = False
        executor.close()
    assert not thread.is_alive() and not errors
    assert len(fake.created) == 2  # one paid task per take, the dead worker's included
    [again] = source.retried
    assert (again.id, again.attempt) == ("job-1", 2)
    assert again.request.resume[1]["task_id"] == source.saved[("job-1", 1)]["task_id"]
    assert not source.abandoned
    for n in (1, 2):
        [take] = source.stored[f"job-{n}"].values()
        assert take.failed is None and source.contents[(f"job-{n}", 1)] == fake.video


def test_cancel_stops_the_workers_engines_and_hands_out_nothing_more(tmp_path: Path) -> None:
    source = MemorySource([batch(n, tmp_path, takes=2, settings={"seconds": 30}) for n in range(1, 5)])
    executor = RayExecutor()
    cancel = threading.Event()
    thread, errors = _in_thread(lambda: executor.run(source, cancel=cancel))
    try:
        _wait_for(lambda: {e.batch_id for e in source.events} >= {"job-1", "job-2"})
        started = time.monotonic()
        cancel.set()
        thread.join(20)
        stopped = time.monotonic() - started
    finally:
        executor.close()
    assert not thread.is_alive() and not errors
    assert stopped < 5, stopped  # not the 60 s each batch would have held its worker
    assert [b.id for b in source.handed] == ["job-1", "job-2"]
    assert sorted(r.batch_id for r in source.results) == ["job-1", "job-2"]  # still delivered
    assert all(not r.takes for r in source.results)


def test_files_can_come_back_through_a_shared_folder(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    source = MemorySource([batch(n, tmp_path / "driver", takes=2, settings={"seconds": 0})
                           for n in (1, 2, 3)])
    executor = RayExecutor(ray_shared_folder=shared)
    try:
        executor.run(source, cancel=threading.Event())
    finally:
        executor.close()
    assert len(source.contents) == 6
    assert source.contents[("job-3", 2)] == b"S03 2 302\n"
    assert list(shared.iterdir()) == []  # the workers' folders are gone once delivered
