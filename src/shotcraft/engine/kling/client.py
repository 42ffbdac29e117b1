"""Video takes against Kling's API: submit, poll and download each take, extend it where the
shot is longer than one task — through the shared never-pay-twice machinery (tasks.py)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from shotcraft.engine.kling.extend import ENDPOINT as EXTEND
from shotcraft.engine.kling.extend import extension_cost
from shotcraft.engine.kling.tasks import SLOTS, TaskRun, TaskSlots
from shotcraft.engine.protocol import Progress, RenderedTake
from shotcraft.providers.kling.tasks import Stop

log = logging.getLogger(__name__)

__all__ = ["SLOTS", "TakeRun", "TaskSlots"]


class TakeRun(TaskRun):
    """A render call of video takes: one Kling task per take, extended where needed."""

    def _draw(self, take_number: int, state: dict[str, Any],
              result: RenderedTake) -> RenderedTake:
        with self.slot(take_number):
            task = self._find_or_submit(take_number, state)
            for key in ("endpoint", "external_task_id", "model_name", "mode", "duration",
                        "sound"):
                if key in state:
                    result.params[key] = state[key]
            result.provider = {"task_id": state["task_id"],
                               "external_task_id": state.get("external_task_id")}
            task = self._poll(take_number, state["endpoint"], state["task_id"], task)
        video = self._finished_video(task, result)
        if video is None:
            return result
        if self.plan.extensions:  # the last extension's video is the whole take
            task, video = self._extend(take_number, state, video)
            result.provider["extends"] = [{k: step.get(k) for k in ("task_id", "video_id")}
                                          for step in state["extends"]]
        self._keep_video(take_number, task, video, result)
        result.cost_credits = self._cost_of(state)
        self.progress(Progress(take_number=take_number, done=1.0, message="kling: downloaded"))
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
            raise Stop("Kling sent no video id for the clip, so it cannot be extended.")
        task: dict[str, Any] = {}
        video: dict[str, Any] = {}
        for index in range(n):
            if index == len(steps):
                steps.append({"parent": parent})
            step = steps[index]
            if step.get("parent") != parent:
                raise Stop(f"Saved extension {index + 1} of take {take_number} continues "
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
                raise Stop(f"Kling failed extension {index + 1} of {n}: {reason}")
            video = ((polled.get("task_result") or {}).get("videos") or [{}])[0]
            if not video.get("url") or not video.get("id"):
                raise Stop(f"Kling reported extension {index + 1} of {n} done but sent no video.")
            step.update(state="succeed", video_id=video["id"], duration=str(video.get("duration")))
            self._save(take_number, state)
            parent, task = video["id"], polled
        return task, video

    def _submit_extension(self, take_number: int, state: dict[str, Any],
                          step: dict[str, Any]) -> dict[str, Any]:
        """Send one extension of `step["parent"]`, unless Kling already has it (the extension
        body takes no external_task_id: it is found by its parent video in the task list)."""
        def find() -> dict[str, Any] | None:
            return self._find_extension(step["parent"])

        found = self._sent_before(take_number, state, step, find)
        if found is not None:
            return found
        body = dict(self.plan.extend_body, video_id=step["parent"])
        return self._send(take_number, state, step, f"/v1/videos/{EXTEND}", body, find,
                          what="the extension", after=f"draw again to resume take {take_number}")

    def _find_extension(self, parent_video_id: str) -> dict[str, Any] | None:
        """The extension task of `parent_video_id` in Kling's list, if one was created."""
        for task in self._list(EXTEND):
            parent = ((task.get("task_info") or {}).get("parent_video") or {}).get("id")
            if parent == parent_video_id and task.get("task_id"):
                return task
        return None
