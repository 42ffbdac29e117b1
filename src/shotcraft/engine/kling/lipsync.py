"""Lip-sync takes through Kling's `POST /v1/videos/lip-sync` (polled at
`GET /v1/videos/lip-sync/{task_id}`, listed at `GET /v1/videos/lip-sync?pageNum=&pageSize=`).

The body, as Kling documents it: `{"input": {"video_id" | "video_url", "mode":
"audio2video" | "text2video", "audio_type": "file" | "url", "audio_file" (base64) |
"audio_url", "text", "voice_id", "voice_language", "voice_speed"}, "callback_url"}`.
- `video_id` must name a video Kling generated on the same account within the last 30 days
  (documented as the 5 s / 10 s clips); `video_url` needs a public .mp4/.mov of 2-10 s at
  720p/1080p, which a local project does not have, so shotcraft sends `video_id` only.
- audio2video audio: .mp3/.wav/.m4a/.aac, at most 5 MB, 2 to 60 s. shotcraft sends the shot's
  on-screen lines in the characters' voices (`audio_type: file`), laid at their cue times and
  padded with silence to the parent video's length, so the result is as long as the take.
- The result (`task_result.videos[0]`: id, url, duration) is the parent video with its mouths
  re-animated: its size, frame rate and length (ASSUMED: Kling says the rest of the video is
  preserved; no page gives the output format).
- The body takes no `external_task_id`. A submit whose answer was lost is looked for in the
  task list: a lip-sync task of the same parent video (`task_info.parent_video.id`, ASSUMED
  from video-extend's list entries, which document it) created since the take was sent.
- Cost: billed per started 5 s of audio (resellers' price pages: runware.ai, apimodels.app);
  the unit amount per 5 s is ASSUMED (`LIPSYNC_UNITS_PER_5S`), and overridable as
  `"lip-sync/5"` in SHOTCRAFT_KLING_COST_TABLE.

The submit, resume and poll machinery is the one every Kling task uses (tasks.py).
"""

from __future__ import annotations

import base64
import math
import time
from datetime import UTC, datetime
from typing import Any

from shotcraft.engine.kling.planner import TaskPlan
from shotcraft.engine.kling.tasks import TaskRun
from shotcraft.engine.protocol import Delivery, LipsyncSource, Progress, RenderedTake, RenderRequest
from shotcraft.providers.kling.settings import KlingSettings
from shotcraft.shots.errors import EngineError

ENDPOINT = "lip-sync"  # under /v1/videos
MODE = "audio2video"
MIN_SECONDS = 2.0  # audio and video, as documented
MAX_VIDEO_SECONDS = 10.0
MAX_AUDIO_SECONDS = 60.0
MAX_AUDIO_BYTES = 5 * 1024 * 1024
LIPSYNC_UNITS_PER_5S = 0.5  # ASSUMED unit amount; the per-5-s billing is from the price pages
CLOCK_SLACK = 300.0  # s: Kling's clock against ours when matching a lost submit by its time


def lipsync_cost(audio_seconds: float, overrides: dict[str, float]) -> float:
    """Kling units for one lip-sync of `audio_seconds` (billed per started 5 s of audio)."""
    per = overrides.get("lip-sync/5", LIPSYNC_UNITS_PER_5S)
    return per * max(1, math.ceil(audio_seconds / 5 - 1e-9))


def _source(request: RenderRequest) -> LipsyncSource:
    if request.lipsync is None:
        raise EngineError("a lip-sync take needs a video take and its shot's dialogue audio; "
                          "draw it with `shotcraft render DIR --shot ID --lipsync`.")
    return request.lipsync


def plan_lipsync(request: RenderRequest, settings: KlingSettings) -> TaskPlan:
    """The lip-sync task for a request, or EngineError in one sentence saying what to change
    (nothing is sent, nothing is paid)."""
    src = _source(request)
    who = f"take {src.parent_take} of {request.shot_id}"
    if src.video_engine != "kling" or not src.video_id:
        drawn = "was imported" if src.video_engine == "import" else f"was drawn by {src.video_engine}"
        raise EngineError(f"{who} {drawn}; Kling lip-syncs only videos it drew itself (by their "
                          "video id), so draw the shot on Kling first or name a Kling take "
                          "with --from-take.")
    if src.video_expires:
        expires = datetime.fromisoformat(src.video_expires)
        if expires <= datetime.now(UTC):
            raise EngineError(f"{who}'s Kling video expired on {expires:%Y-%m-%d} (Kling keeps "
                              "videos 30 days); draw a new take of the shot to lip-sync.")
    seconds = src.video_seconds
    slack = 1 / src.fps if src.fps else 0.05
    if not MIN_SECONDS - slack <= seconds <= MAX_VIDEO_SECONDS + slack:
        raise EngineError(f"{who} runs {seconds:.1f} s; Kling lip-syncs videos of "
                          f"{MIN_SECONDS:g} to {MAX_VIDEO_SECONDS:g} s.")
    if src.audio_seconds > seconds + slack:
        raise EngineError(f"the dialogue of {request.shot_id} runs {src.audio_seconds:.1f} s, "
                          f"longer than {who} ({seconds:.1f} s); shorten the line or lengthen "
                          "the shot (`shotcraft fit`) and draw a longer take.")
    if not MIN_SECONDS - slack <= src.audio_seconds <= MAX_AUDIO_SECONDS:
        raise EngineError(f"the dialogue audio of {request.shot_id} is {src.audio_seconds:.1f} s;"
                          f" Kling lip-syncs {MIN_SECONDS:g} to {MAX_AUDIO_SECONDS:g} s of audio.")
    audio = src.audio.read_bytes()
    if len(audio) > MAX_AUDIO_BYTES:
        raise EngineError(f"the dialogue audio of {request.shot_id} is {len(audio)} bytes; Kling "
                          f"takes at most {MAX_AUDIO_BYTES} bytes of audio.")
    body: dict[str, Any] = {"input": {
        "video_id": src.video_id, "mode": MODE, "audio_type": "file",
        "audio_file": base64.b64encode(audio).decode("ascii")}}
    if settings.callback_url:
        body["callback_url"] = settings.callback_url
    params = {"endpoint": ENDPOINT, "mode": MODE, "parent_take": src.parent_take,
              "parent_video_id": src.video_id, "audio_sha256": src.audio_hash,
              "audio_seconds": round(src.audio_seconds, 3)}
    return TaskPlan(ENDPOINT, body, params, [], lipsync_cost(src.audio_seconds,
                                                            settings.cost_table),
                    aspect=request.aspect)


def lipsync_delivery(request: RenderRequest) -> Delivery:
    """The parent video's own size, rate and length (a quarter second either way)."""
    src = _source(request)
    fps = src.fps or 24.0
    return Delivery(width=src.width, height=src.height, fps=fps, frames=src.frames,
                    frames_tolerance=max(1, round(fps / 4)))


class LipsyncRun(TaskRun):
    """A render call of lip-sync takes: one lip-sync task per take, never paid twice."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.claimed: set[str] = set()  # task ids this call's takes own (never matched twice)

    what = "lip-sync take"
    failed_task = "the lip-sync"

    def _draw(self, take_number: int, state: dict[str, Any],
              result: RenderedTake) -> RenderedTake:
        src = _source(self.request)
        with self.slot(take_number):
            task = self._find_or_send(take_number, state, src)
            result.provider = {"task_id": state["task_id"], "parent_video_id": src.video_id}
            task = self._poll(take_number, ENDPOINT, state["task_id"], task)
        video = self._finished_video(task, result)
        if video is None:
            return result
        self._keep_video(take_number, task, video, result)
        result.cost_credits = self.plan.cost
        self.progress(Progress(take_number=take_number, done=1.0, message="kling: downloaded"))
        return result

    def _find_or_send(self, take_number: int, state: dict[str, Any],
                      src: LipsyncSource) -> dict[str, Any] | None:
        """The take's task: polled by a saved task id, found in Kling's list when an earlier
        run was sending it (killed mid-POST, or its answer lost), or sent now."""
        if state.get("task_id"):
            return None  # resume polling; never resubmit
        def find() -> dict[str, Any] | None:
            return self._find_lipsync(state, src)

        found = self._sent_before(take_number, state, state, find)
        if found is not None:
            return found
        state.update(endpoint=ENDPOINT, parent_video_id=src.video_id,
                     audio_sha256=src.audio_hash)
        data = self._send(take_number, state, state, f"/v1/videos/{ENDPOINT}", self.plan.body,
                          find, what="the lip-sync task",
                          after=f"nothing was paid for lip-sync take {take_number}")
        with self.lock:
            self.claimed.add(str(data["task_id"]))
        self.progress(Progress(take_number=take_number, done=0.05, message="kling: submitted"))
        return data

    def _find_lipsync(self, state: dict[str, Any], src: LipsyncSource) -> dict[str, Any] | None:
        """The lip-sync task of the parent video made since this take was first sent, if any:
        the oldest such task no other take of this call owns."""
        since = (float(state.get("sent_at") or time.time()) - CLOCK_SLACK) * 1000
        with self.lock:
            owned = set(self.claimed)
        matches = []
        for task in self._list(ENDPOINT, what="lip-sync task"):
            parent = ((task.get("task_info") or {}).get("parent_video") or {}).get("id")
            created = task.get("created_at")
            if (parent == src.video_id and task.get("task_id")
                    and str(task["task_id"]) not in owned
                    and isinstance(created, int | float) and created >= since):
                matches.append(task)
        if not matches:
            return None
        found = min(matches, key=lambda t: t["created_at"])
        with self.lock:
            self.claimed.add(str(found["task_id"]))
        return found
