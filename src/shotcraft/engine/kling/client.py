"""One render call against Kling's API: submit, poll and download each take, resumably."""

from __future__ import annotations

import json
import logging
import random
import threading
import time
import uuid
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

from shotcraft.engine.kling.extend import ENDPOINT as EXTEND
from shotcraft.engine.kling.extend import LIST_PAGE_SIZE, extension_cost
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


class TakeRun:
    """One render call: shared client, stop flags, and the per-take state machine."""

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
    def take(self, take_number: int, seed: int) -> RenderedTake | None:
        plan = self.plan
        result = RenderedTake(take_number=take_number, seed=seed, params=dict(plan.params),
                              downgrades=list(plan.downgrades))
        state = dict(self.request.resume.get(take_number) or {})
        try:
            if self.cancel.is_set():
                raise _Cancelled
            SLOTS.acquire(self.s.max_tasks, lambda waiting, limit: self.progress(Progress(
                take_number=take_number, done=0.0,
                message=(f"kling: {waiting} take{'s' if waiting != 1 else ''} waiting for a free "
                         f"Kling task slot (limit {limit})"))), self.cancel)
            try:
                task = self._find_or_submit(take_number, state)
                endpoint = state["endpoint"]
                for key in ("endpoint", "external_task_id", "model_name", "mode", "duration",
                            "sound"):
                    if key in state:
                        result.params[key] = state[key]
                result.provider = {"task_id": state["task_id"],
                                   "external_task_id": state.get("external_task_id")}
                task = self._poll(take_number, endpoint, state["task_id"], task)
            finally:
                SLOTS.release()
            if task.get("task_status") == "failed":
                reason = task.get("task_status_msg") or "no reason given"
                result.failed = f"Kling failed the task: {reason}"
                return result
            video = ((task.get("task_result") or {}).get("videos") or [{}])[0]
            if not video.get("url"):
                result.failed = "Kling reported success but sent no video URL."
                return result
            if plan.extensions:  # the last extension's video is the whole take
                task, video = self._extend(take_number, state, video)
                result.provider["extends"] = [{k: step.get(k) for k in ("task_id", "video_id")}
                                              for step in state["extends"]]
            created = task.get("created_at")
            born = (datetime.fromtimestamp(created / 1000, UTC) if isinstance(created, int | float)
                    else datetime.now(UTC))
            result.provider.update(video_id=video.get("id"),
                                   url_expires_hint=(born + RESULT_LIFETIME).isoformat())
            if video.get("duration") is not None:
                result.params["video_duration"] = str(video["duration"])
            result.path = self._download(take_number, video["url"])
            result.cost_credits = self._cost_of(state)
            self.progress(Progress(take_number=take_number, done=1.0, message="kling: downloaded"))
            return result
        except _Cancelled:
            return None
        except _Stop as stop:
            return self._stopped(result, stop)
        except Exception as exc:  # a take that breaks is reported, never raised (protocol)
            log.warning("kling take %s broke: %s", take_number, type(exc).__name__)
            result.failed = f"Kling take {take_number} broke: {type(exc).__name__}: {exc}"
            return result

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

    def _cost_of(self, state: dict[str, Any]) -> float | None:
        model = state.get("model_name", self.plan.body["model_name"])
        mode = state.get("mode", self.plan.body["mode"])
        duration = int(state.get("duration", self.plan.body["duration"]))
        sound = state.get("sound", self.plan.body.get("sound")) == "on"
        cost = self.engine._cost(model, mode, duration, sound)
        extended = len(state.get("extends") or [])
        if cost is None or not extended:
            return cost
        step = extension_cost(model, mode, self.s.cost_table)
        return None if step is None else cost + extended * step

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

    def _new_state(self, take_number: int, state: dict[str, Any]) -> dict[str, Any]:
        ext = f"shotcraft-{self.request.shot_id}-t{take_number}-{uuid.uuid4().hex[:8]}"
        body = self.plan.body
        state.clear()
        state.update(external_task_id=ext, endpoint=self.plan.endpoint, state="submitting",
                     model_name=body["model_name"], mode=body["mode"],
                     duration=int(body["duration"]))
        if "sound" in body:
            state["sound"] = body["sound"]
        return state

    def _submit(self, take_number: int, state: dict[str, Any]) -> dict[str, Any]:
        """Submit the task; when the answer is lost, ask Kling for it before sending again."""
        s = self.s
        delay = s.retry_delay
        state["endpoint"] = self.plan.endpoint
        body = dict(self.plan.body, external_task_id=state["external_task_id"])
        for attempt in range(s.retries + 1):
            with self.lock:
                if self.stop_reason:
                    raise _Stop(f"Not submitted: {self.stop_reason}")
            if self.cancel.is_set():
                raise _Cancelled
            state["state"] = "submitting"
            self._save(take_number, state)  # before the call: a crash mid-call stays findable
            try:
                data = self._call("POST", f"{self.prefix}/{state['endpoint']}", body, submit=True)
                break
            except _LostAnswer as lost:
                try:
                    data = self._query(state["endpoint"], state["external_task_id"])
                    break
                except _NotFound:
                    if attempt == s.retries:
                        raise _Stop(f"Kling did not take the task after {s.retries + 1} tries "
                                    f"({lost}); nothing was paid for take {take_number}.") from None
                    self._sleep(delay)
                    delay *= 2
        state.update(task_id=data["task_id"], state="submitted")
        self._save(take_number, state)
        self.progress(Progress(take_number=take_number, done=0.05, message="kling: submitted"))
        return data

    # --- extension: the clip, then video-extend tasks, each one's video the whole so far -----

    def _extend(self, take_number: int, state: dict[str, Any],
                clip: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """Extend the finished clip `plan.extensions` times, each from the video before it;
        return the last task and its video (Kling's result is the complete extended video).

        The clip's video id is saved before the first extension is sent; each extension is
        saved as "submitting" before its POST, with its task id as soon as Kling answers, and
        with its video id once it succeeds. A resumed render polls saved task ids, and finds
        an extension whose answer was lost by its parent video in Kling's task list (the
        extension body takes no external_task_id), so no step is paid for twice.
        """
        n = self.plan.extensions
        if state.get("video_id") != clip.get("id"):
            state.update(video_id=clip.get("id"), video_duration=str(clip.get("duration")))
            self._save(take_number, state)
        steps: list[dict[str, Any]] = [dict(step) for step in state.get("extends") or []]
        state["extends"] = steps
        parent = str(clip.get("id") or "")
        if not parent:
            raise _Stop("Kling sent no video id for the clip, so it cannot be extended.")
        task: dict[str, Any] = {}
        video: dict[str, Any] = {}
        for index in range(n):
            if index == len(steps):
                steps.append({"parent": parent})
            step = steps[index]
            if step.get("parent") != parent:
                raise _Stop(f"Saved extension {index + 1} of take {take_number} continues "
                            "another video; draw the take again.")
            if step.get("video_id") and index < n - 1:
                parent = step["video_id"]  # finished earlier; only the last one is fetched
                continue
            self.progress(Progress(take_number=take_number, done=0.5,
                                   message=f"kling: extending {index + 1}/{n}"))
            found = None if step.get("task_id") else self._submit_extension(take_number, state,
                                                                            step)
            polled = self._poll(take_number, EXTEND, step["task_id"], found)
            if polled.get("task_status") == "failed":
                reason = polled.get("task_status_msg") or "no reason given"
                raise _Stop(f"Kling failed extension {index + 1} of {n}: {reason}")
            video = ((polled.get("task_result") or {}).get("videos") or [{}])[0]
            if not video.get("url") or not video.get("id"):
                raise _Stop(f"Kling reported extension {index + 1} of {n} done but sent no video.")
            step.update(state="succeed", video_id=video["id"], duration=str(video.get("duration")))
            self._save(take_number, state)
            parent, task = video["id"], polled
        return task, video

    def _submit_extension(self, take_number: int, state: dict[str, Any],
                          step: dict[str, Any]) -> dict[str, Any]:
        """Send one extension of `step["parent"]`, unless Kling already has it."""
        s = self.s
        if step.get("state") == "submitting":  # a crash or a lost answer: it may exist
            found = self._find_extension(step["parent"])
            if found is not None:
                step.update(task_id=found["task_id"], state="submitted")
                self._save(take_number, state)
                return found
        body = dict(self.plan.extend_body, video_id=step["parent"])
        delay = s.retry_delay
        for attempt in range(s.retries + 1):
            with self.lock:
                if self.stop_reason:
                    raise _Stop(f"Extension not submitted: {self.stop_reason}")
            if self.cancel.is_set():
                raise _Cancelled
            step["state"] = "submitting"
            self._save(take_number, state)  # before the call: a crash mid-call stays findable
            try:
                data = self._call("POST", f"/v1/videos/{EXTEND}", body, submit=True)
                break
            except _LostAnswer as lost:
                found = self._find_extension(step["parent"])
                if found is not None:
                    data = found
                    break
                if attempt == s.retries:
                    raise _Stop(f"Kling did not take the extension after {s.retries + 1} tries "
                                f"({lost}); draw again to resume take {take_number}.") from None
                self._sleep(delay)
                delay *= 2
        step.update(task_id=data["task_id"], state="submitted")
        self._save(take_number, state)
        return data

    def _find_extension(self, parent_video_id: str) -> dict[str, Any] | None:
        """The extension task of `parent_video_id` in Kling's list, if one was created."""
        for task in self._list(EXTEND):
            parent = ((task.get("task_info") or {}).get("parent_video") or {}).get("id")
            if parent == parent_video_id and task.get("task_id"):
                return task
        return None

    def _list(self, endpoint: str) -> list[dict[str, Any]]:
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
                # not knowing whether the extension exists, do not send it again
                raise _Stop(f"Could not read Kling's {endpoint} task list ({why}); the "
                            "extension was not sent again, so nothing is paid twice; draw "
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
