"""A stand-in for Volcengine Ark's video generation task API (Seedance), written from Ark's
documents before the engine, inconvenient parts first.

Documents followed (all read 2026-12-07; the dates in brackets are the pages' own):
- Volcengine Ark "创建视频生成任务 API", "查询视频生成任务 API", "查询视频生成任务列表",
  "取消或删除内容生成任务" (volcengine.com/docs/82379/1520757 and its siblings, as listed in the
  Ark API reference navigation; field tables read from the copy at
  apifox.com/apidoc/docs-site/5437846): POST/GET/DELETE `/api/v3/contents/generations/tasks`,
  the list query `page_num`, `page_size` (1-500), `filter.status`, `filter.task_ids`,
  `filter.model`; a cancelled task is listed for 24 h, then deleted.
- BytePlus ModelArk "Video Generation API" (docs.byteplus.com/en/docs/ModelArk/1520757): the
  international host `ark.ap-southeast.bytepluses.com/api/v3`, "the maximum number of queued
  tasks for a single master account is 120".
- The SDK's own types, volcengine-ark-runtime 5.0.54 (`volcenginesdkarkruntime`
  resources/content_generation/tasks.py, types/content_generation/*.py, 2026-10): every create
  field (model, content, callback_url, return_last_frame, service_tier,
  execution_expires_after, generate_audio, draft, camera_fixed, watermark, seed, resolution,
  ratio, duration, frames, ...), the task object (id, model, status, error{code, message},
  content{video_url, last_frame_url}, usage{completion_tokens, total_tokens}, seed,
  framespersecond, duration, ratio, resolution, created_at, updated_at, ...), content items
  `text` / `image_url{url}` with `role` first_frame | last_frame | reference_image.
- Status flow queued → running → succeeded | failed | expired, cancelled for a cancelled
  queued task; the video URL "valid for 24 hours" (docs.ai-tokenhub.com's copy of "Query Video
  Generation Task API"; docs.powertokens.ai "状态流转 queued -> running -> succeeded/failed/
  expired"); execution_expires_after 3600-259200 s (docs.acedata.cloud Seedance reference).
- Models, durations, resolutions: Seedance 2.0 `doubao-seedance-2-0-260128` and
  `-2-0-fast-260128` (international `dreamina-seedance-2-0-260128` / `-fast-`), 4-15 s, 24 fps,
  480p/720p/1080p, the fast model without 1080p (apidog.com "Seedance 2.0 API" 2026-04-04;
  docs.powertokens.ai; piapi.ai "seedance-2-fast do not support 1080p"; gitea.airlabs.art
  video-shuoshan billing.py 2026-04-17 "Fast+1080P" refused, 1080P from 2026-04-16);
  reference images 1-9, first/last frame, native audio (together.ai Seedance 2.0 quickstart);
  1.5 pro 4-12 s with audio (docs.anyfast.ai); 1.0 pro/lite 2-12 s (docs.anyfast.ai,
  docs.gptproto.com); ratios 16:9 4:3 1:1 3:4 9:16 21:9 adaptive.
- Frame sizes: 1.x at 480p and 720p from the table copied at 302ai-en.apifox.cn/305958132e0
  (9:16: 480×864, 704×1248); 2.0 at 720p 9:16 = 720×1280 and 1080p 9:16 = 1080×1920
  (docs.gogogotoken.com "size": "720x1280" / "1080x1920"), 720p 3:4 = 834×1112 and 480p 1:1 =
  640×640 (help.geelark.com Seedance 2.0 manual), 1080p 21:9 = 2206×946 (airlabs billing.py).
- Tokens = width × height × fps × seconds / 1024 (302.ai "Pricing Reference Source").
- Moderation: input text refused at create with `InputTextSensitiveContentDetected` and an
  output refused as a failed task with `OutputVideoSensitiveContentDetected` (Ark 公共错误码).

ASSUMED (no page read says so; each is marked where it is used): the rest of the 2.0 and the
1.x 1080p size table; the exact message texts; 404 `ResourceNotFound` for an unknown task id;
409 for DELETE of a running task; the expired media URL answering 403 with TOS's XML; that a
created task is in the list at once; that `camera_fixed` is refused by 2.0; the multi-shot prompt
("Shot 1 [0.0s-2.5s]: ...") being honoured at the stated times (the real model cuts where it
likes, which is why the engine checks the cuts it gets).

Faults are injected with `inject(kind, where)`: 429 rate limit, 500, a dropped connection after
the task was created, a moderation refusal (input or output), an overdue account, a served video
of the wrong size. `hold` keeps tasks running; `clock` moves the stand-in's time (URL expiry).
"""

from __future__ import annotations

import base64
import binascii
import io
import itertools
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from PIL import Image

from tests.engine.clips import clip
from tests.http_stub import Served

FPS = 24
RATIOS = ("16:9", "4:3", "1:1", "3:4", "9:16", "21:9")
URL_LIFETIME = 24 * 3600  # seconds a video URL stays valid
LIST_KEEP = 7 * 24 * 3600  # tasks are listed for 7 days
MAX_QUEUED = 120
HOSTS = {"china": "ark.cn-beijing.volces.com", "international": "ark.ap-southeast.bytepluses.com"}

# (width, height) per resolution and ratio
SIZES_2 = {
    "480p": {"16:9": (864, 496), "4:3": (752, 560), "1:1": (640, 640), "3:4": (560, 752),
             "9:16": (496, 864), "21:9": (992, 432)},
    "720p": {"16:9": (1280, 720), "4:3": (1112, 834), "1:1": (960, 960), "3:4": (834, 1112),
             "9:16": (720, 1280), "21:9": (1470, 630)},
    "1080p": {"16:9": (1920, 1080), "4:3": (1664, 1248), "1:1": (1440, 1440),
              "3:4": (1248, 1664), "9:16": (1080, 1920), "21:9": (2206, 946)},
}
SIZES_1 = {
    "480p": {"16:9": (864, 480), "4:3": (736, 544), "1:1": (640, 640), "3:4": (544, 736),
             "9:16": (480, 864), "21:9": (960, 416)},
    "720p": {"16:9": (1248, 704), "4:3": (1120, 832), "1:1": (960, 960), "3:4": (832, 1120),
             "9:16": (704, 1248), "21:9": (1504, 640)},
    "1080p": {"16:9": (1920, 1088), "4:3": (1664, 1248), "1:1": (1440, 1440),  # ASSUMED
              "3:4": (1248, 1664), "9:16": (1088, 1920), "21:9": (2176, 928)},
}


def _model(durations: range, resolutions: tuple[str, ...], *, refs: int, first: bool,
           last: bool, text: bool = True, audio: bool = False, v2: bool = False) -> dict[str, Any]:
    return {"durations": durations, "resolutions": resolutions, "refs": refs, "first": first,
            "last": last, "text": text, "audio": audio, "sizes": SIZES_2 if v2 else SIZES_1,
            "v2": v2}


V2 = _model(range(4, 16), ("480p", "720p", "1080p"), refs=9, first=True, last=True, audio=True,
            v2=True)
V2_FAST = {**V2, "resolutions": ("480p", "720p")}
MODELS: dict[str, dict[str, dict[str, Any]]] = {
    "china": {
        "doubao-seedance-2-0-260128": V2,
        "doubao-seedance-2-0-fast-260128": V2_FAST,
        "doubao-seedance-1-5-pro-251215": _model(range(4, 13), ("480p", "720p", "1080p"),
                                                 refs=0, first=True, last=True, audio=True),
        "doubao-seedance-1-0-pro-250528": _model(range(2, 13), ("480p", "720p", "1080p"),
                                                 refs=0, first=True, last=True),
        "doubao-seedance-1-0-pro-fast-251015": _model(range(2, 13), ("480p", "720p", "1080p"),
                                                      refs=0, first=True, last=False),
        "doubao-seedance-1-0-lite-t2v-250428": _model(range(2, 13), ("480p", "720p", "1080p"),
                                                      refs=0, first=False, last=False),
        "doubao-seedance-1-0-lite-i2v-250428": _model(range(2, 13), ("480p", "720p", "1080p"),
                                                      refs=4, first=True, last=True, text=False),
    },
    "international": {
        "dreamina-seedance-2-0-260128": V2,
        "dreamina-seedance-2-0-fast-260128": V2_FAST,
        "seedance-1-5-pro-251215": _model(range(4, 13), ("480p", "720p", "1080p"), refs=0,
                                          first=True, last=True, audio=True),
        "seedance-1-0-pro-250528": _model(range(2, 13), ("480p", "720p", "1080p"), refs=0,
                                          first=True, last=True),
    },
}
CREATE_FIELDS = {"model", "content", "safety_identifier", "callback_url", "return_last_frame",
                 "service_tier", "execution_expires_after", "priority", "generate_audio",
                 "draft", "camera_fixed", "watermark", "seed", "resolution", "ratio", "duration",
                 "frames", "tools", "output_format", "omni_reference_task_type"}
ROLES = {"first_frame", "last_frame", "reference_image"}
SENSITIVE = "血腥"  # a prompt holding this is refused as sensitive input (the stand-in's trigger)
SHOT_RE = re.compile(r"Shot (\d+) \[(\d+(?:\.\d+)?)s-(\d+(?:\.\d+)?)s\]")


class ArkRefusal(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _bad(message: str, code: str = "InvalidParameter") -> ArkRefusal:
    return ArkRefusal(400, code, f"{message} Request id: 0217-stand-in")


def image_size(url: str) -> tuple[int, int]:
    """The size of a `data:image/<fmt>;base64,` image; an http(s) URL cannot be fetched here."""
    if url.startswith(("http://", "https://")):
        raise _bad("The parameter `content.image_url.url` could not be downloaded.")
    match = re.match(r"data:image/(png|jpeg|jpg|webp|bmp|tiff|gif);base64,(.*)$", url, re.S)
    if not match:
        raise _bad("The parameter `content.image_url.url` must be a URL or "
                   "data:image/<format>;base64,<data>.")
    try:
        data = base64.b64decode(match[2], validate=True)
        with Image.open(io.BytesIO(data)) as img:
            size = img.size
    except (binascii.Error, ValueError, OSError) as exc:
        raise _bad("The parameter `content.image_url.url` is not a valid image.") from exc
    if len(data) > 30 * 1024 * 1024:
        raise _bad("The image must be smaller than 30 MB.")
    return size


class FakeArk(Served):
    """The stand-in service on localhost; `base_url` ends in /api/v3 like Ark's."""

    api_path = "/api/v3"

    def __init__(self, *, api_key: str, region: str = "china", queue_polls: int = 1,
                 run_polls: int = 1) -> None:
        self.api_key, self.region = api_key, region
        self.models = MODELS[region]
        self.queue_polls, self.run_polls = queue_polls, run_polls
        self.tasks: dict[str, dict[str, Any]] = {}
        self.created: list[dict[str, Any]] = []  # tasks created (= paid for, when they succeed)
        self.posts: list[dict[str, Any]] = []  # every create that reached the server
        self.deleted: list[str] = []
        self.faults: list[list[Any]] = []
        self.hold = False  # tasks stay running
        self.clock = 0.0  # seconds added to the stand-in's time
        # where a multi-shot clip cuts: "prompt" (as asked), "none" (one long shot), or
        # "early" (each cut a second before the asked time, as a model may)
        self.cuts = "prompt"
        self.lock = threading.Lock()
        self._ids = itertools.count(1)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return _Handler

    def now(self) -> float:
        return time.time() + self.clock

    def inject(self, kind: str, where: str = "create", times: int = 1) -> None:
        """Make `times` calls at `where` (create | query | list | after-create | media) answer
        `kind` (429 | 500 | drop | moderation | overdue | wrong-size | expired)."""
        with self.lock:
            self.faults.append([where, kind, times])

    def fault(self, where: str) -> str | None:
        with self.lock:
            for entry in self.faults:
                if entry[0] == where and entry[2] > 0:
                    entry[2] -= 1
                    return str(entry[1])
        return None

    # --- the service -----------------------------------------------------------------------

    def validate(self, body: Any) -> dict[str, Any]:
        """The task's shape (model facts, size, seconds, shots) for a create body, or ArkRefusal."""
        if not isinstance(body, dict):
            raise _bad("The request body must be a JSON object.")
        # the SDK sends every field, null when unset: a null is no value
        body = {key: value for key, value in body.items() if value is not None}
        unknown = set(body) - CREATE_FIELDS
        if unknown:
            raise _bad(f"The parameter `{sorted(unknown)[0]}` specified in the request is not valid.")
        name = body.get("model")
        if name not in self.models:
            raise ArkRefusal(404, "InvalidEndpointOrModel.NotFound",
                             f"The model or endpoint {name} does not exist or you do not have "
                             "access to it.")
        model = self.models[name]
        content = body.get("content")
        if not isinstance(content, list) or not content:
            raise _bad("The parameter `content` is required.", "MissingParameter")
        texts = [c for c in content if isinstance(c, dict) and c.get("type") == "text"]
        images = [c for c in content if isinstance(c, dict) and c.get("type") == "image_url"]
        if len(texts) + len(images) != len(content) or len(texts) > 1:
            raise _bad("The parameter `content` holds at most one text item and image_url items.")
        prompt = str(texts[0].get("text") or "") if texts else ""
        if SENSITIVE in prompt:
            raise _bad("The request failed because the input text may contain sensitive "
                       "information.", "InputTextSensitiveContentDetected")
        roles = [c.get("role") or ("first_frame" if len(images) == 1 else "reference_image")
                 for c in images]
        if any(r not in ROLES for r in roles):
            raise _bad("The parameter `content.role` must be first_frame, last_frame or "
                       "reference_image.")
        refs = roles.count("reference_image")
        if refs and ("first_frame" in roles or "last_frame" in roles):
            raise _bad("Reference images cannot be combined with first or last frames.")
        if refs > model["refs"]:
            raise _bad(f"The model {name} accepts at most {model['refs']} reference images.")
        if "last_frame" in roles and ("first_frame" not in roles or not model["last"]):
            raise _bad(f"The model {name} does not support a last frame here.")
        if "first_frame" in roles and not model["first"]:
            raise _bad(f"The model {name} does not support image-to-video.")
        if not images and not model["text"]:
            raise _bad(f"The model {name} needs an image.")
        image_sizes = []
        for item in images:
            width, height = image_size(str((item.get("image_url") or {}).get("url") or ""))
            if not (300 <= width <= 6000 and 300 <= height <= 6000) or not (
                    0.4 <= width / height <= 2.5):
                raise _bad("The image must be 300-6000 px a side with an aspect ratio within "
                           "(0.4, 2.5).")
            image_sizes.append((width, height))
        resolution = body.get("resolution", "720p")
        if resolution not in model["resolutions"]:
            raise _bad(f"The parameter `resolution` specified in the request is not valid for "
                       f"model {name}.")
        ratio = body.get("ratio", "adaptive" if images and not refs else "16:9")
        if ratio == "adaptive":
            if not image_sizes:
                raise _bad("The parameter `ratio` adaptive needs a first frame.")
            w, h = image_sizes[0]
            ratio = min(RATIOS, key=lambda r: abs(_ratio(r) - w / h))
        elif ratio not in RATIOS:
            raise _bad("The parameter `ratio` specified in the request is not valid.")
        duration = body.get("duration", 5)
        if "frames" in body:
            raise _bad(f"The parameter `frames` is not supported by model {name}.")
        if not isinstance(duration, int) or duration not in model["durations"]:
            low, high = model["durations"][0], model["durations"][-1]
            raise _bad(f"The parameter `duration` must be an integer from {low} to {high} for "
                       f"model {name}.")
        seed = body.get("seed", -1)
        if not isinstance(seed, int) or not -1 <= seed <= 2**32 - 1:
            raise _bad("The parameter `seed` must be within [-1, 4294967295].")
        if "generate_audio" in body and not model["audio"]:
            raise _bad(f"The parameter `generate_audio` is not supported by model {name}.")
        if "camera_fixed" in body and model["v2"]:  # ASSUMED
            raise _bad(f"The parameter `camera_fixed` is not supported by model {name}.")
        expires = body.get("execution_expires_after", 172800)
        if not isinstance(expires, int) or not 3600 <= expires <= 259200:
            raise _bad("The parameter `execution_expires_after` must be within [3600, 259200].")
        if body.get("service_tier", "default") not in ("default", "flex"):
            raise _bad("The parameter `service_tier` must be default or flex.")
        width, height = model["sizes"][resolution][ratio]
        cuts = [round(float(m[2]) * FPS) for m in SHOT_RE.finditer(prompt)][1:]
        return {"width": width, "height": height, "seconds": duration, "ratio": ratio,
                "resolution": resolution, "seed": seed,
                "audio": bool(body.get("generate_audio", model["audio"])),
                "cuts": tuple(c for c in cuts if 0 < c < duration * FPS)}

    def create(self, body: dict[str, Any], shape: dict[str, Any]) -> dict[str, Any] | None:
        with self.lock:
            queued = sum(1 for t in self.tasks.values() if self._status(t) == "queued")
            if queued >= MAX_QUEUED:
                return None
            now = self.now()
            task_id = f"cgt-{time.strftime('%Y%m%d%H%M%S', time.gmtime(now))}-{next(self._ids):05d}"
            seed = shape["seed"] if shape["seed"] >= 0 else 1000 + len(self.created)
            task = {"id": task_id, "body": body, "shape": {**shape, "seed": seed}, "polls": 0,
                    "created_at": int(now), "updated_at": int(now), "status": None,
                    "moderation": False, "finished_at": None}
            self.tasks[task_id] = task
            self.created.append(task)
            return task

    def _status(self, task: dict[str, Any]) -> str:
        if task["status"] is not None:
            return str(task["status"])
        expires = int(task["body"].get("execution_expires_after", 172800))
        if self.now() - task["created_at"] > expires:
            return "expired"
        if task["polls"] <= self.queue_polls:
            return "queued"
        if self.hold or task["polls"] <= self.queue_polls + self.run_polls:
            return "running"
        return "failed" if task["moderation"] else "succeeded"

    def view(self, task: dict[str, Any], *, advance: bool) -> dict[str, Any]:
        """The task object as GET answers it; `advance` moves it one poll along."""
        with self.lock:
            if advance and task["status"] is None:
                task["polls"] += 1
            status = self._status(task)
            if status in ("succeeded", "failed", "expired") and task["finished_at"] is None:
                task["finished_at"] = int(self.now())
                task["updated_at"] = task["finished_at"]
        shape, body = task["shape"], task["body"]
        out: dict[str, Any] = {
            "id": task["id"], "model": body["model"], "status": status, "error": None,
            "created_at": task["created_at"], "updated_at": task["updated_at"],
            "seed": shape["seed"], "resolution": shape["resolution"], "ratio": shape["ratio"],
            "duration": shape["seconds"], "framespersecond": FPS,
            "generate_audio": shape["audio"],
            "service_tier": body.get("service_tier", "default"),
            "execution_expires_after": body.get("execution_expires_after", 172800),
        }
        if status == "failed":
            out["error"] = {"code": "OutputVideoSensitiveContentDetected",
                            "message": "The request failed because the output video may contain "
                                       "sensitive information. Request id: 0217-stand-in"}
        elif status == "expired":
            out["error"] = {"code": "TaskExpired", "message": "The task timed out."}  # ASSUMED
        elif status == "succeeded":
            expires = task["finished_at"] + URL_LIFETIME
            out["content"] = {"video_url": f"{self.base_url}/media/{task['id']}.mp4?"
                                           f"X-Tos-Expires={expires}"}
            if body.get("return_last_frame"):
                out["content"]["last_frame_url"] = f"{self.base_url}/media/{task['id']}.png"
            tokens = shape["width"] * shape["height"] * FPS * shape["seconds"] // 1024
            out["usage"] = {"completion_tokens": tokens, "total_tokens": tokens}
        return out

    def listing(self, query: dict[str, list[str]]) -> dict[str, Any]:
        try:
            page = int(query.get("page_num", ["1"])[0])
            size = int(query.get("page_size", ["10"])[0])
        except ValueError as exc:
            raise _bad("The parameters `page_num` and `page_size` are integers.") from exc
        if not (1 <= page <= 500 and 1 <= size <= 500):
            raise _bad("The parameters `page_num` and `page_size` must be within [1, 500].")
        with self.lock:
            tasks = [t for t in reversed(self.created) if t["id"] in self.tasks
                     and self.now() - t["created_at"] < LIST_KEEP]
        ids = query.get("filter.task_ids")
        if ids:
            tasks = [t for t in tasks if t["id"] in ids]
        if "filter.model" in query:
            tasks = [t for t in tasks if t["body"]["model"] == query["filter.model"][0]]
        views = [self.view(t, advance=False) for t in tasks]
        if "filter.status" in query:
            views = [v for v in views if v["status"] == query["filter.status"][0]]
        return {"total": len(views), "items": views[(page - 1) * size: page * size]}

    def delete(self, task_id: str) -> None:
        with self.lock:
            task = self.tasks.get(task_id)
        if task is None:
            raise ArkRefusal(404, "ResourceNotFound", f"The task {task_id} was not found.")
        status = self._status(task)
        if status == "running":  # ASSUMED: 409
            raise ArkRefusal(409, "InvalidAction.TaskRunning",
                             f"The task {task_id} is running and cannot be cancelled.")
        with self.lock:
            self.deleted.append(task_id)
            if status == "queued":
                task["status"] = "cancelled"
                task["updated_at"] = int(self.now())
            else:
                self.tasks.pop(task_id, None)

    def media(self, task: dict[str, Any]) -> bytes:
        shape = task["shape"]
        width, height = shape["width"], shape["height"]
        if self.fault("media") == "wrong-size":
            width, height = height, width
        cuts = {"prompt": shape["cuts"], "none": (),
                "early": tuple(max(1, c - FPS) for c in shape["cuts"])}[self.cuts]
        return clip(width, height, FPS, shape["seconds"] * FPS, cuts=cuts, sound=shape["audio"])


def _ratio(name: str) -> float:
    w, h = name.split(":")
    return int(w) / int(h)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeArk
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def _json(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-Client-Request-Id", "0217-stand-in")
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            self.close_connection = True

    def _error(self, refusal: ArkRefusal) -> None:
        self._json(refusal.status, {"error": {"code": refusal.code, "message": refusal.message,
                                              "param": "", "type": "BadRequest"}})

    def _authorised(self) -> bool:
        header = self.headers.get("Authorization") or ""
        if header != f"Bearer {self.fake.api_key}":
            self._json(401, {"error": {
                "code": "AuthenticationError", "type": "Unauthorized", "param": "",
                "message": "The API key or AK/SK in the request is missing or invalid. Request "
                           "id: 0217-stand-in"}})
            return False
        return True

    def _faulted(self, where: str) -> bool:
        kind = self.fake.fault(where)
        if kind == "429":
            self._error(ArkRefusal(429, "RateLimitExceeded.EndpointRPMExceeded",
                                   "Your request has exceeded the RPM limit. Request id: 0217"))
        elif kind == "500":
            self._error(ArkRefusal(500, "InternalServiceError",
                                   "The service encountered an unexpected internal error."))
        elif kind == "overdue":
            self._error(ArkRefusal(403, "AccountOverdueError",
                                   "The request failed because your account has an overdue "
                                   "balance. Request id: 0217-stand-in"))
        else:
            return False
        return True

    def _route(self) -> tuple[str | None, str | None]:
        path = urlsplit(self.path).path
        base = "/api/v3/contents/generations/tasks"
        if path == base:
            return "tasks", None
        if path.startswith(base + "/"):
            return "task", path[len(base) + 1:]
        if path.startswith("/api/v3/media/"):
            return "media", path.rsplit("/", 1)[-1]
        return None, None

    def do_GET(self) -> None:
        route, ident = self._route()
        if route == "media":
            return self._media(str(ident))
        if route is None:
            return self._json(404, {"error": {"code": "NotFound", "message": "Not found"}})
        if not self._authorised():
            return None
        if self._faulted("query" if route == "task" else "list"):
            return None
        if route == "tasks":
            try:
                return self._json(200, self.fake.listing(parse_qs(urlsplit(self.path).query)))
            except ArkRefusal as refusal:
                return self._error(refusal)
        task = self.fake.tasks.get(str(ident))
        if task is None:
            return self._error(ArkRefusal(404, "ResourceNotFound",  # ASSUMED
                                          f"The task {ident} was not found."))
        return self._json(200, self.fake.view(task, advance=True))

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        route, ident = self._route()
        if route != "tasks":
            return self._json(404, {"error": {"code": "NotFound", "message": "Not found"}})
        if not self._authorised():
            return None
        try:
            body = json.loads(raw)
        except json.JSONDecodeError:
            return self._error(_bad("The request body is not valid JSON."))
        with self.fake.lock:
            self.fake.posts.append(body)
        if self._faulted("create"):
            return None
        try:
            shape = self.fake.validate(body)
        except ArkRefusal as refusal:
            return self._error(refusal)
        kind = self.fake.fault("after-create")
        task = self.fake.create({k: v for k, v in body.items() if v is not None}, shape)
        if task is None:
            return self._error(ArkRefusal(429, "QuotaExceeded",  # ASSUMED code
                                          f"More than {MAX_QUEUED} tasks are queued."))
        task["moderation"] = kind == "moderation"
        if kind == "drop":  # created (and billed when it succeeds), but the answer is lost
            self.close_connection = True
            return None
        return self._json(200, {"id": task["id"]})

    def do_DELETE(self) -> None:
        route, ident = self._route()
        if route != "task":
            return self._json(404, {"error": {"code": "NotFound", "message": "Not found"}})
        if not self._authorised():
            return None
        try:
            self.fake.delete(str(ident))
        except ArkRefusal as refusal:
            return self._error(refusal)
        return self._json(200, {})

    def _media(self, name: str) -> None:
        task = self.fake.tasks.get(name.rsplit(".", 1)[0])
        query = parse_qs(urlsplit(self.path).query)
        expires = float(query.get("X-Tos-Expires", ["0"])[0])
        if task is None:
            return self._json(404, {"error": {"code": "NotFound", "message": "Not found"}})
        if self.fake.now() > expires or self.fake.fault("media-expired") == "expired":
            body = (b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code>"
                    b"<Message>Request has expired</Message></Error>")  # ASSUMED: TOS's answer
            self.send_response(403)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return None
        data = self.fake.media(task)
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        return None
