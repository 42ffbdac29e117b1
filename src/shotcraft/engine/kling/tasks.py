"""A render call's takes as Kling tasks: video takes (client.TakeRun), their extensions,
keyframe stills (stills.StillRun) and lip-sync takes (lipsync.LipsyncRun).

The never-pay-twice machinery itself — the account's task slots, submits checkpointed before
they are sent and looked for before they are sent again, polls, downloads, retries — is the
provider's (providers/kling/tasks.py: `KlingApi`), shared with Kling's speech engine. This
module turns a take into calls on it: the take's state is what is checkpointed (the project
stores each checkpoint in the job, so a crashed render resumes polling instead of paying
again), and a task Kling refuses becomes the take's one-sentence reason.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from shotcraft.engine.kling.planner import TaskPlan
from shotcraft.engine.protocol import (
    CheckpointFn,
    Progress,
    ProgressFn,
    RenderedTake,
    RenderRequest,
)
from shotcraft.providers.kling.auth import BearerToken
from shotcraft.providers.kling.settings import RESULT_LIFETIME, KlingSettings
from shotcraft.providers.kling.tasks import (
    SLOTS,
    Cancelled,
    KlingApi,
    NotFound,
    Stop,
    TaskSlots,
    is_mp4,
)

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

__all__ = ["SLOTS", "TaskRun", "TaskSlots"]


class Account(Protocol):
    """What a take run uses of the engine: its settings, its cached token and its prices."""

    settings: KlingSettings
    _token: BearerToken

    def _cost(self, model: str, mode: str, seconds: int, sound: bool = False) -> float | None: ...


class TaskRun:
    """One render call: shared client, stop flags, and the calls every task state machine uses.

    Subclasses write `take(take_number, seed)`; they submit through `_send` (or
    `_find_or_submit` for endpoints that take an external_task_id), poll with `_poll` and
    fetch with `_download`.
    """

    def __init__(self, engine: Account, request: RenderRequest, plan: TaskPlan,
                 out_dir: Path, progress: ProgressFn, cancel: threading.Event,
                 checkpoint: CheckpointFn) -> None:
        self.engine, self.s = engine, engine.settings
        self.request, self.plan, self.out_dir = request, plan, out_dir
        self.progress, self.cancel, self.checkpoint = progress, cancel, checkpoint
        self.api: KlingApi
        self.stop_reason: str | None = None  # set once: no more submits
        self.auth_error: str | None = None
        self.lock = threading.Lock()
        self.prefix = "/v1/videos"  # the API family the plan's endpoint lives under

    def connect(self, client: httpx.Client) -> None:
        """Use `client` for this call's requests (the engine opens one per render call)."""
        self.client = client
        self.api = KlingApi(self.s, client, token=self.engine._token, cancel=self.cancel,
                            stopped=self._stopped_reason)

    def _stopped_reason(self) -> str | None:
        with self.lock:
            return self.stop_reason

    # one take, start to finish
    def _stopped(self, result: RenderedTake, stop: Stop) -> RenderedTake:
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
            except NotFound:
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
        with SLOTS.held(self.s.max_tasks, lambda waiting, limit: self.progress(Progress(
                take_number=take_number, done=0.0,
                message=(f"kling: {waiting} take{'s' if waiting != 1 else ''} waiting for a free "
                         f"Kling task slot (limit {limit})"))), self.cancel):
            yield

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
                raise Cancelled
            return self._draw(take_number, state, result)
        except Cancelled:
            return None
        except Stop as stop:
            return self._stopped(result, stop)
        except Exception as exc:  # the protocol: a broken take is a failed take
            log.warning("kling %s %s broke: %s", self.what, take_number, type(exc).__name__)
            result.failed = f"Kling {self.what} {take_number} broke: {type(exc).__name__}: {exc}"
            return result

    def _draw(self, take_number: int, state: dict[str, Any],
              result: RenderedTake) -> RenderedTake:
        """Submit (or resume), poll and fetch one take into `result`; raise Stop to fail it."""
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
            except NotFound:
                return None

        data = self._send(take_number, state, state, f"{self.prefix}/{state['endpoint']}", body,
                          find, what="the task", after=f"nothing was paid for take {take_number}")
        self.progress(Progress(take_number=take_number, done=0.05, message="kling: submitted"))
        return data

    def _sent_before(self, take_number: int, state: dict[str, Any], step: dict[str, Any],
                     find: Callable[[], dict[str, Any] | None]) -> dict[str, Any] | None:
        """The task an earlier run was sending for `step`, found and saved (KlingApi.sent_before)."""
        return self.api.sent_before(step, lambda: self._save(take_number, state), find)

    def _send(self, take_number: int, state: dict[str, Any], step: dict[str, Any], path: str,
              body: dict[str, Any], find: Callable[[], dict[str, Any] | None], *, what: str,
              after: str) -> dict[str, Any]:
        """POST `body` once, never paid twice (KlingApi.send); the take's state is saved."""
        return self.api.send(path, body, step, lambda: self._save(take_number, state), find,
                             what=what, after=after)

    def _list(self, endpoint: str, what: str = "extension") -> list[dict[str, Any]]:
        """The newest tasks of `endpoint` (Kling's list query)."""
        return self.api.list(f"/v1/videos/{endpoint}", what=what)

    def _query(self, endpoint: str, task_or_external_id: str) -> dict[str, Any]:
        return self.api.query(f"{self.prefix}/{endpoint}/{task_or_external_id}")

    def _poll(self, take_number: int, endpoint: str, task_id: str,
              task: dict[str, Any] | None) -> dict[str, Any]:
        def said(status: str, elapsed: float) -> None:
            done = 0.1 if status == "submitted" else min(0.9, 0.2 + elapsed / 300)
            self.progress(Progress(take_number=take_number, done=done, message=f"kling: {status}"))

        return self.api.poll(f"{self.prefix}/{endpoint}/{task_id}", task, on_status=said)

    def _sleep(self, seconds: float) -> None:
        self.api.sleep(seconds)

    def _download(self, take_number: int, url: str) -> Path:
        """Stream the result into out_dir at once (Kling deletes it after 30 days)."""
        final = self.out_dir / f"{self.request.shot_id}-t{take_number}.mp4"
        return self.api.download(url, final, what=f"video for take {take_number}",
                                 name=f"take {take_number}", check=is_mp4)
