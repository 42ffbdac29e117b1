"""The ray executor: batches drawn by engine workers (Ray actors) on a cluster.

- **Workers** are actors, one per GPU for GPU engines (`num_gpus=1`), one per CPU for the rest.
  Each builds its engine once (`get_engine(batch.engine, **batch.engine_settings)`) and keeps
  it across takes, shots and runs, so a diffusers pipeline stays loaded. CPU and cloud engines
  run on actors too, not tasks: an actor can be told to cancel (its engine's `threading.Event`
  is set through a second thread, `max_concurrency`), where a task can only be killed.
- **Files** come back as bytes through the object store (the worker draws into a temp folder of
  its own) and are written into `batch.out_dir` here, or through a shared folder.
- **Events** travel through a mailbox actor while the batch runs; a checkpoint waits for the
  driver's ack (the driver persisted it), so a cloud task id is saved before the engine submits.
- **Retries** are the driver's: actors are never restarted and calls never re-run by Ray. When a
  worker dies, `source.retry(batch)` gives the takes still owed with their saved provider state,
  and they go to a worker still alive; with none left, the batch is abandoned.

Ray is imported here only; `get_executor("ray")` turns its absence into a ConfigError.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import ray
from ray.exceptions import GetTimeoutError, RayActorError, RayError, RayTaskError

from shotcraft.engine.executors.base import (
    Batch,
    BatchEvent,
    BatchResult,
    BatchSource,
    Executor,
    ExecutorSettings,
)
from shotcraft.engine.executors.local import run_batch
from shotcraft.engine.protocol import Engine
from shotcraft.engine.registry import get_engine
from shotcraft.shots.errors import ConfigError, EngineError
from shotcraft.shots.files import atomic_target

POLL_SECONDS = 0.25  # longest a drain call waits for events before the driver looks around
# how long a cluster address may take to answer at all; ray.init itself retries for minutes
CONNECT_SECONDS = 10.0


def reach(address: str, timeout: float = CONNECT_SECONDS) -> None:
    """Refuse, in one sentence and within `timeout` seconds, a Ray address nothing answers at
    (a TCP connect to its host and port; "auto" and "local" are Ray's to find)."""
    if address in ("auto", "local"):
        return
    where = address.removeprefix("ray://")
    host, _, port = where.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"the Ray address {address} is not HOST:PORT (or ray://HOST:PORT).")
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host.strip("[]"), int(port)),
                                          timeout=max(0.1, deadline - time.monotonic())):
                return
        except OSError as exc:
            if time.monotonic() >= deadline or isinstance(exc, socket.gaierror):
                why = exc.strerror or type(exc).__name__
                raise ConfigError(
                    f"no Ray cluster answers at {address} ({why.lower()}, within "
                    f"{timeout:g} s); start one there (ray start --head) or check "
                    "--ray-address and SHOTCRAFT_RAY_ADDRESS. Nothing was queued.") from None
            time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))


class _Mailbox:
    """Events from workers to the driver; a checkpoint waits here for the driver's ack."""

    def __init__(self) -> None:
        self.events: list[tuple[str, BatchEvent]] = []  # (ack key or "", event)
        self.ready = asyncio.Event()
        self.acks: dict[str, asyncio.Event] = {}

    async def put(self, event: BatchEvent, key: str = "") -> None:
        self.events.append((key, event))
        self.ready.set()

    async def checkpoint(self, event: BatchEvent, key: str, timeout: float) -> bool:
        """Post a checkpoint and wait until the driver has persisted it (False: it did not)."""
        acked = self.acks[key] = asyncio.Event()
        await self.put(event, key)
        try:
            await asyncio.wait_for(acked.wait(), timeout)
            return True
        except TimeoutError:
            return False
        finally:
            self.acks.pop(key, None)

    async def ack(self, key: str) -> None:
        acked = self.acks.get(key)
        if acked is not None:
            acked.set()

    async def drain(self, timeout: float) -> list[tuple[str, BatchEvent]]:
        if not self.events:
            try:
                await asyncio.wait_for(self.ready.wait(), timeout)
            except TimeoutError:
                pass
        events, self.events = self.events, []
        self.ready.clear()
        return events

    async def wake(self) -> None:
        self.ready.set()


class _Worker:
    """An engine worker: keeps its engines loaded; draws one batch at a time."""

    def __init__(self, mailbox: Any, shared_folder: str | None, checkpoint_timeout: float) -> None:
        self.mailbox, self.checkpoint_timeout = mailbox, checkpoint_timeout
        self.shared_folder = Path(shared_folder) if shared_folder else None
        self.engines: dict[str, Engine] = {}
        self.loads = 0  # engines built here: a kept pipeline shows as one load
        self.cancelled = threading.Event()
        self.name = f"ray:{socket.gethostname()}:{os.getpid()}"

    def ping(self) -> int:
        """The worker's process id (tests kill it by that); clears a previous run's cancel."""
        self.cancelled.clear()
        return os.getpid()

    def stats(self) -> dict[str, Any]:
        return {"pid": os.getpid(), "loads": self.loads, "engines": sorted(self.engines)}

    def cancel(self) -> None:
        self.cancelled.set()

    def _engine(self, batch: Batch) -> Engine:
        key = f"{batch.engine}:{sorted(batch.engine_settings.items())!r}"
        if key not in self.engines:
            self.engines[key] = get_engine(batch.engine, **batch.engine_settings)
            self.loads += 1
        return self.engines[key]

    def _emit(self, event: BatchEvent) -> None:
        if event.kind != "checkpoint":
            self.mailbox.put.remote(event)  # progress is cheap and replaceable: never waited on
            return
        key = uuid.uuid4().hex
        ref = self.mailbox.checkpoint.remote(event, key, self.checkpoint_timeout)
        try:
            acked = ray.get(ref, timeout=self.checkpoint_timeout + 10)
        except (GetTimeoutError, RayError):
            acked = False
        if not acked:  # the take fails here rather than submitting work nobody could resume
            raise EngineError(
                f"take {event.take_number}: the render driver did not confirm its checkpoint "
                f"within {self.checkpoint_timeout:g}s, so it was not sent on")

    def draw(self, batch: Batch) -> tuple[BatchResult, dict[str, bytes]]:
        """Draw `batch` into a folder of this worker; files come back as bytes, or stay in the
        shared folder (their paths then point there)."""
        if self.shared_folder is not None:
            folder = self.shared_folder / f"{batch.id}-a{batch.attempt}-{uuid.uuid4().hex[:8]}"
            folder.mkdir(parents=True, exist_ok=True)
        else:
            folder = Path(tempfile.mkdtemp(prefix=f"shotcraft-{batch.id}-"))
        try:
            here = batch.model_copy(update={"out_dir": folder})
            try:
                engine = self._engine(batch)
            except Exception as exc:  # noqa: BLE001 - settings or packages this worker lacks
                return BatchResult(batch_id=batch.id, error=str(exc), worker=self.name), {}
            result = run_batch(engine, here, emit=self._emit, cancel=self.cancelled,
                               worker=self.name)
            if self.shared_folder is not None:
                return result, {}
            files: dict[str, bytes] = {}
            for take in result.takes:
                if take.path is not None:
                    files[take.path.name] = Path(take.path).read_bytes()
                    take.path = Path(take.path.name)
            return result, files
        finally:
            if self.shared_folder is None:
                shutil.rmtree(folder, ignore_errors=True)


@dataclass
class _Slot:
    """A worker as the driver sees it."""

    handle: Any
    pid: int
    batch: Batch | None = None
    dead: bool = False


@contextlib.contextmanager
def _sigterm_stays(caller: Any) -> Iterator[None]:
    """While ray.init runs, keep Ray from installing its SIGTERM handlers over the caller's
    Python handler. Ray's raise SystemExit, and ray.init forks its services: a SIGTERM that
    lands while the interpreter runs its at-fork hooks (logging's lock release) has that
    SystemExit printed as "Exception ignored" and dropped, so the stop was lost and the render
    went on. The caller's handler (the CLI's sets the draw's cancel event and returns) raises
    nothing there. Ray installs them through one function, `ray._private.utils
    .set_sigterm_handler`; where a Ray release lacks it, the old way (restore the caller's
    handler afterwards, turn Ray's exit into the caller's signal) still holds."""
    utils: Any = getattr(getattr(ray, "_private", None), "utils", None)
    install = getattr(utils, "set_sigterm_handler", None)
    if not callable(caller) or install is None:
        yield
        return
    utils.set_sigterm_handler = lambda _handler: None
    try:
        yield
    finally:
        utils.set_sigterm_handler = install


class RayExecutor(Executor):
    """Batches on Ray actors: one per GPU for GPU engines, one per CPU for the others."""

    name: ClassVar[str] = "ray"

    def __init__(self, *, settings: ExecutorSettings | None = None, ray_address: str | None = None,
                 ray_actors: int | None = None, ray_shared_folder: Path | str | None = None,
                 num_cpus: int | None = None, checkpoint_timeout: float = 60.0,
                 start_timeout: float = 120.0, store_threads: int = 2,
                 connect_timeout: float = CONNECT_SECONDS) -> None:
        settings = settings or ExecutorSettings()
        self.address = ray_address or settings.ray_address
        self.connect_timeout = connect_timeout
        if self.address and not ray.is_initialized():
            reach(self.address, connect_timeout)  # before anything is queued
        self.actors = ray_actors or settings.ray_actors
        shared = ray_shared_folder or settings.ray_shared_folder
        self.shared_folder = Path(shared) if shared else None
        self.num_cpus = num_cpus
        self.checkpoint_timeout, self.start_timeout = checkpoint_timeout, start_timeout
        self.store_threads = max(1, store_threads)
        self.started_ray = False
        self.mailbox: Any = None
        self.slots: list[_Slot] = []
        self.pool_key: tuple[bool, int] | None = None
        self.cancel_sent = False
        self.retries = 0  # batches handed to another worker after theirs died (for the log)

    # --- the cluster ---------------------------------------------------------------------

    def _connect(self) -> None:
        if ray.is_initialized():
            return  # a caller's Ray (tests, benchmarks, a notebook): theirs to shut down
        if self.address:
            reach(self.address, self.connect_timeout)
        # ray.init installs its own SIGTERM handlers (exit, then a slow shutdown); the caller's
        # (the CLI's: stop the draw, put its takes back in the queue) stays in charge
        main = threading.current_thread() is threading.main_thread()
        caller = signal.getsignal(signal.SIGTERM) if main else None
        stopped = False
        try:
            with _sigterm_stays(caller):
                if self.address:
                    ray.init(address=self.address, include_dashboard=False, log_to_driver=True)
                else:
                    ray.init(num_cpus=self.num_cpus or os.cpu_count(), include_dashboard=False)
        except SystemExit as exit_:  # ray.init's own handler met a SIGTERM while it started
            if not main or exit_.code != signal.SIGTERM:
                raise
            stopped = True
        except (ConnectionError, RuntimeError, ValueError) as exc:
            where = self.address or "a local Ray instance"
            raise ConfigError(f"could not connect to Ray at {where}: {exc}") from exc
        finally:
            self.started_ray = ray.is_initialized()
            if main and caller is not None:
                signal.signal(signal.SIGTERM, caller)
        if stopped:  # the caller's handler hears it (the CLI: stop the draw)
            os.kill(os.getpid(), signal.SIGTERM)

    def _pool(self, gpu: bool) -> list[_Slot]:
        """Live workers for GPU or CPU engines, started (or kept from an earlier run)."""
        resources = ray.cluster_resources()
        cpus, gpus = float(resources.get("CPU", 1)), float(resources.get("GPU", 0))
        if gpu and gpus >= 1:
            count = self.actors or int(gpus)
            options: dict[str, Any] = {"num_gpus": min(1.0, gpus / count), "num_cpus": 0}
        else:
            count = self.actors or (1 if gpu else max(1, int(cpus)))
            options = {"num_cpus": min(1.0, cpus / count)}
        key = (gpu, count)
        alive = [s for s in self.slots if not s.dead]
        if key == self.pool_key and alive:
            pids = ray.get([s.handle.ping.remote() for s in alive], timeout=self.start_timeout)
            for slot, pid in zip(alive, pids, strict=True):
                slot.pid = pid
            return alive
        self._stop_workers()
        if self.mailbox is None:
            self.mailbox = ray.remote(_Mailbox).options(num_cpus=0, max_restarts=0).remote()
        actor: Any = ray.remote(_Worker).options(max_restarts=0, max_task_retries=0,
                                                 max_concurrency=4, **options)
        folder = str(self.shared_folder) if self.shared_folder else None
        handles: list[Any] = [actor.remote(self.mailbox, folder, self.checkpoint_timeout) for _ in range(count)]
        pings = {h.ping.remote(): h for h in handles}
        ready, waiting = ray.wait(list(pings), num_returns=len(pings), timeout=self.start_timeout)
        for ref in waiting:  # the cluster has no room for it: never leave a batch waiting there
            ray.kill(pings[ref])
        self.slots = [_Slot(pings[ref], ray.get(ref)) for ref in ready]
        if not self.slots:
            need = "a GPU" if gpu and gpus >= 1 else "a CPU"
            raise ConfigError(f"the Ray cluster found no room for an engine worker ({need} each) "
                              f"within {self.start_timeout:g}s.")
        self.pool_key = key
        return list(self.slots)

    def workers(self) -> list[Any]:
        """The live worker actors (for tests: `ray.get(w.stats.remote())`)."""
        return [s.handle for s in self.slots if not s.dead]

    # --- a run ---------------------------------------------------------------------------

    def run(self, source: BatchSource, *, cancel: threading.Event) -> None:
        if cancel.is_set():
            return
        self._connect()  # before any take is claimed: a stop while Ray starts leaves none running
        batch = source.next_batch() if not cancel.is_set() else None
        if batch is None:
            return
        slots = self._pool(batch.gpu)
        self.cancel_sent = False
        owed: deque[Batch] = deque([batch])  # retries first, then what the source hands out
        running: dict[Any, _Slot] = {}
        storing: list[Future[None]] = []
        failure: list[BaseException] = []
        exhausted = False
        drain = self.mailbox.drain.remote(POLL_SECONDS)
        with ThreadPoolExecutor(max_workers=self.store_threads, thread_name_prefix="store") as pool:
            while True:
                storing = [f for f in storing if not f.done()]
                stopping = cancel.is_set() or bool(failure)
                if cancel.is_set() and not self.cancel_sent:
                    for slot in slots:
                        if not slot.dead:
                            slot.handle.cancel.remote()
                    self.cancel_sent = True
                for slot in slots:
                    if stopping or slot.dead or slot.batch is not None:
                        continue
                    if not owed and not exhausted:
                        more = source.next_batch()
                        if more is None:
                            exhausted = True
                        else:
                            owed.append(more)
                    if not owed:
                        break
                    slot.batch = owed.popleft()
                    running[slot.handle.draw.remote(slot.batch)] = slot
                if stopping:
                    for left in owed:
                        source.abandon(left, "cancelled" if cancel.is_set() else "the render stopped")
                    owed.clear()
                if not running and (exhausted or stopping) and not owed:
                    break
                ready, _ = ray.wait([*running, drain], num_returns=1, timeout=POLL_SECONDS)
                if drain in ready:
                    self._forward(source, ray.get(drain))
                    drain = self.mailbox.drain.remote(POLL_SECONDS)
                for ref in ready:
                    if ref is drain or ref not in running:
                        continue
                    slot = running.pop(ref)
                    done, slot.batch = slot.batch, None
                    assert done is not None
                    self._collect(source, ref, slot, done, slots, owed, cancel, pool, storing,
                                  failure)
            for future in storing:
                future.result()
        self.mailbox.wake.remote()
        self._forward(source, ray.get(drain))
        if failure:
            raise failure[0]

    def _collect(self, source: BatchSource, ref: Any, slot: _Slot, batch: Batch,
                 slots: list[_Slot], owed: deque[Batch], cancel: threading.Event,
                 pool: ThreadPoolExecutor, storing: list[Future[None]],
                 failure: list[BaseException]) -> None:
        """A batch came back: store it on a store thread, or hand it on if its worker died."""
        try:
            result, files = ray.get(ref)
        except RayTaskError as exc:  # the engine broke with something not a ShotcraftError
            cause = exc.cause if exc.cause is not None else exc
            result = BatchResult(batch_id=batch.id, worker=f"ray:{slot.pid}", error=(
                f"the engine broke on worker {slot.pid}: {type(cause).__name__}: {cause}"))
            files = {}
        except (RayActorError, RayError) as exc:  # the worker died: the driver decides
            slot.dead = True
            reason = f"its Ray worker (pid {slot.pid}) died: {type(exc).__name__}"
            again = source.retry(batch)
            if again is None:
                source.abandon(batch, "cancelled" if cancel.is_set() else reason)
            elif any(not s.dead for s in slots):
                self.retries += 1
                owed.appendleft(again)
            else:
                source.abandon(again, f"{reason}, and no worker is left")
            return

        def store() -> None:
            try:
                self._bring_back(batch, result, files)
                source.deliver(batch, result)
            except BaseException as exc:
                failure.append(exc)
                raise

        storing.append(pool.submit(store))

    def _bring_back(self, batch: Batch, result: BatchResult, files: dict[str, bytes]) -> None:
        """Put the batch's files into the driver's `out_dir` and point the takes at them."""
        batch.out_dir.mkdir(parents=True, exist_ok=True)
        shared = self.shared_folder.glob(f"{batch.id}-a{batch.attempt}-*") if self.shared_folder else []
        for take in result.takes:
            if take.path is None:
                continue
            target = batch.out_dir / take.path.name
            if take.path.name in files:
                with atomic_target(target) as temp:  # never a half-written file under its name
                    temp.write_bytes(files[take.path.name])
            elif take.path.is_absolute() and take.path.exists():
                shutil.move(str(take.path), target)  # from the shared folder
            else:
                take.path, take.failed = None, take.failed or "its file did not come back from the worker"
                continue
            take.path = target
        for folder in shared:  # what the worker left there: its files have moved out
            shutil.rmtree(folder, ignore_errors=True)

    def _forward(self, source: BatchSource, events: list[tuple[str, BatchEvent]]) -> None:
        for key, event in events:
            source.event(event)  # a checkpoint is persisted when this returns
            if key:
                self.mailbox.ack.remote(key)  # now the worker may go on

    # --- the end -------------------------------------------------------------------------

    def _stop_workers(self) -> None:
        for slot in self.slots:
            if not slot.dead:
                try:
                    ray.kill(slot.handle)
                except RayError:
                    pass
        self.slots, self.pool_key = [], None

    def close(self) -> None:
        if not ray.is_initialized():
            return
        self._stop_workers()
        if self.mailbox is not None:
            ray.kill(self.mailbox)
            self.mailbox = None
        if self.started_ray:
            ray.shutdown()
            self.started_ray = False

