"""Kling (可灵) cloud engine: card-drawn video takes through Kling's REST API, never paid twice.

Components, top to bottom:
- `KlingSettings`: `SHOTCRAFT_KLING_*` environment settings; the keys are `SecretStr` and are
  read from the environment only (never stored in a project, never printed or logged).
- `MODELS` / `COST_TABLE`: what each model+mode can do, and what one task costs (Kling units).
- `camera_control_for`: a shot's camera move → Kling `camera_control`.
- `KlingEngine.check` / `plan`: refuse what the model cannot do, resolve mutually exclusive
  inputs (keyframes win over the camera move), build the request body.
- `KlingEngine.render`: one Kling task per take; each task's `external_task_id` is checkpointed
  before it is submitted and its `task_id` right after, so a crashed render resumes polling
  (or finds the task by its external id) instead of submitting — and paying — again.

See docs/kling.md for the sources of the field names, the capability and cost tables, and
what had to be assumed.
"""

from __future__ import annotations

import base64
import json
import logging
import random
import re
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from shotcraft.engine.protocol import (
    Capabilities,
    CheckpointFn,
    Engine,
    Progress,
    ProgressFn,
    RenderedTake,
    RenderRequest,
    no_checkpoint,
    no_progress,
)
from shotcraft.shots.errors import ConfigError, EngineError
from shotcraft.shots.media import sha256_file
from shotcraft.shots.models import CameraMove, Move, TakeKind

try:  # the `kling` extra; without it the engine is listed but refuses to start
    import httpx
    import jwt
except ImportError:  # pragma: no cover - exercised only on installs without the extra
    httpx = None  # type: ignore[assignment]
    jwt = None  # type: ignore[assignment]

__version__ = "1"

log = logging.getLogger(__name__)

MAX_PROMPT = 2500  # Kling's limit for prompt and negative_prompt, in characters
MAX_IMAGE_BYTES = 10 * 1024 * 1024  # Kling refuses reference images over 10 MB
MAX_REFERENCES = 4  # multi-image2video takes at most four images
RESULT_LIFETIME = timedelta(days=30)  # Kling deletes generated videos after 30 days
ASPECTS = ("16:9", "9:16", "1:1")
KEYS_MISSING = (
    "Kling needs API keys: set SHOTCRAFT_KLING_ACCESS_KEY and SHOTCRAFT_KLING_SECRET_KEY."
)


class KlingSettings(BaseSettings):
    """Kling settings from `SHOTCRAFT_KLING_*` environment variables."""

    model_config = SettingsConfigDict(env_prefix="SHOTCRAFT_KLING_", extra="ignore")

    base_url: str = "https://api-singapore.klingai.com"
    access_key: SecretStr | None = None
    secret_key: SecretStr | None = None
    model_name: str = "kling-v1-6"
    mode: Literal["std", "pro"] = "std"
    cfg_scale: float = 0.5
    concurrency: int = 2  # tasks in flight at once (Kling limits concurrency per account)
    poll_interval: float = 5.0  # first wait between polls, seconds
    poll_backoff: float = 1.5  # each wait is this much longer ...
    poll_max_interval: float = 30.0  # ... up to this
    jitter: float = 0.2  # ± this fraction of every wait, so parallel takes do not poll in step
    max_poll_seconds: float = 1800.0
    request_timeout: float = 30.0
    retries: int = 5  # for 429, 5xx and timeouts, per call
    retry_delay: float = 1.0  # first back-off after a 429/5xx, doubled each time
    token_ttl: int = 1800  # JWT lifetime, seconds; re-signed with < 5 min left
    max_download_bytes: int = 512 * 1024 * 1024
    callback_url: str | None = None
    cost_table: dict[str, float] = {}  # "model/mode/seconds" → units, overriding COST_TABLE


@dataclass(frozen=True)
class ModelCaps:
    """What one Kling model accepts; feature sets hold the (mode, seconds) pairs allowed."""

    text: bool
    image: bool
    modes: frozenset[str]
    cfg_scale: bool
    last_frame: frozenset[tuple[str, int]] = frozenset()
    camera: frozenset[tuple[str, int]] = frozenset()
    multi_image: frozenset[tuple[str, int]] = frozenset()
    durations: tuple[int, ...] = (5, 10)


def _pairs(modes: str, secs: tuple[int, ...] = (5, 10)) -> frozenset[tuple[str, int]]:
    return frozenset((m, s) for m in modes.split() for s in secs)


# Kling's capability map ("skillsMap"), as read in mid-2025; see docs/kling.md for the sources.
MODELS: dict[str, ModelCaps] = {
    "kling-v1": ModelCaps(
        True, True, frozenset({"std", "pro"}), True,
        last_frame=_pairs("std pro", (5,)), camera=_pairs("std", (5,)),
    ),
    "kling-v1-5": ModelCaps(
        True, True, frozenset({"std", "pro"}), True,
        last_frame=_pairs("pro"), camera=_pairs("pro", (5,)),
    ),
    "kling-v1-6": ModelCaps(
        True, True, frozenset({"std", "pro"}), True,
        last_frame=_pairs("pro"), multi_image=_pairs("std pro"),
    ),
    "kling-v2-master": ModelCaps(True, True, frozenset({"std", "pro"}), False),
    "kling-v2-1": ModelCaps(
        False, True, frozenset({"std", "pro"}), False, last_frame=_pairs("pro", (5,)),
    ),
    "kling-v2-1-master": ModelCaps(True, True, frozenset({"std", "pro"}), False),
    "kling-v2-5-turbo": ModelCaps(
        True, True, frozenset({"std", "pro"}), False, last_frame=_pairs("pro"),
    ),
}


def _costs(std5: float, pro5: float) -> dict[str, float]:
    return {"std/5": std5, "std/10": 2 * std5, "pro/5": pro5, "pro/10": 2 * pro5}


# Kling API units per task ("model/mode/seconds"), from Kling's API pricing page; see docs/kling.md.
COST_TABLE: dict[str, float] = {
    f"{model}/{key}": value
    for model, table in {
        "kling-v1": _costs(1.0, 3.5),
        "kling-v1-5": _costs(2.0, 3.5),
        "kling-v1-6": _costs(2.0, 3.5),
        "kling-v2-master": _costs(10.0, 10.0),
        "kling-v2-1": _costs(2.0, 3.5),
        "kling-v2-1-master": _costs(10.0, 10.0),
        "kling-v2-5-turbo": _costs(1.5, 2.5),
    }.items()
    for key, value in table.items()
}

# Move → (config axis, sign). Kling's axes: horizontal/vertical translate the camera, `tilt`
# rotates it around the vertical (y) axis (negative = turn left), `pan` around the horizontal
# (x) axis (negative = down), `zoom` negative = narrower field of view (closer).
_CAMERA_AXES: dict[Move, tuple[str, int]] = {
    Move.PAN_LEFT: ("tilt", -1),
    Move.PAN_RIGHT: ("tilt", 1),
    Move.TILT_UP: ("pan", 1),
    Move.TILT_DOWN: ("pan", -1),
    Move.TRUCK_LEFT: ("horizontal", -1),
    Move.TRUCK_RIGHT: ("horizontal", 1),
    Move.ZOOM_IN: ("zoom", -1),
    Move.ZOOM_OUT: ("zoom", 1),
    Move.DOLLY_IN: ("zoom", -1),  # Kling's simple camera has no forward move; zoom is closest
    Move.DOLLY_OUT: ("zoom", 1),
    Move.ORBIT: ("horizontal", 1),  # a truck right, the subject held in the prompt
}
_CONFIG_AXES = ("horizontal", "vertical", "pan", "tilt", "roll", "zoom")
_APPROXIMATED = {
    Move.DOLLY_IN: "dolly in drawn as a zoom in: Kling's camera control has no forward move",
    Move.DOLLY_OUT: "dolly out drawn as a zoom out: Kling's camera control has no backward move",
    Move.ORBIT: "orbit drawn as a truck right: Kling's camera control has no orbit",
}


def camera_control_for(camera: CameraMove) -> dict[str, Any] | None:
    """Kling `camera_control` for a shot's move: one non-zero axis, intensity → 1..10.

    Static and handheld give None (Kling has no shake; handheld goes into the prompt).
    """
    axis = _CAMERA_AXES.get(camera.move)
    if axis is None:
        return None
    name, sign = axis
    magnitude = min(10, max(1, round(camera.intensity * 10)))
    config = {key: 0 for key in _CONFIG_AXES}
    config[name] = sign * magnitude
    return {"type": "simple", "config": config}


def _move_words(camera: CameraMove) -> str:
    speed = "slow" if camera.intensity < 0.4 else "fast" if camera.intensity > 0.7 else "steady"
    words = camera.move.value.replace("_", " ")
    if camera.move is Move.HANDHELD:
        return "handheld camera, subtle natural shake"
    return f"{speed} camera {words}"


def trim_prompt(text: str, limit: int = MAX_PROMPT) -> str:
    """`text` cut to `limit` characters at the last sentence end (or word) that fits."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    ends = [m.end() for m in re.finditer(r"[.!?。！？…](\s|$)", head)]
    if ends and ends[-1] > limit // 2:
        return head[: ends[-1]].rstrip()
    cut = head.rfind(" ")
    return (head[:cut] if cut > limit // 2 else head).rstrip()


@dataclass
class TaskPlan:
    """What one take of a request sends to Kling (minus the per-take external id)."""

    endpoint: str  # text2video | image2video | multi-image2video
    body: dict[str, Any]
    params: dict[str, Any]  # recorded on the take: the body with images as hashes
    downgrades: list[str] = field(default_factory=list)
    cost: float | None = None


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


class KlingEngine(Engine):
    """Draws video takes through Kling's API: one task per take, resumable, costed."""

    name = "kling"
    version = __version__

    def __init__(self, settings: KlingSettings | None = None) -> None:
        if httpx is None or jwt is None:
            raise ConfigError("Kling needs httpx and pyjwt: pip install 'shotcraft[kling]'.")
        self.settings = settings or KlingSettings()
        if self.settings.model_name not in MODELS:
            known = ", ".join(MODELS)
            raise ConfigError(
                f"Kling model {self.settings.model_name!r} is unknown; use one of {known}."
            )
        self.caps = MODELS[self.settings.model_name]
        if self.settings.mode not in self.caps.modes:
            raise ConfigError(f"{self.settings.model_name} has no {self.settings.mode} mode.")
        self._token: tuple[str, float] | None = None
        self._token_lock = threading.Lock()

    # --- what it can do -------------------------------------------------------------------

    def capabilities(self, kind: TakeKind = TakeKind.VIDEO) -> Capabilities:
        """What the configured model+mode can do; Kling keyframe stills are not drawn here."""
        if kind is TakeKind.KEYFRAME:
            return Capabilities(text_to_video=False, needs_keys=True, aspects=list(ASPECTS))
        caps, mode = self.caps, self.settings.mode
        return Capabilities(
            text_to_video=caps.text,
            image_to_video=caps.image,
            first_frame=caps.image,
            last_frame=any(m == mode for m, _ in caps.last_frame),
            character_references=any(m == mode for m, _ in caps.multi_image),
            camera_control=any(m == mode for m, _ in caps.camera),
            keyframes=False,
            max_seconds=float(max(caps.durations)),
            aspects=list(ASPECTS),
            batch_size=1,
            needs_keys=True,
        )

    def check(self, request: RenderRequest) -> None:
        """Raise EngineError, in one sentence, if the model+mode cannot draw this request."""
        self.plan(request)

    def describe_cost(self, request: RenderRequest) -> float | None:
        return self.plan(request).cost

    def _cost(self, model: str, mode: str, seconds: int) -> float | None:
        key = f"{model}/{mode}/{seconds}"
        return self.settings.cost_table.get(key, COST_TABLE.get(key))

    def plan(self, request: RenderRequest) -> TaskPlan:
        """The Kling request for `request`: endpoint, body, recorded params and downgrades."""
        s, caps = self.settings, self.caps
        model, mode = s.model_name, s.mode
        who = f"{model} {mode}"
        if request.kind is not TakeKind.VIDEO:
            raise EngineError("Kling draws video takes only; draw keyframes with another engine.")
        if request.aspect not in ASPECTS:
            raise EngineError(f"Kling cannot draw {request.aspect}; use 9:16, 16:9 or 1:1.")
        downgrades: list[str] = []
        first, last = request.first_frame, request.last_frame
        refs = [p for c in request.characters for p in c.references[:1]]
        refs += [p for c in request.characters for p in c.references[1:]]

        if (first or last) and not caps.image:
            raise EngineError(f"{who} cannot start from a keyframe; drop the keyframes.")
        if last is not None and not any(m == mode for m, _ in caps.last_frame):
            fix = "pick pro mode" if any(True for _ in caps.last_frame) else "pick another model"
            raise EngineError(f"{who} cannot use a last frame; {fix} or drop the last keyframe.")
        use_multi = bool(refs) and first is None and last is None
        if use_multi and not any(m == mode for m, _ in caps.multi_image):
            downgrades.append(f"character references ignored: {who} has no multi-image input")
            use_multi = False
        elif refs and not use_multi:
            downgrades.append("character references ignored: the keyframe already sets the look")
        if not (first or last or use_multi) and not caps.text:
            raise EngineError(f"{who} cannot draw from text alone; give the shot a first keyframe.")

        if last is not None:
            durations = sorted({d for m, d in caps.last_frame if m == mode})
        elif use_multi:
            durations = sorted({d for m, d in caps.multi_image if m == mode})
        else:
            durations = sorted(caps.durations)
        seconds = request.num_frames / request.fps
        duration = next((d for d in durations if d >= seconds - 1e-6), durations[-1])
        if seconds > duration + 1e-6:
            downgrades.append(f"shot is {seconds:.1f} s; {who} draws at most {duration} s here")

        prompt = request.prompt
        camera = None
        if request.camera.move is not Move.STATIC:
            wanted = camera_control_for(request.camera)
            if wanted is not None and last is not None:
                downgrades.append(
                    "camera move ignored: Kling cannot combine image_tail with camera_control"
                )
            elif wanted is not None and not use_multi and (mode, duration) in caps.camera:
                camera = wanted
                if request.camera.move in _APPROXIMATED:
                    downgrades.append(_APPROXIMATED[request.camera.move])
            else:
                if wanted is not None:
                    downgrades.append(
                        f"camera move put into the prompt: {who} has no camera control here"
                    )
                prompt = prompt.rstrip()
                joiner = " " if not prompt or prompt[-1] in ".!?。！？…" else ". "
                prompt = f"{prompt}{joiner}{_move_words(request.camera)}.".lstrip()
        trimmed = trim_prompt(prompt)
        if trimmed != prompt:
            downgrades.append(f"prompt trimmed from {len(prompt)} to {len(trimmed)} characters")
        negative = trim_prompt(request.negative_prompt)
        if negative != request.negative_prompt:
            downgrades.append("negative prompt trimmed to 2500 characters")

        endpoint = "multi-image2video" if use_multi else "image2video" if first or last else "text2video"
        body: dict[str, Any] = {"model_name": model, "prompt": trimmed, "mode": mode,
                                "duration": str(duration)}
        if negative:
            body["negative_prompt"] = negative
        if caps.cfg_scale and endpoint != "multi-image2video":
            body["cfg_scale"] = s.cfg_scale
        if endpoint != "image2video":
            body["aspect_ratio"] = request.aspect  # image2video takes the image's shape
        if camera is not None:
            body["camera_control"] = camera
        if s.callback_url:
            body["callback_url"] = s.callback_url
        params = {k: v for k, v in body.items() if k != "callback_url"}
        params.update(endpoint=endpoint, duration=duration, aspect_ratio=request.aspect,
                      shot_seconds=round(seconds, 3), seed_used=False)
        if first is not None:
            body["image"] = _encode_image(first)
            params["image_sha256"] = sha256_file(first)
        if last is not None:
            body["image_tail"] = _encode_image(last)
            params["image_tail_sha256"] = sha256_file(last)
        if use_multi:
            if len(refs) > MAX_REFERENCES:
                downgrades.append(f"only the first {MAX_REFERENCES} of {len(refs)} references sent")
            chosen = refs[:MAX_REFERENCES]
            body["image_list"] = [{"image": _encode_image(p)} for p in chosen]
            params["image_list_sha256"] = [sha256_file(p) for p in chosen]
        return TaskPlan(endpoint, body, params, downgrades, self._cost(model, mode, duration))

    # --- drawing --------------------------------------------------------------------------

    def render(
        self,
        request: RenderRequest,
        *,
        out_dir: Path,
        progress: ProgressFn = no_progress,
        cancel: threading.Event | None = None,
        checkpoint: CheckpointFn = no_checkpoint,
    ) -> list[RenderedTake]:
        """Draw one Kling task per take; failed takes carry the reason, cancelled ones are left
        out (their checkpoint lets a later render resume them without paying again)."""
        s = self.settings
        if not (s.access_key and s.secret_key and s.access_key.get_secret_value()
                and s.secret_key.get_secret_value()):
            raise EngineError(KEYS_MISSING)
        plan = self.plan(request)
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        run = _Run(self, request, plan, out_dir, progress, cancel or threading.Event(), checkpoint)
        with httpx.Client(timeout=s.request_timeout) as client, ThreadPoolExecutor(
            max_workers=max(1, s.concurrency), thread_name_prefix="kling"
        ) as pool:
            run.client = client
            jobs = list(zip(request.take_numbers, request.seeds, strict=True))
            results = list(pool.map(lambda job: run.take(*job), jobs))
        takes = [t for t in results if t is not None]
        if run.auth_error and not any(t.path for t in takes):
            raise EngineError(run.auth_error)
        return takes

    def _bearer(self) -> str:
        """A cached JWT, re-signed when less than five minutes of it are left."""
        with self._token_lock:
            now = time.time()
            if self._token is None or self._token[1] - now < 300:
                s = self.settings
                assert s.access_key is not None and s.secret_key is not None
                exp = int(now) + s.token_ttl
                payload = {"iss": s.access_key.get_secret_value(), "exp": exp, "nbf": int(now) - 5}
                token = jwt.encode(payload, s.secret_key.get_secret_value(), algorithm="HS256",
                                   headers={"alg": "HS256", "typ": "JWT"})
                self._token = (token, float(exp))
            return self._token[0]


def _encode_image(path: Path) -> str:
    """Base64 of an image file, without a data: prefix (as Kling wants it)."""
    path = Path(path)
    if not path.is_file():
        raise EngineError(f"Keyframe image {path.name} is missing.")
    if path.stat().st_size > MAX_IMAGE_BYTES:
        raise EngineError(f"Keyframe image {path.name} is over Kling's 10 MB limit.")
    return base64.b64encode(path.read_bytes()).decode("ascii")


class _Run:
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

    # one take, start to finish
    def take(self, take_number: int, seed: int) -> RenderedTake | None:
        plan = self.plan
        result = RenderedTake(take_number=take_number, seed=seed, params=dict(plan.params),
                              downgrades=list(plan.downgrades))
        state = dict(self.request.resume.get(take_number) or {})
        try:
            if self.cancel.is_set():
                raise _Cancelled
            task = self._find_or_submit(take_number, state)
            endpoint = state["endpoint"]
            for key in ("endpoint", "external_task_id", "model_name", "mode", "duration"):
                if key in state:
                    result.params[key] = state[key]
            result.provider = {"task_id": state["task_id"],
                               "external_task_id": state.get("external_task_id")}
            task = self._poll(take_number, endpoint, state["task_id"], task)
            if task.get("task_status") == "failed":
                reason = task.get("task_status_msg") or "no reason given"
                result.failed = f"Kling failed the task: {reason}"
                return result
            video = ((task.get("task_result") or {}).get("videos") or [{}])[0]
            if not video.get("url"):
                result.failed = "Kling reported success but sent no video URL."
                return result
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
            with self.lock:
                if stop.stop_all and self.stop_reason is None:
                    self.stop_reason = stop.message
                if stop.auth:
                    self.auth_error = stop.message
            result.failed = stop.message
            return result
        except Exception as exc:  # a take that breaks is reported, never raised (protocol)
            log.warning("kling take %s broke: %s", take_number, type(exc).__name__)
            result.failed = f"Kling take {take_number} broke: {type(exc).__name__}: {exc}"
            return result

    def _cost_of(self, state: dict[str, Any]) -> float | None:
        model = state.get("model_name", self.plan.body["model_name"])
        mode = state.get("mode", self.plan.body["mode"])
        duration = int(state.get("duration", self.plan.body["duration"]))
        return self.engine._cost(model, mode, duration)

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
                data = self._call("POST", f"/v1/videos/{state['endpoint']}", body, submit=True)
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

    def _query(self, endpoint: str, task_or_external_id: str) -> dict[str, Any]:
        return self._call("GET", f"/v1/videos/{endpoint}/{task_or_external_id}", None)

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
            if response.status_code in (401, 403) or 1000 <= code <= 1004 or code == 1103:
                raise _Stop(f"Kling refused the API keys (HTTP {response.status_code}, code "
                            f"{code}); check SHOTCRAFT_KLING_ACCESS_KEY and "
                            "SHOTCRAFT_KLING_SECRET_KEY.", stop_all=True, auth=True)
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

