"""The never-pay-twice machinery every Kling task goes through: video takes, their extensions,
keyframe stills, lip-sync takes, elements and speech all call Kling through `KlingApi`.

A task costs money once Kling has created it, so:
- the account's parallel-task slots are shared process-wide (`SLOTS`);
- before every POST the caller's state for the task is saved as "submitting" (with whatever
  lets the task be found again: an `external_task_id`, or the parent video and the time it was
  sent), and right after it with the `task_id` Kling gave (`KlingApi.send`'s `save`);
- a submit whose answer is lost (a dropped connection, a 5xx) is looked for before it is sent
  again (`send`'s `find`): by external id where the endpoint takes one, in the endpoint's task
  list where it does not (video-extend, lip-sync);
- a resumed task with a saved `task_id` is polled, never submitted;
- results are streamed to a temp file beside their final name and renamed when complete
  (shots.files.atomic_target; Kling keeps them 30 days).

Retries (429, 5xx, timeouts) are bounded and back off exponentially with jitter (tenacity);
every wait ends early when the run is cancelled.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from shotcraft.providers.kling.auth import BearerToken
from shotcraft.providers.kling.codes import (
    BALANCE_CODES,
    NOT_FOUND_CODES,
    parse,
    refuses_keys,
    region_refusal,
    retryable,
)
from shotcraft.providers.kling.settings import KlingSettings
from shotcraft.shots.files import atomic_target

try:  # the `kling` extra; without it the callers refuse to start before a task is sent
    import httpx
except ImportError:  # pragma: no cover - exercised only on installs without the extra
    httpx = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

LIST_PAGE_SIZE = 500  # the list query's largest page: the newest tasks, read when one is looked for


class Stop(Exception):
    """A task stopped with one sentence; `stop_all`: nothing more should be sent (the account
    or the keys were refused), `auth`: the keys were. `status`/`code` are Kling's, if it said."""

    def __init__(self, message: str, *, stop_all: bool = False, auth: bool = False,
                 status: int | None = None, code: int | None = None, late: bool = False) -> None:
        super().__init__(message)
        self.message, self.stop_all, self.auth = message, stop_all, auth
        self.status, self.code = status, code
        self.late = late  # still running past max_poll_seconds: a later run resumes it


class NotFound(Exception):
    """Kling does not know the task asked about."""


class Cancelled(Exception):
    """The run was cancelled while waiting."""


class LostAnswer(Exception):
    """A submit whose answer never came: the task may or may not exist."""


class _Again(Exception):
    """One try failed in a way worth trying again; `last` is the sentence if it was the last."""

    def __init__(self, last: str, *, status: int | None = None, code: int | None = None) -> None:
        super().__init__(last)
        self.last, self.status, self.code = last, status, code


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
                        raise Cancelled
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

    @contextmanager
    def held(self, limit: int, on_wait: Any, cancel: threading.Event) -> Iterator[None]:
        self.acquire(limit, on_wait, cancel)
        try:
            yield
        finally:
            self.release()


SLOTS = TaskSlots()


class KlingApi:
    """One Kling account on one host, over an open httpx client: signed calls with bounded
    retries, submits never paid for twice, polls and downloads.

    `stopped()` says why nothing more may be sent (another task of the run had the account
    refused), or None; `cancel` ends every wait early.
    """

    def __init__(self, settings: KlingSettings, client: httpx.Client, *,
                 token: BearerToken | None = None, cancel: threading.Event | None = None,
                 stopped: Callable[[], str | None] | None = None) -> None:
        self.s, self.client = settings, client
        self.token = token or BearerToken(settings)
        self.cancel = cancel or threading.Event()
        self.stopped = stopped or (lambda: None)

    # --- waiting ---------------------------------------------------------------------------

    def sleep(self, seconds: float) -> None:
        """Wait `seconds` (± the jitter, so parallel tasks do not call in step); Cancelled when
        the run is cancelled meanwhile."""
        jittered = seconds * (1 + random.uniform(-self.s.jitter, self.s.jitter))
        if self.cancel.wait(max(0.0, jittered)):
            raise Cancelled

    def _retrying(self, *, attempts: int | None = None) -> Retrying:
        """Tries of one call: `_Again` is tried again after an exponential back-off (the
        first wait `retry_delay`, doubled each time), up to `retries` more times; the last
        one's sentence is raised as Stop."""
        def give_up(state: RetryCallState) -> Any:
            error = state.outcome.exception() if state.outcome else None
            if isinstance(error, _Again):
                raise Stop(error.last, status=error.status, code=error.code) from None
            raise Stop(str(error)) from None

        return Retrying(
            stop=stop_after_attempt(attempts or self.s.retries + 1),
            wait=wait_exponential(multiplier=self.s.retry_delay, exp_base=2),
            retry=retry_if_exception_type(_Again), sleep=self.sleep,
            retry_error_callback=give_up, reraise=False)

    # --- calls -----------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return self.s.base_url.rstrip("/") + path

    def call(self, method: str, path: str, body: dict[str, Any] | None = None, *,
             submit: bool = False, what: str = "the task") -> dict[str, Any]:
        """One API call with bounded retries; returns `data`. Raises Stop (one sentence),
        NotFound (a GET of an unknown task), or LostAnswer (a submit that may have reached
        Kling: the caller looks before sending again)."""
        doing = "submitting" if submit else "asking about"
        tries = self.s.retries + 1
        for attempt in self._retrying():
            with attempt:
                last = attempt.retry_state.attempt_number >= tries
                return self._once(method, path, body, submit=submit, last=last,
                                  doing=f"{doing} {what}", tries=tries)
        raise AssertionError("unreachable")  # the last try's sentence was raised as Stop

    def _once(self, method: str, path: str, body: dict[str, Any] | None, *, submit: bool,
              last: bool, doing: str, tries: int) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.token.get()}"}
        try:
            response = self.client.request(method, self.url(path), json=body, headers=headers)
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            log.debug("kling %s %s: %s", method, path, type(exc).__name__)
            if submit:  # it may have reached Kling: the caller looks before resending
                raise LostAnswer(type(exc).__name__) from None
            raise _Again(f"Kling did not answer after {tries} tries ({type(exc).__name__}) "
                         f"while {doing}.") from None
        code, message, data = parse(response)
        status = response.status_code
        log.debug("kling %s %s → HTTP %s code %s", method, path, status, code)
        if status == 200 and code == 0:
            return data
        if refuses_keys(status, code):
            raise Stop(region_refusal(self.s, status, code), stop_all=True, auth=True,
                       status=status, code=code)
        if code in BALANCE_CODES:
            raise Stop(f"Kling account cannot pay for more takes (code {code}: {message}); "
                       "top up the resource pack, then draw again.", stop_all=True,
                       status=status, code=code)
        if (status == 404 or code in NOT_FOUND_CODES) and not submit:
            raise NotFound(path)
        if not retryable(status, code):
            raise Stop(f"Kling rejected the request (HTTP {status}, code {code}): {message}",
                       status=status, code=code)
        kept = (f"Kling kept failing (HTTP {status}, code {code}) after {tries} tries while "
                f"{doing}.")
        if last:
            raise Stop(kept, status=status, code=code)
        if submit and status >= 500:
            raise LostAnswer(f"HTTP {status}")  # the task may exist anyway
        raise _Again(kept, status=status, code=code)

    def query(self, path: str) -> dict[str, Any]:
        """GET one task (by task id, or by the external id it was sent with)."""
        return self.call("GET", path)

    def lookup(self, path: str) -> dict[str, Any] | None:
        """The task at `path`, or None when Kling has none by that id."""
        try:
            return self.query(path)
        except NotFound:
            return None

    def sent_before(self, step: dict[str, Any], save: Callable[[], None],
                    find: Callable[[], dict[str, Any] | None]) -> dict[str, Any] | None:
        """The task an earlier run was sending for `step` (saved "submitting": killed mid-POST,
        or its answer lost), found with `find` and saved; None when there is none to resume."""
        if step.get("state") != "submitting":
            return None
        found = find()
        if found is not None:
            step.update(task_id=found["task_id"], state="submitted")
            save()
        return found

    def send(self, path: str, body: dict[str, Any], step: dict[str, Any],
             save: Callable[[], None], find: Callable[[], dict[str, Any] | None], *,
             what: str, after: str) -> dict[str, Any]:
        """POST `body` once: `step` (the caller's state of this task) is saved as "submitting"
        before each try and with Kling's task id after; when an answer is lost the task is
        looked for with `find` before it is sent again, so it is never paid twice."""
        tries = self.s.retries + 1

        def once() -> dict[str, Any]:
            reason = self.stopped()
            if reason:
                raise Stop(f"Not submitted: {reason}")
            if self.cancel.is_set():
                raise Cancelled
            step["state"] = "submitting"
            step.setdefault("sent_at", time.time())
            save()  # before the call: a crash mid-call stays findable
            try:
                return self.call("POST", path, body, submit=True, what=what)
            except LostAnswer as lost:
                found = find()
                if found is not None:
                    return found
                raise _Again(f"Kling did not take {what} after {tries} tries ({lost}); "
                             f"{after}.") from None

        data = self._retrying()(once)
        step.update(task_id=data["task_id"], state="submitted")
        save()
        return data

    def list(self, path: str, *, what: str = "extension") -> list[dict[str, Any]]:
        """The newest tasks of an endpoint (Kling's list query, one page of LIST_PAGE_SIZE).
        Not knowing whether a task exists, nothing is sent again: Stop when it cannot be read."""
        endpoint = path.rsplit("/", 1)[-1]

        def once() -> list[dict[str, Any]]:
            headers = {"Authorization": f"Bearer {self.token.get()}"}
            try:
                response = self.client.request(
                    "GET", self.url(path), params={"pageNum": 1, "pageSize": LIST_PAGE_SIZE},
                    headers=headers)
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                raise _Again(self._unread(endpoint, type(exc).__name__, what)) from None
            try:
                payload = response.json()
            except ValueError:
                payload = None
            if (response.status_code == 200 and isinstance(payload, dict)
                    and payload.get("code") == 0 and isinstance(payload.get("data"), list)):
                return [t for t in payload["data"] if isinstance(t, dict)]
            sentence = self._unread(endpoint, f"HTTP {response.status_code}", what)
            if response.status_code != 429 and response.status_code < 500:
                raise Stop(sentence)  # a definite no: asking again changes nothing
            raise _Again(sentence)

        return self._retrying()(once)

    @staticmethod
    def _unread(endpoint: str, why: str, what: str) -> str:
        return (f"Could not read Kling's {endpoint} task list ({why}); the {what} was not sent "
                "again, so nothing is paid twice; draw again later to resume.")

    def poll(self, path: str, task: dict[str, Any] | None, *,
             on_status: Callable[[str, float], None] | None = None,
             interval: float | None = None, backoff: float | None = None) -> dict[str, Any]:
        """Ask about the task at `path` until it succeeds or fails (`task`: its last answer, if
        the caller has one); `on_status(status, elapsed)` hears each answer. Stop when it runs
        past `max_poll_seconds` (a later run resumes it unpaid) or Kling forgets it."""
        s = self.s
        started = time.monotonic()
        wait = s.poll_interval if interval is None else interval
        task_id = path.rsplit("/", 1)[-1]
        while True:
            if task is not None and task.get("task_status") in ("succeed", "failed"):
                return task
            if task is not None and on_status is not None:
                on_status(str(task.get("task_status", "?")), time.monotonic() - started)
            if time.monotonic() - started > s.max_poll_seconds:
                raise Stop(f"Kling task {task_id} was still running after "
                           f"{s.max_poll_seconds:.0f} s; draw again later to resume it unpaid.",
                           late=True)
            self.sleep(wait)
            wait = min(s.poll_max_interval, wait * (s.poll_backoff if backoff is None
                                                    else backoff))
            try:
                task = self.query(path)
            except NotFound as exc:
                raise Stop(f"Kling no longer knows task {task_id}.") from exc

    def download(self, url: str, final: Path, *, what: str, name: str,
                 check: Callable[[Path], str | None] | None = None) -> Path:
        """Stream a result (a CDN link: no token) into `final` through a temp file, with
        bounded retries; `check(part)` says what is wrong with a complete file, or None.
        `what` ("video for take 3") and `name` ("take 3") are how sentences call it."""
        s = self.s

        def once() -> Path:
            try:
                # complete under its final name or not at all (a failed try leaves nothing)
                with atomic_target(final) as part:
                    size = 0
                    with self.client.stream("GET", url) as response:
                        if response.status_code != 200:
                            raise _Retry(f"HTTP {response.status_code}")
                        expected = response.headers.get("content-length")
                        with part.open("wb") as fh:
                            for chunk in response.iter_bytes(1 << 16):
                                size += len(chunk)
                                if size > s.max_download_bytes:
                                    raise Stop(f"Kling's {what} is larger than "
                                               f"{s.max_download_bytes} bytes; not kept.")
                                fh.write(chunk)
                    if expected is not None and int(expected) != size:
                        raise _Retry(f"got {size} of {expected} bytes")
                    wrong = check(part) if check is not None else None
                    if wrong:
                        raise Stop(f"Kling's {what} is not {wrong}.")
                return final
            except (_Retry, httpx.TransportError) as exc:
                raise _Again(f"Could not download {name} from Kling ({exc}); draw again to "
                             "resume the download unpaid.") from None

        return self._retrying()(once)


class _Retry(Exception):
    pass


def is_mp4(path: Path) -> str | None:
    """None for a file that starts like an MP4, else what it should have been."""
    with path.open("rb") as fh:
        head = fh.read(16)
    return None if head and b"ftyp" in head else "an MP4 file"
