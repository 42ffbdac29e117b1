"""Executors: the ray executor against the local one, and how ray scales over GPU workers.

    .venv/bin/python benchmarks/executors.py [--takes 2] [--scale 0.25] [--hold 0.25]

(a) The same previz card draw (every shot of the sample script, `--takes` each) through the
    Project facade on two copies of one project: local executor (2 threads) vs ray executor
    (2 actors on `ray.init(num_cpus=2)`). Ratio ray/local of the render's wall time (goal ≤ 1.15);
    `ray.init` is excluded, the actors' start is included in the first ray run and reported.
(b) Scaling: a stand-in GPU engine that holds its "device" for `--hold` seconds per take, 64
    one-take batches on 1, 2, 4, 8 actors (`ray.init(num_gpus=8)`: logical GPUs). Run on the
    executor directly with a minimal in-memory BatchSource (storing is not what is measured),
    actors warm. Efficiency = ideal/actual makespan (goal ≥ 0.9 at 8).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from shotcraft.engine.executors import Batch, BatchEvent, BatchResult  # noqa: E402
from shotcraft.engine.protocol import (  # noqa: E402
    Capabilities,
    Engine,
    RenderedTake,
    RenderRequest,
)
from shotcraft.projects.draw import Draw  # noqa: E402
from shotcraft.shots.models import TakeKind  # noqa: E402


class HoldEngine(Engine):
    """Holds its device for `seconds` per take (a stand-in for a GPU pipeline), writes a byte."""

    name = "bench-hold"
    version = "1"

    def __init__(self, seconds: float = 0.25) -> None:
        self.seconds = float(seconds)

    def capabilities(self, kind: TakeKind = TakeKind.VIDEO) -> Capabilities:
        return Capabilities(gpu=True)

    def render(self, request: RenderRequest, *, out_dir: Path, progress: Any = None,
               cancel: threading.Event | None = None, checkpoint: Any = None) -> list[RenderedTake]:
        takes = []
        for number, seed in zip(request.take_numbers, request.seeds, strict=True):
            time.sleep(self.seconds)
            path = Path(out_dir) / f"take-{number}.bin"
            path.write_bytes(b"\0")
            takes.append(RenderedTake(take_number=number, seed=seed, path=path))
        return takes


def register() -> None:
    """Ray's worker_process_setup_hook: the stand-in engine, known in every worker."""
    from shotcraft.engine import registry

    registry.ENGINES.add("bench-hold", "executors:HoldEngine")


class Source:
    """The smallest BatchSource: hands out batches, counts deliveries."""

    parallel = 8

    def __init__(self, batches: list[Batch]) -> None:
        self.batches, self.delivered = list(batches), 0
        self.lock = threading.Lock()

    def next_batch(self) -> Batch | None:
        with self.lock:
            return self.batches.pop(0) if self.batches else None

    def event(self, event: BatchEvent) -> None:
        return None

    def retry(self, batch: Batch) -> Batch | None:
        return None

    def deliver(self, batch: Batch, result: BatchResult) -> None:
        with self.lock:
            self.delivered += len(result.takes)

    def abandon(self, batch: Batch, reason: str) -> None:
        raise RuntimeError(reason)


def hold_batches(count: int, hold: float, out: Path) -> list[Batch]:
    request = {"prompt": "bench", "width": 16, "height": 16, "fps": 24, "num_frames": 24}
    return [Batch(id=f"b{n}", engine="bench-hold", engine_settings={"seconds": hold},
                  request=RenderRequest(shot_id=f"S{n}", seeds=[n], take_numbers=[1], **request),
                  out_dir=out / f"b{n}", gpu=True) for n in range(count)]


def previz_vs_local(takes: int) -> None:
    from shotcraft.engine.executors.ray import RayExecutor
    from shotcraft.projects import Project
    from tests.projects.conftest import write_script

    root = Path(tempfile.mkdtemp(prefix="shotcraft-bench-"))
    try:
        base = Project.create(root / "base", title="bench")
        base.import_script(write_script(root))
        for name in ("local", "ray1", "ray2"):
            shutil.copytree(base.root, root / name)
        count = len(base.shots()) * takes
        started = time.perf_counter()
        local = Project.open(root / "local").draw(Draw(takes=takes, executor="local"))
        local_s = time.perf_counter() - started
        executor = RayExecutor()
        try:
            started = time.perf_counter()
            first = Project.open(root / "ray1").draw(Draw(takes=takes), executor=executor)
            cold_s = time.perf_counter() - started
            started = time.perf_counter()
            second = Project.open(root / "ray2").draw(Draw(takes=takes), executor=executor)
            warm_s = time.perf_counter() - started
        finally:
            executor.close()
        assert local.done == first.done == second.done == count, (local, first, second)
        print(f"(a) previz, {count} takes ({len(base.shots())} shots × {takes}), 2 workers each, "
              "through the Project facade (plan, draw, store, score); ray.init excluded")
        print(f"    local executor            {local_s:7.2f} s")
        print(f"    ray, actors starting      {cold_s:7.2f} s   ratio {cold_s / local_s:.2f}")
        print(f"    ray, actors kept (warm)   {warm_s:7.2f} s   ratio {warm_s / local_s:.2f}"
              "   (goal ≤ 1.15)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def scaling(hold: float, takes: int = 64) -> None:
    from shotcraft.engine.executors.ray import RayExecutor

    root = Path(tempfile.mkdtemp(prefix="shotcraft-bench-"))
    print(f"(b) scaling: stand-in GPU engine holding {hold:g} s per take, {takes} one-take batches, "
          "executor run directly on an in-memory BatchSource (no storing), actors warm")
    try:
        for actors in (1, 2, 4, 8):
            executor = RayExecutor(ray_actors=actors)
            try:
                executor.run(Source(hold_batches(actors, 0.0, root / "warm")),
                             cancel=threading.Event())  # starts the actors
                source = Source(hold_batches(takes, hold, root / f"a{actors}"))
                started = time.perf_counter()
                executor.run(source, cancel=threading.Event())
                actual = time.perf_counter() - started
            finally:
                executor.close()
            assert source.delivered == takes
            ideal = takes * hold / actors
            print(f"    {actors} actor{'s' if actors > 1 else ' '}  ideal {ideal:6.2f} s  actual "
                  f"{actual:6.2f} s  efficiency {ideal / actual:.2f}"
                  + ("   (goal ≥ 0.9)" if actors == 8 else ""))
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--takes", type=int, default=2)
    parser.add_argument("--scale", type=float, default=0.25, help="SHOTCRAFT_PREVIZ_SCALE")
    parser.add_argument("--hold", type=float, default=0.25)
    args = parser.parse_args()
    try:
        import ray
    except ImportError:
        print("ray is not installed (pip install 'shotcraft[ray]'); skipped")
        return
    os.environ["SHOTCRAFT_PREVIZ_SCALE"] = str(args.scale)
    env = {"SHOTCRAFT_PREVIZ_SCALE": str(args.scale),
           "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT), str(ROOT / "src")])}
    started = time.perf_counter()
    ray.init(num_cpus=2, num_gpus=8, include_dashboard=False, logging_level="WARNING",
             runtime_env={"env_vars": env, "worker_process_setup_hook": "executors.register"})
    print(f"ray.init (not counted below): {time.perf_counter() - started:.2f} s")
    try:
        previz_vs_local(args.takes)
        scaling(args.hold)
    finally:
        ray.shutdown()


if __name__ == "__main__":
    main()
