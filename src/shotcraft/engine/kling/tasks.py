"""The never-pay-twice machinery every Kling task goes through: one piece, used by video takes
(client.TakeRun), their extensions, keyframe stills (stills.StillRun) and lip-sync takes
(lipsync.LipsyncRun).

A task costs money once Kling has created it, so:
- the account's parallel-task slots are shared process-wide (`SLOTS`);
- before every POST the take's state is checkpointed as "submitting" (with whatever lets the
  task be found again: an `external_task_id`, or the parent video and the time it was sent),
  and right after it, with the `task_id` Kling gave; the project stores each checkpoint;
- a submit whose answer is lost (a dropped connection, a 5xx) is looked for before it is sent
  again (`_send`'s `find`): by external id where the endpoint takes one, in the endpoint's task
  list where it does not (video-extend, lip-sync);
- a resumed take with a saved `task_id` is polled, never submitted;
- results are streamed to a `.part` file and renamed when complete (Kling keeps them 30 days).
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shotcraft.engine.protocol import (
    CheckpointFn,
    Progress,
    ProgressFn,
    RenderedTake,
    RenderRequest,
)

try:  # the `kling` extra; without it the engine refuses to start before a take is run
    import httpx
except ImportError:  # pragma: no cover - exercised only on installs without the extra
    httpx = None  # type: ignore[assignment]

from shotcraft.engine.kling.extend import LIST_PAGE_SIZE
from shotcraft.engine.kling.planner import TaskPlan
from shotcraft.engine.kling.settings import (
    REGION_HOSTS,
    REGION_NAMES,
    RESULT_LIFETIME,
    KlingSettings,
)

if TYPE_CHECKING:
    from shotcraft.engine.kling.engine import KlingEngine

log = logging.getLogger(__name__)


class _Stop(Exception):
    """Raised inside a take to stop it with one sentence (and maybe stop later submits)."""

    def __init__(self, message: str, *, stop_all: bool = False, auth: bool = False) -> None:
        super().__init__(message)
        self.message, self.stop_all, self.auth = message, stop_all, auth


class _NotFound(Exception):
    pass


class _Cancelled(Exception):
    pass


_BALANCE_CODES = {1100, 1101, 1102}  # account exception / in arrears / resource pack used up
_RATE_CODES = {1302, 1303}  # requests too fast / concurrency over the package's limit
_NOT_FOUND_CODES = {1203}  # requested resource does not exist


class TaskSlots:
    """The account's parallel-task limit, process-wide: Kling counts a task from `submitted`
    until it ends, for all keys of the account (Kling "Concurrency Rules"), so every render call
    of this process (the local executor runs batches in threads) shares these slots."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.running = 0
        self.waiting = 0
        self.peak = 0

    def acquire(self, limit: int, on_wait: Any, cancel: threading.Event) -> None:
        """Take a slot, calling `on_wait(waiting, limit)` once when this take has to wait."""
        limit = max(1, limit)
        with self._cond:
            if self.running < limit:
                self._take()
                return
            self.waiting += 1
            waiting = self.waiting
        try:
            on_wait(waiting, limit)  # outside the lock: a progress callback may be slow
            with self._cond:
                while self.running >= limit:
                    if cancel.is_set():
                        raise _Cancelled
                    self._cond.wait(0.05)
                self._take()
        finally:
            with self._cond:
                self.waiting -= 1

    def _take(self) -> None:
        self.running += 1
        self.peak = max(self.peak, self.running)

    def release(self) -> None:
        with self._cond:
            self.running -= 1
            self._cond.notify_all()


SLOTS = TaskSlots()


def refuses_keys(status: int, code: int) -> bool:
    """Kling's answer says the keys themselves were refused (auth codes, or an account the
    keys cannot use): nothing else sent with them will do better."""
    return status in (401, 403) or 1000 <= code <= 1004 or code == 1103


def region_refusal(s: KlingSettings, status: int, code: int) -> str:
    """One sentence for a key the host refused: which region's host, and that keys are per region."""
    host = REGION_HOSTS[s.region].removeprefix("https://")
    where = f"the {REGION_NAMES[s.region]} host ({host})"
    if s.base_url.rstrip("/") != REGION_HOSTS[s.region]:
        where += f" at {s.base_url}"
    other = "global" if s.region == "china" else "china"
    return (f"The Kling key was refused by {where} (HTTP {status}, code {code}); keys are per "
            f"region: set SHOTCRAFT_KLING_REGION={other} or use a {REGION_NAMES[s.region]} key in "
            "SHOTCRAFT_KLING_ACCESS_KEY and SHOTCRAFT_KLING_SECRET_KEY.")


class TaskRun:
    """One render call: shared client, stop flags, and the calls every task state machine uses.

    Subclasses write `take(take_number, seed)`; they submit through `_send` (or
    `_find_or_submit` for endpoints that take an external_task_id), poll with `_poll` and
    fetch with `_download`.
    """

    def __init__(self, engine: KlingEngine, request: RenderRequest, plan: TaskPlan,
                 out_dir: Path, progress: ProgressFn, cancel: threading.Event,
                 checkpoint: CheckpointFn) -> None:
        self.engine, self.s = engine, engine.settings
        self.request, self.plan, self.out_dir = request, plan, out_dir
        self.progress, self.cancel, self.checkpoint = progress, cancel, checkpoint
        self.client: httpx.Client
        self.stop_reason: str | None = None  # set once: no more submits
        self.auth_error: str | None = None
        self.lock = threading.Lock()
        self.prefix = "/v1/videos"  # the API family the plan's endpoint lives under

    # one take, start to finish
    def _stopped(self, result: RenderedTake, stop: _Stop) -> RenderedTake:
        """A take Kling refused: its reason on the take; an auth or account refusal stops the
        takes not yet sent too."""
        with self.lock:
            if stop.stop_all and self.stop_reason is None:
                self.stop_reason = stop.message
            if stop.auth:
                self.auth_error = stop.message
        result.failed = stop.message
        return result

    def _save(self, take_number: int, state: dict[str, Any]) -> None:
        self.checkpoint(take_number, dict(state))

    def _find_or_submit(self, take_number: int, state: dict[str, Any]) -> dict[str, Any] | None:
        """The task for this take: resumed by task id, found by external id, or submitted."""
        if state.get("task_id"):
            state.setdefault("endpoint", self.plan.endpoint)
            return None  # resume polling; never resubmit
        if state.get("external_task_id"):
            state.setdefault("endpoint", self.plan.endpoint)
            # an earlier run may have submitted and lost the answer: ask before paying again
            try:
                task = self._query(state["endpoint"], state["external_task_id"])
            except _NotFound:
                task = None
            if task is not None:
                state.update(task_id=task["task_id"], state="submitted")
                self._save(take_number, state)
                return task
        else:
            state = self._new_state(take_number, state)
        return self._submit(take_number, state)


    @contextmanager
    def slot(self, take_number: int) -> Iterator[None]:
        """Hold one of the account's task slots (process-wide) while a task runs."""
        SLOTS.acquire(self.s.max_tasks, lambda waiting, limit: self.progress(Progress(
            take_number=take_number, done=0.0,
            message=(f"kling: {waiting} take{'s' if waiting != 1 else ''} waiting for a free "
                     f"Kling task slot (limit {limit})"))), self.cancel)
        try:
            yield
        finally:
            SLOTS.release()

    what = "take"  # how a broken take is named: "Kling take 3 broke: …"
    failed_task = "the task"  # "Kling failed the task: …"

    def take(self, take_number: int, seed: int) -> RenderedTake | None:
        """One take, start to finish: a result (maybe failed, with its reason), or None when
        cancelled before it was paid for. A take that breaks is reported, never raised."""
        result = RenderedTake(take_number=take_number, seed=seed, params=dict(self.plan.params),
                              downgrades=list(self.plan.downgrades))
        state = dict(self.request.resume.get(take_number) or {})
        try:
            if self.cancel.is_set():
                raise _Cancelled
            return self._draw(take_number, state, result)
        except _Cancelled:
            return None
        except _Stop as stop:
            return self._stopped(result, stop)
        except Exception as exc:  # the protocol: a broken take is a failed take
            log.warning("kling %s %s broke: %s", self.what, take_number, type(exc).__name__)
            result.failed = f"Kling {self.what} {take_number} broke: {type(exc).__name__}: {exc}"
            return result

    def _draw(self, take_number: int, state: dict[str, Any],
              result: RenderedTake) -> RenderedTake:
        """Submit (or resume), poll and fetch one take into `result`; raise _Stop to fail it."""
        raise NotImplementedError

    def _finished_video(self, task: dict[str, Any], result: RenderedTake) -> dict[str, Any] | None:
        """The finished task's video, or None with the reason on `result`."""
        if task.get("task_status") == "failed":
            reason = task.get("task_status_msg") or "no reason given"
            result.failed = f"Kling failed {self.failed_task}: {reason.rstrip('.')}."
            return None
        video = ((task.get("task_result") or {}).get("videos") or [{}])[0]
        if not video.get("url"):
            result.failed = "Kling reported success but sent no video URL."
            return None
        return dict(video)

    def _keep_video(self, take_number: int, task: dict[str, Any], video: dict[str, Any],
                    result: RenderedTake) -> None:
        """Record the video's id, when Kling deletes it and its length; download it now."""
        created = task.get("created_at")
        born = (datetime.fromtimestamp(created / 1000, UTC) if isinstance(created, int | float)
                else datetime.now(UTC))
        result.provider.update(video_id=video.get("id"),
                               url_expires_hint=(born + RESULT_LIFETIME).isoformat())
        if video.get("duration") is not None:
            result.params["video_duration"] = str(video["duration"])
        result.path = self._download(take_number, video["url"])

    def _new_state(self, take_number: int, state: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def _submit(self, take_number: int, state: dict[str, Any]) -> dict[str, Any]:
        """Submit the plan's task under its external id; a lost answer is asked for by it."""
        state["endpoint"] = self.plan.endpoint
        body = dict(self.plan.body, external_task_id=state["external_task_id"])

        def find() -> dict[str, Any] | None:
            try:
                return self._query(state["endpoint"], state["external_task_id"])
            except _NotFound:
                return None

        data = self._send(take_number, state, state, f"{self.prefix}/{state['endpoint']}", body,
                          find, what="the task", after=f"nothing was paid for take {take_number}")
        self.progress(Progress(take_number=take_number, done=0.05, message="kling: submitted"))
        return data

    def _sent_before(self, take_number: int, state: dict[str, Any], step: dict[str, Any],
                     find: Callable[[], dict[str, Any] | None]) -> dict[str, Any] | None:
        """The task an earlier run was sending for `step` (saved "submitting": killed mid-POST,
        or its answer lost), found with `find` and saved; None when there is none to resume."""
        if step.get("state") != "submitting":
            return None
        found = find()
        if found is not None:
            step.update(task_id=found["task_id"], state="submitted")
            self._save(take_number, state)
        return found

    def _send(self, take_number: int, state: dict[str, Any], step: dict[str, Any], path: str,
              body: dict[str, Any], find: Callable[[], dict[str, Any] | None], *, what: str,
              after: str) -> dict[str, Any]:
        """POST `body` once: `step` (the take's state, or one step of it) is saved as
        "submitting" before each try and with Kling's task id after; when an answer is lost the
        task is looked for with `find` before it is sent again, so it is never paid twice."""
        s = self.s
        delay = s.retry_delay
        for attempt in range(s.retries + 1):
            with self.lock:
                if self.stop_reason:
                    raise _Stop(f"Not submitted: {self.stop_reason}")
            if self.cancel.is_set():
                raise _Cancelled
            step["state"] = "submitting"
            step.setdefault("sent_at", time.time())
            self._save(take_number, state)  # before the call: a crash mid-call stays findable
            try:
                data = self._call("POST", path, body, submit=True)
                break
            except _LostAnswer as lost:
                found = find()
                if found is not None:
                    data = found
                    break
                if attempt == s.retries:
                    raise _Stop(f"Kling did not take {what} after {s.retries + 1} tries "
                                f"({lost}); {after}.") from None
                self._sleep(delay)
                delay *= 2
        step.update(task_id=data["task_id"], state="submitted")
        self._save(take_number, state)
        return data

    def _list(self, endpoint: str, what: str = "extension") -> list[dict[str, Any]]:
        """The newest tasks of `endpoint` (Kling's list query, one page of LIST_PAGE_SIZE)."""
        s = self.s
        delay = s.retry_delay
        for attempt in range(s.retries + 1):
            headers = {"Authorization": f"Bearer {self.engine._bearer()}"}
            why, definite = "", False
            try:
                response = self.client.request(
                    "GET", s.base_url.rstrip("/") + f"/v1/videos/{endpoint}",
                    params={"pageNum": 1, "pageSize": LIST_PAGE_SIZE}, headers=headers)
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                why = type(exc).__name__
            else:
                try:
                    payload = response.json()
                except (json.JSONDecodeError, UnicodeDecodeError):
                    payload = None
                if (response.status_code == 200 and isinstance(payload, dict)
                        and payload.get("code") == 0 and isinstance(payload.get("data"), list)):
                    return [t for t in payload["data"] if isinstance(t, dict)]
                why = f"HTTP {response.status_code}"
                definite = response.status_code != 429 and response.status_code < 500
            if definite or attempt == s.retries:
                # not knowing whether the task exists, do not send it again
                raise _Stop(f"Could not read Kling's {endpoint} task list ({why}); the "
                            f"{what} was not sent again, so nothing is paid twice; draw "
                            "again later to resume.")
            self._sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")

    def _query(self, endpoint: str, task_or_external_id: str) -> dict[str, Any]:
        return self._call("GET", f"{self.prefix}/{endpoint}/{task_or_external_id}", None)

    def _poll(self, take_number: int, endpoint: str, task_id: str,
              task: dict[str, Any] | None) -> dict[str, Any]:
        s = self.s
        started = time.monotonic()
        wait = s.poll_interval
        while True:
            if task is not None and task.get("task_status") in ("succeed", "failed"):
                return task
            if task is not None:
                status = task.get("task_status", "?")
                elapsed = time.monotonic() - started
                done = 0.1 if status == "submitted" else min(0.9, 0.2 + elapsed / 300)
                self.progress(Progress(take_number=take_number, done=done,
                                       message=f"kling: {status}"))
            if time.monotonic() - started > s.max_poll_seconds:
                raise _Stop(f"Kling task {task_id} was still running after "
                            f"{s.max_poll_seconds:.0f} s; draw again later to resume it unpaid.")
            self._sleep(wait)
            wait = min(s.poll_max_interval, wait * s.poll_backoff)
            try:
                task = self._query(endpoint, task_id)
            except _NotFound as exc:
                raise _Stop(f"Kling no longer knows task {task_id}.") from exc

    def _sleep(self, seconds: float) -> None:
        jittered = seconds * (1 + random.uniform(-self.s.jitter, self.s.jitter))
        if self.cancel.wait(max(0.0, jittered)):
            raise _Cancelled

    def _call(self, method: str, path: str, body: dict[str, Any] | None, *,
              submit: bool = False) -> dict[str, Any]:
        """One API call with bounded retries; returns `data`, raises _Stop/_NotFound."""
        s = self.s
        delay = s.retry_delay
        what = "submitting" if submit else "asking about"
        for attempt in range(s.retries + 1):
            last = attempt == s.retries
            headers = {"Authorization": f"Bearer {self.engine._bearer()}"}
            try:
                response = self.client.request(method, s.base_url.rstrip("/") + path,
                                               json=body, headers=headers)
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                log.debug("kling %s %s: %s", method, path, type(exc).__name__)
                if submit:  # it may have reached Kling: the caller looks before resending
                    raise _LostAnswer(type(exc).__name__) from None
                if last:
                    raise _Stop(f"Kling did not answer after {s.retries + 1} tries "
                                f"({type(exc).__name__}) while {what} the task.") from None
                self._sleep(delay)
                delay *= 2
                continue
            code, message, data = _parse(response)
            log.debug("kling %s %s → HTTP %s code %s", method, path, response.status_code, code)
            if response.status_code == 200 and code == 0:
                return data
            if refuses_keys(response.status_code, code):
                raise _Stop(region_refusal(s, response.status_code, code), stop_all=True,
                            auth=True)
            if code in _BALANCE_CODES:
                raise _Stop(f"Kling account cannot pay for more takes (code {code}: {message}); "
                            "top up the resource pack, then draw again.", stop_all=True)
            if response.status_code == 404 or code in _NOT_FOUND_CODES:
                if not submit:
                    raise _NotFound(path)
            retryable = response.status_code == 429 or code in _RATE_CODES or (
                response.status_code >= 500)
            if not retryable:
                raise _Stop(f"Kling rejected the request (HTTP {response.status_code}, code "
                            f"{code}): {message}")
            if last:
                raise _Stop(f"Kling kept failing (HTTP {response.status_code}, code {code}) "
                            f"after {s.retries + 1} tries while {what} the task.")
            if submit and response.status_code >= 500:
                raise _LostAnswer(f"HTTP {response.status_code}")  # the task may exist anyway
            self._sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")

    def _download(self, take_number: int, url: str) -> Path:
        """Stream the result into out_dir at once (Kling deletes it after 30 days)."""
        s = self.s
        final = self.out_dir / f"{self.request.shot_id}-t{take_number}.mp4"
        part = final.with_suffix(".part")
        delay = s.retry_delay
        for attempt in range(s.retries + 1):
            try:
                size = 0
                # no Authorization header: the result URL is a CDN link and needs no token
                with self.client.stream("GET", url) as response:
                    if response.status_code != 200:
                        raise _Retry(f"HTTP {response.status_code}")
                    expected = response.headers.get("content-length")
                    with part.open("wb") as fh:
                        for chunk in response.iter_bytes(1 << 16):
                            size += len(chunk)
                            if size > s.max_download_bytes:
                                raise _Stop(f"Kling's video for take {take_number} is larger "
                                            f"than {s.max_download_bytes} bytes; not kept.")
                            fh.write(chunk)
                if expected is not None and int(expected) != size:
                    raise _Retry(f"got {size} of {expected} bytes")
                if size == 0 or b"ftyp" not in part.read_bytes()[:16]:
                    raise _Stop(f"Kling's video for take {take_number} is not an MP4 file.")
                part.replace(final)
                return final
            except (_Retry, httpx.TransportError) as exc:
                part.unlink(missing_ok=True)
                if attempt == s.retries:
                    raise _Stop(f"Could not download take {take_number} from Kling ({exc}); "
                                "draw again to resume the download unpaid.") from None
                self._sleep(delay)
                delay *= 2
            except _Stop:
                part.unlink(missing_ok=True)
                raise
        raise AssertionError("unreachable")



class _LostAnswer(Exception):
    """A submit whose answer never came: the task may or may not exist."""


class _Retry(Exception):
    pass


def _parse(response: httpx.Response) -> tuple[int, str, dict[str, Any]]:
    """Kling's envelope {code, message, data}; a non-JSON answer reads as code -1."""
    try:
        payload = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return -1, f"non-JSON answer (HTTP {response.status_code})", {}
    if not isinstance(payload, dict):
        return -1, "unexpected answer", {}
    code = payload.get("code")
    data = payload.get("data")
    return (int(code) if isinstance(code, int) else -1, str(payload.get("message") or ""),
            data if isinstance(data, dict) else {})
