"""One Seedance render call, never paid twice: create, find again, poll, download.

A task costs money once Ark has it, and Ark keeps no idempotency key, so:
- before each create the take's state is checkpointed as "submitting" with its seed, model and
  the time it was sent; the task id is checkpointed the moment Ark answers;
- a create whose answer was lost (a dropped connection, a 5xx) is looked for in Ark's task list
  (same model and seed, created since it was sent) before it is sent again; when the list cannot
  be read, nothing is sent again;
- a resumed take with a task id is polled, never created;
- the video is streamed to a `.part` file at once (its URL lasts 24 h) and renamed when whole;
  a take resumed after the URL expired says so instead of paying again.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from shotcraft.engine.protocol import (
    CheckpointFn,
    Progress,
    ProgressFn,
    RenderedTake,
    RenderRequest,
)
from shotcraft.engine.seedance.models import URL_HOURS, tokens
from shotcraft.engine.seedance.planner import SeedancePlan
from shotcraft.providers.ark.client import ArkClient, ArkError, ArkLost
from shotcraft.providers.ark.settings import SeedanceSettings

log = logging.getLogger(__name__)
MODERATION = ("SensitiveContentDetected", "SensitiveContent", "RiskControl")
FOUND_SLACK = 120  # seconds before `sent_at` a found task may have been created (clock skew)


class _Stop(Exception):
    def __init__(self, message: str, *, stop_all: bool = False, auth: bool = False) -> None:
        super().__init__(message)
        self.message, self.stop_all, self.auth = message, stop_all, auth


class _Cancelled(Exception):
    pass


def refused_on_content(code: str) -> bool:
    return any(mark in code for mark in MODERATION)


class Account(Protocol):
    """What a take run uses of the engine: its settings, and the other engines that could
    draw a shot Seedance refuses."""

    settings: SeedanceSettings

    def other_engines(self) -> list[str]: ...


class SeedanceRun:
    """The takes of one request: each a Seedance task, resumable from its checkpoint."""

    def __init__(self, engine: Account, request: RenderRequest, plan: SeedancePlan,
                 out_dir: Path, progress: ProgressFn, cancel: threading.Event,
                 checkpoint: CheckpointFn, client: ArkClient) -> None:
        self.engine, self.s = engine, engine.settings
        self.request, self.plan, self.out_dir = request, plan, out_dir
        self.progress, self.cancel, self.checkpoint = progress, cancel, checkpoint
        self.client = client
        self.lock = threading.Lock()
        self.stop_reason: str | None = None
        self.auth_error: str | None = None

    def take(self, take_number: int, seed: int) -> RenderedTake | None:
        """One take start to finish; None when cancelled before anything was paid for."""
        result = RenderedTake(take_number=take_number, seed=seed,
                              params={**self.plan.params, "seed": seed},
                              downgrades=list(self.plan.downgrades))
        state = dict(self.request.resume.get(take_number) or {})
        try:
            if self.cancel.is_set():
                raise _Cancelled
            return self._draw(take_number, seed, state, result)
        except _Cancelled:
            return None
        except _Stop as stop:
            with self.lock:
                if stop.stop_all and self.stop_reason is None:
                    self.stop_reason = stop.message
                if stop.auth:
                    self.auth_error = stop.message
            result.failed = stop.message
            return result
        except Exception as exc:  # the protocol: a broken take is a failed take
            log.warning("seedance take %s broke: %s", take_number, type(exc).__name__)
            result.failed = f"Seedance take {take_number} broke: {type(exc).__name__}: {exc}"
            return result

    # --- one take ------------------------------------------------------------------------

    def _draw(self, take_number: int, seed: int, state: dict[str, Any],
              result: RenderedTake) -> RenderedTake:
        task = self._find_or_create(take_number, seed, state)
        result.provider = {"task_id": state["task_id"], "model": state.get("model"),
                           "region": self.s.region}
        task = self._poll(take_number, state, task)
        status = task.get("status")
        if status != "succeeded":
            result.failed = self._failure(take_number, task)
            return result
        finished = datetime.fromtimestamp(int(task.get("updated_at") or time.time()), UTC)
        expires = finished + timedelta(hours=URL_HOURS)
        result.provider.update(url_expires_hint=expires.isoformat(),
                               seed=task.get("seed"), usage=task.get("usage"))
        video = ((task.get("content") or {}).get("video_url") or "")
        if not video:
            raise _Stop("Seedance reported success but sent no video URL.")
        result.path = self._download(take_number, video, expires)
        used = ((task.get("usage") or {}).get("completion_tokens"))
        result.cost_credits = self._cost(used)
        self.progress(Progress(take_number=take_number, done=1.0, message="seedance: downloaded"))
        return result

    def _cost(self, used: Any) -> float | None:
        """The task's price from the tokens Ark counted (the plan's estimate when it sent none)."""
        plan = self.plan
        if not isinstance(used, int) or plan.cost is None:
            return plan.cost
        estimate = tokens(plan.width, plan.height, plan.seconds)
        return round(plan.cost * used / estimate, 4) if estimate else plan.cost

    def _failure(self, take_number: int, task: dict[str, Any]) -> str:
        error = task.get("error") or {}
        code, message = str(error.get("code") or ""), str(error.get("message") or "")
        status = task.get("status")
        if refused_on_content(code):
            return self._moderated(take_number, code, message)
        if status == "expired":
            return (f"Seedance let take {take_number} expire before drawing it ({code or 'expired'}"
                    f"); nothing was paid for it: draw it again.")
        if status == "cancelled":
            return f"Seedance task of take {take_number} was cancelled; draw it again."
        return f"Seedance failed take {take_number} ({code or status}): {message or 'no reason given'}"

    def _moderated(self, take_number: int, code: str, message: str) -> str:
        others = self.engine.other_engines()
        where = (f"engines that could draw this shot: {', '.join(others)}" if others
                 else "no other engine is configured to draw it")
        return (f"Seedance refused take {take_number} on content grounds ({code}: "
                f"{message.strip() or 'no reason given'}); it is not drawn again there; {where}.")

    # --- creating, never twice -----------------------------------------------------------

    def _save(self, take_number: int, state: dict[str, Any]) -> None:
        self.checkpoint(take_number, dict(state))

    def _find_or_create(self, take_number: int, seed: int,
                        state: dict[str, Any]) -> dict[str, Any] | None:
        if state.get("task_id"):
            return None  # resume polling; never create again
        if state.get("state") == "submitting":
            found = self._find_sent(state)
            if found is not None:
                state.update(task_id=found["id"], state="submitted")
                self._save(take_number, state)
                return found
        return self._create(take_number, seed, state)

    def _find_sent(self, state: dict[str, Any]) -> dict[str, Any] | None:
        """The task an earlier try created (same model and seed, created since it was sent), or
        None; _Stop when the list cannot be read (then nothing is sent again)."""
        sent = float(state.get("sent_at") or 0)
        try:
            items = self._retrying(lambda: self.client.list(model=state.get("model")),
                                   what="reading the task list")
        except _Stop as stop:
            raise _Stop(f"{stop.message} The take was not sent again, so nothing is paid twice; "
                        "draw again later to resume it.") from None
        for item in items:
            if (item.get("seed") == state.get("seed")
                    and float(item.get("created_at") or 0) >= sent - FOUND_SLACK
                    and item.get("duration") in (None, state.get("duration"))):
                return item
        return None

    def _create(self, take_number: int, seed: int, state: dict[str, Any]) -> dict[str, Any] | None:
        body = dict(self.plan.body, seed=seed)
        delay = self.s.retry_delay
        for attempt in range(self.s.retries + 1):
            with self.lock:
                if self.stop_reason:
                    raise _Stop(f"Not sent: {self.stop_reason}")
            if self.cancel.is_set():
                raise _Cancelled
            state.update(state="submitting", seed=seed, model=body["model"],
                         duration=body["duration"])
            state.setdefault("sent_at", time.time())
            self._save(take_number, state)  # before the call: a crash mid-call stays findable
            try:
                task_id = self.client.create(body)
                break
            except ArkLost as lost:
                found = self._find_sent(state)
                if found is not None:
                    task_id = str(found["id"])
                    break
                why = str(lost)
            except ArkError as error:
                if error.status >= 500:  # it may exist anyway: look before sending again
                    found = self._find_sent(state)
                    if found is not None:
                        task_id = str(found["id"])
                        break
                elif error.status != 429:
                    state.clear()
                    self._save(take_number, state)  # refused: nothing exists, nothing to resume
                    raise self._refusal(take_number, error) from None
                why = f"HTTP {error.status} {error.code}"
            if attempt == self.s.retries:
                raise _Stop(f"Seedance did not take take {take_number} after "
                            f"{self.s.retries + 1} tries ({why}); nothing was paid for it.")
            self._sleep(delay)
            delay *= 2
        state.update(task_id=task_id, state="submitted")
        self._save(take_number, state)
        self.progress(Progress(take_number=take_number, done=0.05, message="seedance: submitted"))
        return None

    def _refusal(self, take_number: int, error: ArkError) -> _Stop:
        if refused_on_content(error.code):
            return _Stop(self._moderated(take_number, error.code, error.message))
        if error.status == 401 or error.code == "AuthenticationError":
            return _Stop(f"The Ark key was refused by {self.s.base_url} ({error.code}); keys "
                         "belong to one region: check SHOTCRAFT_SEEDANCE_API_KEY and "
                         "SHOTCRAFT_SEEDANCE_REGION.", stop_all=True, auth=True)
        if error.status == 403 or "Overdue" in error.code or "Quota" in error.code:
            return _Stop(f"The Ark account cannot pay for more takes ({error.code}: "
                         f"{error.message}); top it up, then draw again.", stop_all=True)
        return _Stop(f"Seedance refused take {take_number} (HTTP {error.status} {error.code}): "
                     f"{error.message}")

    # --- polling and fetching ------------------------------------------------------------

    def _poll(self, take_number: int, state: dict[str, Any],
              task: dict[str, Any] | None) -> dict[str, Any]:
        s = self.s
        started = time.monotonic()
        wait = s.poll_interval
        while True:
            if task is not None:
                status = task.get("status")
                if status in ("succeeded", "failed", "expired", "cancelled"):
                    return task
                state["last_status"] = status
                elapsed = time.monotonic() - started
                done = 0.1 if status == "queued" else min(0.9, 0.2 + elapsed / 300)
                self.progress(Progress(take_number=take_number, done=done,
                                       message=f"seedance: {status}"))
            if time.monotonic() - started > s.max_poll_seconds:
                raise _Stop(f"Seedance task {state['task_id']} was still {state.get('last_status')} "
                            f"after {s.max_poll_seconds:.0f} s; draw again later to resume it "
                            "unpaid.")
            try:
                self._sleep(wait)
            except _Cancelled:
                self._withdraw(take_number, state)
                raise
            wait = min(s.poll_max_interval, wait * s.poll_backoff)
            try:
                task = self._retrying(lambda: self.client.get(state["task_id"]),
                                      what="asking about the task")
            except _Stop:
                raise
            except ArkError as error:
                raise _Stop(f"Seedance no longer knows task {state['task_id']} "
                            f"({error.code}).") from None

    def _withdraw(self, take_number: int, state: dict[str, Any]) -> None:
        """On cancel: a task still queued is cancelled on Ark (nothing paid) and forgotten; a
        running one is kept, so a later draw resumes it instead of paying again."""
        if state.get("last_status") != "queued":
            return
        try:
            self.client.delete(state["task_id"])
        except (ArkError, ArkLost):
            return  # it may have started: keep it to resume
        state.clear()
        self._save(take_number, state)

    def _retrying(self, call: Any, *, what: str) -> Any:
        """`call()` with bounded retries on 429, 5xx and lost answers; other ArkErrors raise."""
        delay = self.s.retry_delay
        for attempt in range(self.s.retries + 1):
            try:
                return call()
            except ArkLost as lost:
                why = str(lost)
            except ArkError as error:
                if not error.retryable:
                    if error.status == 401:
                        raise _Stop(f"The Ark key was refused ({error.code}) while {what}.",
                                    stop_all=True, auth=True) from None
                    raise
                why = f"HTTP {error.status} {error.code}"
            if attempt == self.s.retries:
                raise _Stop(f"Seedance kept failing ({why}) after {self.s.retries + 1} tries "
                            f"while {what}.")
            self._sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")

    def _sleep(self, seconds: float) -> None:
        if self.cancel.wait(max(0.0, seconds * (1 + random.uniform(-0.2, 0.2)))):
            raise _Cancelled

    def _download(self, take_number: int, url: str, expires: datetime) -> Path:
        final = self.out_dir / f"{self.request.shot_id}-t{take_number}.mp4"
        part = final.with_suffix(".part")
        gone = (f"Seedance keeps a video {URL_HOURS} h after it is drawn; take {take_number}'s "
                f"expired at {expires.isoformat(timespec='minutes')} and can no longer be fetched "
                "(its task was paid for); draw the take again")
        if datetime.now(UTC) > expires:
            raise _Stop(gone + ".")
        delay = self.s.retry_delay
        for attempt in range(self.s.retries + 1):
            try:
                self.client.download(url, part, max_bytes=self.s.max_download_bytes)
                if b"ftyp" not in part.read_bytes()[:16]:
                    raise _Stop(f"Seedance's video for take {take_number} is not an MP4 file.")
                part.replace(final)
                return final
            except ArkError as error:
                part.unlink(missing_ok=True)
                if error.status in (403, 404):
                    raise _Stop(gone + f" (HTTP {error.status}).") from None
                why = f"HTTP {error.status}"
            except ArkLost as lost:
                part.unlink(missing_ok=True)
                why = str(lost)
            if attempt == self.s.retries:
                raise _Stop(f"Could not download take {take_number} from Seedance ({why}); draw "
                            "again to resume the download unpaid.")
            self._sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")
