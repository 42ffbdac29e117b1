"""A small fake of Kling's video API for tests: JWT auth, body validation, task lifecycle.

It behaves like the documented service: HS256 JWT with `iss`/`exp`/`nbf`, Kling's envelope
`{code, message, request_id, data}`, error codes (401/1000-1004, 400/1201, 404/1203, 429/1102,
429/1302, 500/5000), tasks moving submitted → processing → succeed over a few polls, the result
MP4 served from the same server. `video-extend` takes only its documented fields (no
external_task_id), accepts only the id of a succeeded text2video/image2video/extension video of
this account (anything else is 400/1201), and its result is the *whole* video: the source's
size and fps, its length plus `extend_seconds` (4 by default, the short end of Kling's "4~5 s").
The list query (`GET /v1/videos/{endpoint}?pageNum=&pageSize=`) is served too; an extension
shows its source in `task_info.parent_video`. Faults can be injected: 429, 500, a dropped connection after
the task was created, a moderation failure, an exhausted balance.

The result is a real H.264 MP4 in Kling's own format, not the caller's: 720p in std mode and
1080p in pro (the master models 1080p in both, kling-v1 720p in both), 30 fps for the 1.x models
and 24 for the 2.x ones, `duration` seconds long, shaped by `aspect_ratio` (text2video,
multi-image2video) or by the image's orientation (image2video). The figures are kept here on
their own, apart from the engine's table, so that the two are checked against each other.
Clips are made with ffmpeg once per (width, height, fps, seconds, sound) and process; with
`sound: "on"` (kling-v2-6 pro, kling-v3) the MP4 also carries an AAC track.

Kling's inconvenient parts are modelled too: the server belongs to one region (keys are issued
per region, so a key from the other region's console is refused with 401/1000, "Authentication
failed"); kling-v3 takes any whole second from 3 to 15 and the older models only "5"/"10"; and
with `max_running` set, a submit while that many tasks are unfinished is refused with
429/1303 "parallel task over resource pack limit" (Kling "Concurrency Rules"; the HTTP status
429 is assumed, as for the other 1xxx account codes).

Besides video it knows, as documented (README, "kling (cloud)"): elements
(`POST/GET /v1/general/advanced-custom-elements`: name ≤ 20, description ≤ 100, a frontal
image and 1-3 refer_images, tag ids o_101…o_108; each creation counted in `elements_created`
with a new int64 `element_id`), omni-video (`kling-video-o1`, `element_list` ids that must
exist and be named `<<<element_N>>>` in the prompt, ≤ 7 elements + images, no
negative_prompt/cfg_scale/camera_control) and image generation (`POST/GET
/v1/images/generations`: `image_reference` required on kling-v1-5 with an image, no
negative_prompt with an image, human_fidelity only for subject; results a real PNG at the
assumed 1k size for the aspect; counted in `images_created`). Bad fields answer 400/1201.

And text-to-speech (`POST/GET /v1/audio/tts`, as the speech engine's docstring models it:
assembly/speech/kling.py): `text` (1-1000 characters) and `voice_id` required, `voice_language`
zh|en, `voice_speed` 0.8-2.0, nothing else; the same task flow and faults as video; the result
`task_result.audios[0].url`, a real MP3 (a tone 0.12 s per character, at least 0.5 s) whose URL
expires `tts_url_lifetime` seconds after the poll that gave it (then 403). Counted in
`tts_created`.

Multi-shot (kling-v3 text2video and image2video, read 2026-12-07: videopromptkit.com "Kling v3
Pro: Writing a multi_prompt Shot List", kling3.pro "Multi-Shot Guide" 2026-06-26, cinemasetfree.com
kwaivgi/kling-v3-video): `multi_shot: true`, `shot_type: "customize"`, `multi_prompt` a list of
1-6 `{index, prompt, duration}` (whole seconds, at least 1 each, adding up to `duration`, 3-15),
and no `prompt` beside it ("prompt and multi_prompt are mutually exclusive"). ASSUMED: the
field names `multi_shot`/`shot_type` as the Kling console names them, the string durations (as
`duration` is sent), no `image_tail` or `camera_control` with it, and that the model cuts exactly
at the stated seconds; the result cuts hard there (tests/engine/clips.py).

And lip-sync (`POST/GET /v1/videos/lip-sync`, listed like the other video endpoints): only
`input` (and `callback_url`), no external_task_id; `input` holds exactly one of `video_id`
(a finished video task of this account, at most 30 days old, 2-10 s long) and `video_url`
(refused here: nothing public is reachable), `mode` audio2video (`audio_type` file with a
base64 WAV/MP3 of 2-60 s and at most 5 MB; `url` is refused here too) or text2video (text ≤
120 characters, voice_id, voice_language zh|en, voice_speed 0.8-2.0); anything else 400/1201.
The task lists its source in `task_info.parent_video`; its result is the parent's size, rate
and length: a talking face (tests/talking.py) whose mouth follows the sent audio as
`lipsync_mode` says (sync, frozen, inverted), the audio muxed in.
"""

from __future__ import annotations

import base64
import binascii
import io
import itertools
import json
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from PIL import Image

from shotcraft.shots.ffmpeg import ffprobe_binary
from shotcraft.shots.media import ffmpeg_binary
from tests.engine.clips import clip
from tests.http_stub import Served

MODELS = {"kling-v1", "kling-v1-5", "kling-v1-6", "kling-v2-master", "kling-v2-1",
          "kling-v2-1-master", "kling-v2-5-turbo", "kling-v2-6", "kling-v3"}
SOUND = {"kling-v2-6": {"pro"}, "kling-v3": {"std", "pro"}}  # model → modes with native sound
ANY_LENGTH = {"kling-v3"}  # any whole second 3..15; the others "5" or "10"
HOSTS = {"global": "api-singapore.klingai.com", "china": "api-beijing.klingai.com"}
COMMON = {"model_name", "prompt", "negative_prompt", "cfg_scale", "mode", "aspect_ratio",
          "duration", "callback_url", "external_task_id"}
FIELDS = {
    # omni-video (kling-video-o1): no negative_prompt, cfg_scale or camera_control field
    "omni-video": {"model_name", "prompt", "image_list", "element_list", "video_list", "mode",
                   "aspect_ratio", "duration", "watermark_info", "callback_url",
                   "external_task_id"},
    "text2video": COMMON | {"camera_control", "sound", "multi_shot", "shot_type",
                            "multi_prompt"},
    "image2video": COMMON | {"image", "image_tail", "camera_control", "static_mask",
                             "dynamic_masks", "sound", "multi_shot", "shot_type", "multi_prompt"},
    "multi-image2video": COMMON | {"image_list"},
    # video extension: only these fields (no model_name, mode, duration or external_task_id:
    # the extension takes the source video's model and mode and adds 4-5 s to it)
    "video-extend": {"video_id", "prompt", "negative_prompt", "cfg_scale", "callback_url"},
    # lip-sync: everything sits in `input`; no external_task_id anywhere
    "lip-sync": {"input", "callback_url"},
}
LIPSYNC_INPUT = {"video_id", "video_url", "mode", "text", "voice_id", "voice_language",
                 "voice_speed", "audio_type", "audio_file", "audio_url", "task_id"}
LIPSYNC_FROM = {"text2video", "image2video", "video-extend", "omni-video", "multi-image2video"}
LIPSYNC_VIDEO_SECONDS = (2, 10)  # as documented for video_url; video_id names 5 s / 10 s videos
LIPSYNC_AUDIO_SECONDS = (2.0, 60.0)
LIPSYNC_AUDIO_BYTES = 5 * 1024 * 1024
VIDEO_LIFETIME_MS = 30 * 24 * 3600 * 1000  # Kling keeps generated videos 30 days
EXTENDS_FROM = {"text2video", "image2video", "video-extend"}  # not multi-image2video results
MAX_EXTENDED_SECONDS = 180  # an extended video may not pass 3 minutes
CAMERA_TYPES = {"simple", "down_back", "forward_up", "right_turn_forward", "left_turn_forward"}
AXES = {"horizontal", "vertical", "pan", "tilt", "roll", "zoom"}
# model → (std lines, pro lines, fps), as Kling's model pages on runware.ai document them
NATIVE = {"kling-v1": (720, 720, 30), "kling-v1-5": (720, 1080, 30), "kling-v1-6": (720, 1080, 30),
          "kling-v2-master": (1080, 1080, 24), "kling-v2-1": (720, 1080, 24),
          "kling-v2-1-master": (1080, 1080, 24), "kling-v2-5-turbo": (720, 1080, 24),
          "kling-v2-6": (720, 1080, 24), "kling-v3": (720, 1080, 24)}
SHAPES = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1)}
OMNI_NATIVE = (720, 1080, 24)  # kling-video-o1: std 720p, pro 1080p; 24 fps is assumed

# --- elements (POST/GET /v1/general/advanced-custom-elements) -------------------------------
ELEMENT_FIELDS = {"element_name", "element_description", "reference_type", "element_image_list",
                  "element_video_list", "element_voice_id", "tag_list", "callback_url",
                  "external_task_id"}
TAGS = {f"o_{n}" for n in range(101, 109)}

# --- image generation (POST/GET /v1/images/generations) -----------------------------------
IMAGE_MODELS = {"kling-v1", "kling-v1-5", "kling-v2", "kling-v2-new", "kling-v2-1"}
IMAGE_FIELDS = {"model_name", "prompt", "negative_prompt", "image", "image_reference",
                "image_fidelity", "human_fidelity", "resolution", "n", "aspect_ratio",
                "callback_url", "external_task_id"}
TTS_FIELDS = {"text", "voice_id", "voice_language", "voice_speed", "callback_url",
              "external_task_id"}
TTS_MAX_TEXT = 1000
TTS_SECONDS_PER_CHAR = 0.12
IMAGE_ASPECTS = {"16:9", "9:16", "1:1", "4:3", "3:4", "3:2", "2:3", "21:9"}
# the engine's STILL_SIZES, kept apart so the two are checked against each other (assumed sizes)
STILL_SIZES = {"1:1": (1024, 1024), "16:9": (1280, 720), "9:16": (720, 1280)}


def still_png(width: int, height: int) -> bytes:
    """A real PNG of that size (a plain gradient: no face, so it cannot become a reference)."""
    img = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def native_clip_format(endpoint: str, body: dict[str, Any]) -> tuple[int, int, int, int]:
    """(width, height, fps, seconds) of what Kling draws for this task body."""
    std, pro, fps = (OMNI_NATIVE if endpoint == "omni-video"
                     else NATIVE[body.get("model_name", "kling-v1")])
    lines = pro if body.get("mode", "std") == "pro" else std
    aspect = body.get("aspect_ratio", "16:9")
    if endpoint == "image2video":
        image = body.get("image") or body.get("image_tail") or ""
        if not image.startswith(("http://", "https://")):
            with Image.open(io.BytesIO(base64.b64decode(image))) as img:
                w, h = img.size
            aspect = "16:9" if w > h else "9:16" if w < h else "1:1"
    aw, ah = SHAPES[aspect]
    width, height = (lines * aw // ah, lines) if aw >= ah else (lines, lines * ah // aw)
    return width, height, fps, int(body.get("duration", "5"))


_CLIPS: dict[tuple[int, int, int, int, bool], bytes] = {}
_CLIPS_LOCK = threading.Lock()


def native_clip(width: int, height: int, fps: int, seconds: int, sound: bool = False) -> bytes:
    """A real MP4 of that size, rate and length (with an AAC track when `sound`); made once per
    process (tiny, ultrafast)."""
    key = (width, height, fps, seconds, sound)
    with _CLIPS_LOCK:
        if key not in _CLIPS:
            with tempfile.TemporaryDirectory(prefix="fake-kling-") as folder:
                out = Path(folder) / "clip.mp4"
                audio_in = (["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:"
                             f"duration={seconds}"] if sound else [])
                audio_out = ["-c:a", "aac", "-b:a", "64k", "-ac", "2"] if sound else []
                subprocess.run(
                    [ffmpeg_binary(), "-v", "error", "-f", "lavfi", "-i",
                     f"testsrc2=size={width}x{height}:rate={fps}:duration={seconds}", *audio_in,
                     "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
                     "-crf", "51", "-pix_fmt", "yuv420p", *audio_out, "-movflags", "+faststart",
                     str(out)],
                    check=True, capture_output=True,
                )
                _CLIPS[key] = out.read_bytes()
        return _CLIPS[key]


def tts_mp3(seconds: float) -> bytes:
    """A real MP3: a 220 Hz tone `seconds` long, written to a file as a service would store it
    (so it carries the LAME header that tells decoders the encoder delay)."""
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "speech.mp3"
        subprocess.run(
            [ffmpeg_binary(), "-v", "error", "-f", "lavfi", "-t", f"{seconds:.3f}",
             "-i", "sine=frequency=220:sample_rate=24000", "-c:a", "libmp3lame", str(path)],
            check=True, capture_output=True)
        return path.read_bytes()


def tts_seconds(text: str) -> float:
    return max(0.5, TTS_SECONDS_PER_CHAR * len(text))


def validate_tts(body: Any) -> None:
    if not isinstance(body, dict):
        raise BadParams("body must be a JSON object")
    unknown = set(body) - TTS_FIELDS
    if unknown:
        raise BadParams(f"unknown field {sorted(unknown)[0]}")
    text = body.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > TTS_MAX_TEXT:
        raise BadParams(f"text is required, at most {TTS_MAX_TEXT} characters")
    if not isinstance(body.get("voice_id"), str) or not body["voice_id"]:
        raise BadParams("voice_id is required")
    if body.get("voice_language", "zh") not in ("zh", "en"):
        raise BadParams("voice_language must be zh or en")
    speed = body.get("voice_speed", 1.0)
    if not isinstance(speed, (int, float)) or not 0.8 <= speed <= 2.0:
        raise BadParams("voice_speed must be within 0.8-2.0")


def audio_seconds(data: bytes) -> float:
    """Length of a WAV or MP3 file's audio (ffprobe), or BadParams when it is neither."""
    if not (data[:4] == b"RIFF" and data[8:12] == b"WAVE") and not (
            data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0)):
        raise BadParams("audio must be .mp3, .wav, .m4a or .aac")
    with tempfile.NamedTemporaryFile(suffix=".audio") as handle:
        handle.write(data)
        handle.flush()
        probe = subprocess.run(
            [ffprobe_binary() or "ffprobe", "-v", "error", "-show_entries",
             "format=duration", "-of", "csv=p=0", handle.name],
            capture_output=True, text=True, check=False)
    try:
        return float(probe.stdout.strip())
    except ValueError as exc:
        raise BadParams("audio could not be read") from exc


class BadParams(Exception):
    pass


class FakeKling(Served):
    """The fake service; `start()` it, point `base_url` at it, `stop()` it."""

    def __init__(self, *, access_key: str, secret_key: str, video: bytes | None = None,
                 polls_to_finish: int = 2, extend_seconds: int = 4, region: str = "global",
                 max_running: int | None = None) -> None:
        """`video`, when given, is served for every task instead of Kling's own format.
        `extend_seconds` is what one video-extend adds (Kling documents 4 to 5 s); `region` is
        the host this server plays (its keys work only here); `max_running` the account's
        parallel-task limit (None: no limit)."""
        self.access_key, self.secret_key, self.video = access_key, secret_key, video
        self.polls_to_finish = polls_to_finish
        self.extend_seconds = extend_seconds
        self.hold_posts: set[str] = set()  # POSTs to these endpoints wait (received, not yet created)
        self.region, self.host = region, HOSTS[region]
        self.max_running = max_running
        self.peak_running = 0  # the most tasks unfinished at once
        self.over_limit = 0  # submits refused with 1303
        self.tasks: dict[str, dict[str, Any]] = {}
        self.posts: list[dict[str, Any]] = []  # every POST that reached a video endpoint
        self.created: list[dict[str, Any]] = []  # the tasks actually created (= paid for)
        self.faults: list[list[Any]] = []  # [where, kind, times left, calls to let pass first]
        self.hold = False  # keep tasks processing (to kill a client mid-poll)
        self.media_gone = False  # result URLs answer 404, as after Kling deleted the video
        self.auth_headers: list[str] = []
        self.elements_created: list[dict[str, Any]] = []  # element tasks made (each a new id)
        self.images_created: list[dict[str, Any]] = []  # image tasks made
        self.fail_elements = False  # element tasks end failed (as a moderation refusal would)
        self.tts_created: list[dict[str, Any]] = []  # TTS tasks made (= paid for)
        self.tts_url_lifetime = 60.0  # seconds a TTS audio URL stays valid
        self.tts_downloads = 0
        self.lipsync_mode = "sync"  # tests/talking.py: sync | frozen | inverted mouths
        self.lock = threading.Lock()
        self._ids = itertools.count(880000000000000001)

    # --- control ------------------------------------------------------------------------

    def inject(self, kind: str, where: str = "submit", times: int = 1, after: int = 0) -> None:
        """Make `times` calls at `where` (submit|query|after-create) fail with `kind`, once
        `after` such calls have gone through."""
        with self.lock:
            self.faults.append([where, kind, times, after])

    def _fault(self, where: str) -> str | None:
        with self.lock:
            for fault in self.faults:
                if fault[0] != where or fault[2] <= 0:
                    continue
                if fault[3] > 0:
                    fault[3] -= 1
                    return None
                fault[2] -= 1
                return fault[1]
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return _Handler

    def created_on(self, endpoint: str) -> list[dict[str, Any]]:
        """Tasks created (= paid for) on `endpoint`."""
        with self.lock:
            return [t for t in self.created if t["endpoint"] == endpoint]

    def posted_to(self, endpoint: str) -> list[dict[str, Any]]:
        """Every POST that reached `endpoint`, created or not."""
        with self.lock:
            return [p for p in self.posts if p["endpoint"] == endpoint]

    def created_for(self, external_prefix: str) -> list[dict[str, Any]]:
        """Tasks created whose external id starts with `external_prefix`."""
        with self.lock:
            return [t for t in self.created
                    if (t.get("external_task_id") or "").startswith(external_prefix)]

    # --- service logic --------------------------------------------------------------------

    def check_token(self, header: str | None) -> tuple[int, int, str] | None:
        if not header:
            return 401, 1001, "Authorization is empty"
        self.auth_headers.append(header)
        if not header.startswith("Bearer "):
            return 401, 1002, "Authorization is invalid"
        token = header[len("Bearer "):]
        try:
            head = jwt.get_unverified_header(token)
            if head.get("alg") != "HS256" or head.get("typ") != "JWT":
                return 401, 1002, "Authorization is invalid"
            # keys are per region: an access key this region never issued (the other
            # region's, say) is unknown here, whatever it was signed with
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
            if issuer is not None and issuer != self.access_key:
                return 401, 1000, "Authentication failed"
            claims = jwt.decode(token, self.secret_key, algorithms=["HS256"],
                                options={"require": ["iss", "exp", "nbf"]})
        except jwt.ExpiredSignatureError:
            return 401, 1004, "Authorization has expired"
        except jwt.ImmatureSignatureError:
            return 401, 1003, "Authorization is not yet valid"
        except jwt.PyJWTError:
            return 401, 1002, "Authorization is invalid"
        if claims["iss"] != self.access_key or claims["exp"] - time.time() > 1800 + 5:
            return 401, 1000, "Authentication failed"
        return None

    def running(self) -> int:
        """Tasks submitted and not yet ended (Kling counts these against the limit)."""
        return sum(1 for t in self.tasks.values() if t["polls"] < self.polls_to_finish)

    def validate(self, endpoint: str, body: Any) -> None:
        if not isinstance(body, dict):
            raise BadParams("body must be a JSON object")
        unknown = set(body) - FIELDS[endpoint]
        if unknown:
            raise BadParams(f"unknown field {sorted(unknown)[0]}")
        if endpoint == "video-extend":
            self._parent_of(body)  # a succeeded video of this account, or BadParams
        if endpoint == "lip-sync":
            return self.validate_lipsync(body)
        if endpoint == "omni-video":
            return self.validate_omni(body)
        if body.get("model_name", "kling-v1") not in MODELS:
            raise BadParams("model_name is invalid")
        if body.get("mode", "std") not in ("std", "pro"):
            raise BadParams("mode must be std or pro")
        model = body.get("model_name", "kling-v1")
        lengths = ([str(n) for n in range(3, 16)] if model in ANY_LENGTH else ["5", "10"])
        if body.get("duration", "5") not in lengths:
            raise BadParams(f"duration must be one of the strings {', '.join(lengths)}")
        if "sound" in body:
            if body["sound"] not in ("on", "off"):
                raise BadParams("sound must be on or off")
            if model not in SOUND:
                raise BadParams(f"{model} does not support sound")
            if body["sound"] == "on" and body.get("mode", "std") not in SOUND[model]:
                raise BadParams(f"sound is not supported in {body.get('mode', 'std')} mode")
            if model in SOUND and "cfg_scale" in body:
                raise BadParams(f"{model} does not support cfg_scale")
        if body.get("aspect_ratio", "16:9") not in ("16:9", "9:16", "1:1"):
            raise BadParams("aspect_ratio is invalid")
        for key in ("prompt", "negative_prompt"):
            if len(body.get(key) or "") > 2500:
                raise BadParams(f"{key} cannot exceed 2500 characters")
        if not (0 <= float(body.get("cfg_scale", 0.5)) <= 1):
            raise BadParams("cfg_scale must be in [0, 1]")
        if body.get("multi_shot"):
            self.validate_multi_shot(model, body)
        elif "multi_prompt" in body or "shot_type" in body:
            raise BadParams("multi_prompt and shot_type need multi_shot true")
        if endpoint == "text2video" and not body.get("prompt") and not body.get("multi_shot"):
            raise BadParams("prompt is required")
        if endpoint == "image2video":
            if not body.get("image") and not body.get("image_tail"):
                raise BadParams("image or image_tail is required")
            if body.get("image_tail") and (body.get("camera_control") or body.get("static_mask")
                                           or body.get("dynamic_masks")):
                raise BadParams("image+image_tail, masks and camera_control are exclusive")
        for key in ("image", "image_tail"):
            if key in body:
                _check_image(body[key])
        if endpoint == "multi-image2video":
            images = body.get("image_list")
            if not isinstance(images, list) or not 1 <= len(images) <= 4:
                raise BadParams("image_list must hold 1 to 4 images")
            for item in images:
                if not isinstance(item, dict) or set(item) != {"image"}:
                    raise BadParams("image_list items are {\"image\": ...}")
                _check_image(item["image"])
        if "camera_control" in body:
            _check_camera(body["camera_control"])
        ext = body.get("external_task_id")
        if ext is not None and any(t.get("external_task_id") == ext for t in self.created):
            raise BadParams("external_task_id must be unique")

    def validate_multi_shot(self, model: str, body: dict[str, Any]) -> None:
        """kling-v3's custom multi-shot: 1-6 shots of whole seconds adding up to `duration`."""
        if model not in ANY_LENGTH:
            raise BadParams(f"{model} does not support multi_shot")
        if body.get("shot_type") != "customize":
            raise BadParams("shot_type must be customize with multi_prompt")
        if body.get("prompt"):
            raise BadParams("prompt and multi_prompt are mutually exclusive")
        if body.get("image_tail") or body.get("camera_control"):
            raise BadParams("multi_shot cannot be combined with image_tail or camera_control")
        shots = body.get("multi_prompt")
        if not isinstance(shots, list) or not 1 <= len(shots) <= 6:
            raise BadParams("multi_prompt must hold 1 to 6 shots")
        total = 0
        for number, shot in enumerate(shots, 1):
            if not isinstance(shot, dict) or set(shot) != {"index", "prompt", "duration"}:
                raise BadParams("multi_prompt items are {index, prompt, duration}")
            if shot["index"] != number or not str(shot["prompt"]).strip() or \
                    len(str(shot["prompt"])) > 512:
                raise BadParams("multi_prompt indexes run from 1; each prompt 1-512 characters")
            if not str(shot["duration"]).isdigit() or int(shot["duration"]) < 1:
                raise BadParams("each multi_prompt duration is a whole number of seconds, at least 1")
            total += int(shot["duration"])
        if str(total) != str(body.get("duration")):
            raise BadParams("the multi_prompt durations must add up to duration")

    def _parent_of(self, body: dict[str, Any]) -> dict[str, Any]:
        """The succeeded task whose video `body["video_id"]` names (video-extend)."""
        video_id = body.get("video_id")
        if not isinstance(video_id, str) or not video_id:
            raise BadParams("video_id is required")
        with self.lock:
            parent = self.tasks.get(video_id.removeprefix("v")) if video_id.startswith("v") else None
        if (parent is None or parent["moderation"] or parent["polls"] < self.polls_to_finish
                or parent["endpoint"] not in EXTENDS_FROM):
            raise BadParams(f"video_id {video_id} is invalid")  # unknown, unfinished or failed
        if self.format_of(parent)[3] + self.extend_seconds > MAX_EXTENDED_SECONDS:
            raise BadParams("the extended video cannot exceed 3 minutes")
        return parent

    def validate_lipsync(self, body: dict[str, Any]) -> None:
        """`input` as documented: video_id xor video_url; audio2video with a 2-60 s, ≤ 5 MB
        .wav/.mp3 (base64 `audio_file` or `audio_url`), or text2video with text ≤ 120
        characters and a voice."""
        given = body.get("input")
        if not isinstance(given, dict):
            raise BadParams("input is required")
        unknown = set(given) - LIPSYNC_INPUT
        if unknown:
            raise BadParams(f"unknown field input.{sorted(unknown)[0]}")
        if bool(given.get("video_id")) == bool(given.get("video_url")):
            raise BadParams("input needs exactly one of video_id and video_url")
        if given.get("video_url"):
            raise BadParams("video_url is not reachable from this server")  # a local stand-in
        self._lipsync_parent(given["video_id"])
        mode = given.get("mode")
        if mode == "text2video":
            text = given.get("text")
            if not isinstance(text, str) or not text.strip() or len(text) > 120:
                raise BadParams("text is required, at most 120 characters")
            if not given.get("voice_id"):
                raise BadParams("voice_id is required")
            if given.get("voice_language", "zh") not in ("zh", "en"):
                raise BadParams("voice_language must be zh or en")
            speed = given.get("voice_speed", 1.0)
            if not isinstance(speed, int | float) or not 0.8 <= speed <= 2.0:
                raise BadParams("voice_speed must be within 0.8-2.0")
            return
        if mode != "audio2video":
            raise BadParams("mode must be text2video or audio2video")
        if given.get("audio_type") not in ("file", "url"):
            raise BadParams("audio_type must be file or url")
        if given["audio_type"] == "url":
            raise BadParams("audio_url is not reachable from this server")
        audio = given.get("audio_file")
        try:
            data = base64.b64decode(audio or "", validate=True)
        except (binascii.Error, ValueError) as exc:
            raise BadParams("audio_file is not valid base64") from exc
        if len(data) > LIPSYNC_AUDIO_BYTES:
            raise BadParams("audio_file must not exceed 5MB")
        seconds = audio_seconds(data)
        low, high = LIPSYNC_AUDIO_SECONDS
        if not low <= seconds <= high:
            raise BadParams(f"audio must be {low:g} to {high:g} seconds long")

    def _lipsync_parent(self, video_id: Any) -> dict[str, Any]:
        """The succeeded video `video_id` names: this account's, at most 30 days old, 2-10 s."""
        with self.lock:
            parent = (self.tasks.get(video_id.removeprefix("v"))
                      if isinstance(video_id, str) and video_id.startswith("v") else None)
        if (parent is None or parent["moderation"] or parent["polls"] < self.polls_to_finish
                or parent["endpoint"] not in LIPSYNC_FROM
                or parent["created_at"] < time.time() * 1000 - VIDEO_LIFETIME_MS):
            raise BadParams(f"video_id {video_id} is invalid")
        low, high = LIPSYNC_VIDEO_SECONDS
        if not low <= self.format_of(parent)[3] <= high:
            raise BadParams(f"the video must be {low} to {high} seconds long")
        return parent

    def format_of(self, task: dict[str, Any]) -> tuple[int, int, int, int]:
        """(width, height, fps, seconds) of a task's video: an extension keeps its source's
        size and rate and is the whole video, the source's length plus `extend_seconds`."""
        return task.get("format") or native_clip_format(task["endpoint"], task["body"])
    def validate_omni(self, body: dict[str, Any]) -> None:
        if body.get("model_name", "kling-video-o1") != "kling-video-o1":
            raise BadParams("model_name must be kling-video-o1")
        if body.get("mode", "pro") not in ("std", "pro"):
            raise BadParams("mode must be std or pro")
        if body.get("duration", "5") not in {str(n) for n in range(3, 11)}:
            raise BadParams("duration must be a string from 3 to 10")
        if not body.get("image_list") and body.get("duration", "5") not in ("5", "10"):
            raise BadParams("text-to-video takes duration 5 or 10")
        if body.get("aspect_ratio") not in ("16:9", "9:16", "1:1"):
            raise BadParams("aspect_ratio is required without a first frame")
        prompt = body.get("prompt") or ""
        if not prompt or len(prompt) > 2500:
            raise BadParams("prompt is required and cannot exceed 2500 characters")
        elements = body.get("element_list") or []
        images = body.get("image_list") or []
        if not isinstance(elements, list) or not isinstance(images, list):
            raise BadParams("element_list and image_list are arrays")
        if len(elements) + len(images) > 7:
            raise BadParams("elements and images together cannot exceed 7")
        for index, item in enumerate(elements, 1):
            if not isinstance(item, dict) or set(item) != {"element_id"} or not isinstance(
                    item["element_id"], int) or isinstance(item["element_id"], bool):
                raise BadParams("element_list items are {\"element_id\": <integer>}")
            if not any(e["element_id"] == item["element_id"] for e in self.elements_created):
                raise BadParams(f"element {item['element_id']} does not exist in this account")
            if f"<<<element_{index}>>>" not in prompt:
                raise BadParams(f"the prompt does not name <<<element_{index}>>>")
        for item in images:
            if not isinstance(item, dict) or "image_url" not in item or set(item) - {
                    "image_url", "type"}:
                raise BadParams("image_list items are {\"image_url\": ..., \"type\"?}")
            _check_image(item["image_url"])
        ext = body.get("external_task_id")
        if ext is not None and any(t.get("external_task_id") == ext for t in self.created):
            raise BadParams("external_task_id must be unique")

    def validate_element(self, body: Any) -> None:
        if not isinstance(body, dict):
            raise BadParams("body must be a JSON object")
        unknown = set(body) - ELEMENT_FIELDS
        if unknown:
            raise BadParams(f"unknown field {sorted(unknown)[0]}")
        name, about = body.get("element_name"), body.get("element_description")
        if not isinstance(name, str) or not name or len(name) > 20:
            raise BadParams("element_name is required and cannot exceed 20 characters")
        if not isinstance(about, str) or not about or len(about) > 100:
            raise BadParams("element_description is required and cannot exceed 100 characters")
        if body.get("reference_type") != "image_refer":  # video_refer is not modelled here
            raise BadParams("reference_type must be image_refer or video_refer")
        images = body.get("element_image_list")
        if not isinstance(images, dict) or not images.get("frontal_image"):
            raise BadParams("element_image_list needs a frontal_image")
        refer = images.get("refer_images")
        if set(images) - {"frontal_image", "refer_images"} or not isinstance(refer, list) \
                or not 1 <= len(refer) <= 3:
            raise BadParams("element_image_list needs 1 to 3 refer_images besides the frontal one")
        _check_image(images["frontal_image"])
        for item in refer:
            if not isinstance(item, dict) or set(item) != {"image_url"}:
                raise BadParams("refer_images items are {\"image_url\": ...}")
            _check_image(item["image_url"])
        for tag in body.get("tag_list") or []:
            if not isinstance(tag, dict) or tag.get("tag_id") not in TAGS:
                raise BadParams("tag_list items are {\"tag_id\": \"o_101\" … \"o_108\"}")

    def validate_image(self, body: Any) -> None:
        if not isinstance(body, dict):
            raise BadParams("body must be a JSON object")
        unknown = set(body) - IMAGE_FIELDS
        if unknown:
            raise BadParams(f"unknown field {sorted(unknown)[0]}")
        model = body.get("model_name", "kling-v1")
        if model not in IMAGE_MODELS:
            raise BadParams("model_name is invalid")
        prompt = body.get("prompt")
        if not isinstance(prompt, str) or not prompt or len(prompt) > 2500:
            raise BadParams("prompt is required and cannot exceed 2500 characters")
        if len(body.get("negative_prompt") or "") > 2500:
            raise BadParams("negative_prompt cannot exceed 2500 characters")
        reference = body.get("image_reference")
        if body.get("image"):
            _check_image(body["image"])
            if body.get("negative_prompt"):
                raise BadParams("negative_prompt is not supported with a reference image")
            if model == "kling-v1-5" and not reference:
                raise BadParams("image_reference is required for kling-v1-5 with an image")
        elif reference:
            raise BadParams("image is required when image_reference is given")
        if reference is not None and reference not in ("subject", "face"):
            raise BadParams("image_reference must be subject or face")
        if "human_fidelity" in body and reference != "subject":
            raise BadParams("human_fidelity only applies when image_reference is subject")
        for key in ("image_fidelity", "human_fidelity"):
            if key in body and not 0 <= float(body[key]) <= 1:
                raise BadParams(f"{key} must be in [0, 1]")
        if body.get("resolution", "1k") not in ("1k", "2k"):
            raise BadParams("resolution must be 1k or 2k")
        n = body.get("n", 1)
        if not isinstance(n, int) or not 1 <= n <= 9:
            raise BadParams("n must be an integer from 1 to 9")
        if body.get("aspect_ratio", "16:9") not in IMAGE_ASPECTS:
            raise BadParams("aspect_ratio is invalid")


    def create(self, endpoint: str, body: dict[str, Any], moderation: bool) -> dict[str, Any] | None:
        """The new task, or None when the account's parallel-task limit is reached."""
        parent = self._parent_of(body) if endpoint == "video-extend" else None
        synced = (self._lipsync_parent(body["input"]["video_id"]) if endpoint == "lip-sync"
                  else None)
        with self.lock:
            if self.max_running is not None and self.running() >= self.max_running:
                self.over_limit += 1
                return None
            task_id = str(next(self._ids))
            task = {"task_id": task_id, "endpoint": endpoint, "body": body, "polls": 0,
                    "external_task_id": body.get("external_task_id"), "moderation": moderation,
                    "created_at": int(time.time() * 1000)}
            if parent is not None:
                width, height, fps, seconds = self.format_of(parent)
                task["format"] = (width, height, fps, seconds + self.extend_seconds)
                task["parent_video"] = {"id": f"v{parent['task_id']}",
                                        "url": f"{self.base_url}/media/{parent['task_id']}.mp4",
                                        "duration": str(seconds)}
            if synced is not None:  # the parent video, its mouths re-animated: its own format
                task["format"] = self.format_of(synced)
                seconds = task["format"][3]
                task["parent_video"] = {"id": f"v{synced['task_id']}",
                                        "url": f"{self.base_url}/media/{synced['task_id']}.mp4",
                                        "duration": str(seconds)}
            self.tasks[task_id] = task
            self.created.append(task)
            self.peak_running = max(self.peak_running, self.running())
        return task

    def find(self, endpoint: str, ident: str) -> dict[str, Any] | None:
        with self.lock:
            task = self.tasks.get(ident) or next(
                (t for t in self.tasks.values() if t["external_task_id"] == ident), None)
        return task if task is not None and task["endpoint"] == endpoint else None

    def view(self, task: dict[str, Any], *, advance: bool) -> dict[str, Any]:
        with self.lock:
            if advance and not (self.hold and task["polls"] >= 1):
                task["polls"] += 1
            polls = task["polls"]
        status = ("submitted" if polls == 0 else "processing" if polls < self.polls_to_finish
                  else "failed" if task["moderation"] else "succeed")
        data: dict[str, Any] = {
            "task_id": task["task_id"], "task_status": status,
            "task_status_msg": ("Failure to pass the risk control system"
                                if status == "failed" else ""),
            "task_info": ({"parent_video": task["parent_video"]} if "parent_video" in task
                          else {"external_task_id": task["external_task_id"]}),
            "created_at": task["created_at"], "updated_at": int(time.time() * 1000),
        }
        if task["endpoint"] == "elements":
            if status in ("succeed", "failed") and self.fail_elements:
                data.update(task_status="failed", task_status_msg="element refused")
            elif status == "succeed":
                data["task_result"] = {"elements": [{
                    "element_id": task["element_id"], "element_name": task["body"]["element_name"],
                    "element_description": task["body"]["element_description"],
                    "element_type": "image_refer", "status": "succeed"}]}
            return data
        if task["endpoint"] == "audio/tts":
            if status == "succeed":
                expires = time.time() + self.tts_url_lifetime
                data["task_result"] = {"audios": [{
                    "id": f"a{task['task_id']}", "duration": f"{tts_seconds(task['body']['text']):.2f}",
                    "url": f"{self.base_url}/media/tts/{task['task_id']}.mp3?expires={expires:.3f}"}]}
            return data
        if task["endpoint"] == "images/generations":
            if status == "succeed":
                data["task_result"] = {"images": [
                    {"index": i, "url": f"{self.base_url}/media/{task['task_id']}-{i}.png"}
                    for i in range(int(task["body"].get("n", 1)))]}
            return data
        if status == "succeed":
            data["task_result"] = {"videos": [{
                "id": f"v{task['task_id']}", "url": f"{self.base_url}/media/{task['task_id']}.mp4",
                "duration": str(self.format_of(task)[3])}]}
        return data

    def lipsync_clip(self, task: dict[str, Any]) -> bytes:
        """The lip-sync result: a face whose mouth moves with the sent audio (tests/talking.py),
        at the parent video's size, rate and length, the audio muxed in (cut at the video's
        end). Made once per task."""
        if "clip" not in task:
            from tests.talking import make_talking_video

            width, height, fps, seconds = self.format_of(task)
            given = task["body"]["input"]
            with tempfile.TemporaryDirectory(prefix="fake-kling-lipsync-") as folder:
                audio = Path(folder) / "audio.wav"
                audio.write_bytes(base64.b64decode(given["audio_file"]))
                out = Path(folder) / "synced.mp4"
                make_talking_video(out, audio, width=width, height=height, fps=fps,
                                   seconds=seconds, mode=self.lipsync_mode)
                task["clip"] = out.read_bytes()
        return task["clip"]

    def listing(self, endpoint: str, page: int, size: int) -> list[dict[str, Any]]:
        """The list query: this endpoint's tasks, newest first, one page."""
        with self.lock:
            tasks = [t for t in reversed(self.created) if t["endpoint"] == endpoint]
        return [self.view(t, advance=False) for t in tasks[(page - 1) * size: page * size]]


def _check_image(value: Any) -> None:
    if not isinstance(value, str) or not value:
        raise BadParams("image must be base64 or a URL")
    if value.startswith(("http://", "https://")):
        return
    if value.startswith("data:"):
        raise BadParams("base64 images must not carry a data: prefix")
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadParams("image is not valid base64") from exc


def _check_camera(value: Any) -> None:
    if not isinstance(value, dict) or value.get("type") not in CAMERA_TYPES:
        raise BadParams("camera_control.type is invalid")
    config = value.get("config")
    if value["type"] != "simple":
        if config:
            raise BadParams("camera_control.config is only for type simple")
        return
    if not isinstance(config, dict) or set(config) - AXES:
        raise BadParams("camera_control.config is invalid")
    nonzero = [v for v in config.values() if v]
    if len(nonzero) != 1 or not all(-10 <= v <= 10 for v in config.values()):
        raise BadParams("camera_control.config needs exactly one non-zero value in [-10, 10]")


class _Handler(BaseHTTPRequestHandler):
    fake: FakeKling
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        return None

    def _send(self, status: int, code: int, message: str, data: Any = None) -> None:
        payload = json.dumps({"code": code, "message": message, "request_id": "req-fake",
                              "data": data}).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:  # the client is gone (killed mid-request): the task exists anyway
            self.close_connection = True

    def _endpoint(self) -> tuple[str | None, str | None]:
        parts = self.path.split("?")[0].strip("/").split("/")
        if len(parts) >= 3 and parts[:2] == ["v1", "videos"] and parts[2] in FIELDS:
            return parts[2], parts[3] if len(parts) == 4 else None
        return None, None

    def _fault(self, where: str) -> bool:
        """Answer an injected fault; True when the request was consumed by it."""
        kind = self.fake._fault(where)
        if kind == "429":
            self._send(429, 1302, "The API request is too fast, please slow down")
        elif kind == "500":
            self._send(500, 5000, "Server internal error")
        elif kind == "balance":
            self._send(429, 1102, "Account balance not enough (resource pack depleted)")
        elif kind == "echo":
            # a misbehaving gateway: a coloured refusal that echoes the request's headers
            self._send(400, 1201, "\x1b[31;1mrequest refused\x1b[0m\x1b]0;pwned\x07\r\n"
                       f"Authorization: {self.headers.get('Authorization')}\x1b[2K")
        else:
            return False
        return True

    def _other(self) -> tuple[str | None, str | None]:
        """(elements | images/generations, task id) for the non-video families, else (None, None)."""
        parts = self.path.split("?")[0].strip("/").split("/")
        if parts[:3] == ["v1", "general", "advanced-custom-elements"] and len(parts) <= 4:
            return "elements", parts[3] if len(parts) == 4 else None
        if parts[:3] == ["v1", "audio", "tts"] and len(parts) <= 4:
            return "audio/tts", parts[3] if len(parts) == 4 else None
        if parts[:3] == ["v1", "images", "generations"] and len(parts) <= 4:
            return "images/generations", parts[3] if len(parts) == 4 else None
        return None, None

    def _other_get(self, family: str, ident: str | None) -> None:
        denied = self.fake.check_token(self.headers.get("Authorization"))
        if denied:
            return self._send(*denied)
        if ident is None:
            return self._send(404, 1202, "invalid request method or path")
        if family == "audio/tts" and self._fault("query"):
            return None
        task = self.fake.find(family, ident)
        if task is None:
            return self._send(404, 1203, "The requested resource does not exist")
        return self._send(200, 0, "SUCCEED", self.fake.view(task, advance=True))

    def _posted_body(self, endpoint: str, raw: bytes) -> tuple[bool, Any]:
        """Auth, then the JSON body, recorded as a POST to `endpoint`: (True, body), or
        (False, None) once the refusal was sent."""
        denied = self.fake.check_token(self.headers.get("Authorization"))
        if denied:
            self._send(*denied)
            return False, None
        try:
            body = json.loads(raw)
        except json.JSONDecodeError:
            self._send(400, 1200, "invalid request body")
            return False, None
        with self.fake.lock:
            self.fake.posts.append({"endpoint": endpoint, "body": body})
        return True, body

    def _other_post(self, family: str, raw: bytes) -> None:
        posted, body = self._posted_body(family, raw)
        if not posted:
            return None
        if family == "audio/tts" and self._fault("submit"):
            return None
        try:
            if family == "audio/tts":
                validate_tts(body)
            elif family == "elements":
                self.fake.validate_element(body)
            else:
                self.fake.validate_image(body)
        except BadParams as exc:
            return self._send(400, 1201, str(exc))
        fake = self.fake
        dropped = family == "audio/tts" and fake._fault("after-create") == "drop"
        with fake.lock:
            task_id = str(next(fake._ids))
            task = {"task_id": task_id, "endpoint": family, "body": body, "polls": 0,
                    "external_task_id": body.get("external_task_id"), "moderation": False,
                    "created_at": int(time.time() * 1000)}
            if family == "elements":
                task["element_id"] = int(task_id) + 7_000_000  # an int64, not the task id
                fake.elements_created.append(task)
            elif family == "audio/tts":
                fake.tts_created.append(task)
            else:
                fake.images_created.append(task)
            fake.tasks[task_id] = task
        if dropped:  # the task exists (and is billed) but the client never hears about it
            self.close_connection = True
            return None
        return self._send(200, 0, "SUCCEED", fake.view(task, advance=False))

    def _tts_audio(self) -> None:
        url = urlsplit(self.path)
        task = self.fake.tasks.get(url.path.split("/")[-1].removesuffix(".mp3"))
        expires = parse_qs(url.query).get("expires", ["0"])[0]
        if task is None or task["endpoint"] != "audio/tts":
            return self._send(404, 1203, "The requested resource does not exist")
        if float(expires) < time.time():
            return self._send(403, 1203, "The resource URL has expired")
        body = tts_mp3(tts_seconds(task["body"]["text"]))
        with self.fake.lock:
            self.fake.tts_downloads += 1
        self.send_response(200)
        self.send_header("Content-Type", "audio/mpeg")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        return None

    def do_GET(self) -> None:
        family, ident = self._other()
        if family is not None:
            return self._other_get(family, ident)
        if self.path.startswith("/media/tts/"):
            return self._tts_audio()
        if self.path.startswith("/media/") and self.path.endswith(".png"):
            task = self.fake.tasks.get(self.path.split("/")[-1].rsplit("-", 1)[0])
            if task is None:
                return self._send(404, 1203, "The requested resource does not exist")
            png = still_png(*STILL_SIZES.get(task["body"].get("aspect_ratio", "16:9"), (1024, 1024)))
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(png)))
            self.end_headers()
            self.wfile.write(png)
            return None
        if self.path.startswith("/media/"):
            task = self.fake.tasks.get(self.path.split("/")[-1].removesuffix(".mp4"))
            if task is None or self.fake.media_gone:
                return self._send(404, 1203, "The requested resource does not exist")
            if task["endpoint"] == "lip-sync":
                body = self.fake.lipsync_clip(task)
            elif task["body"].get("multi_shot"):  # cut hard where each shot was asked to end
                width, height, fps, seconds = self.fake.format_of(task)
                ends = list(itertools.accumulate(int(s["duration"])
                                                 for s in task["body"]["multi_prompt"]))
                body = clip(width, height, fps, seconds * fps,
                            cuts=tuple(end * fps for end in ends[:-1]),
                            sound=task["body"].get("sound") == "on")
            else:
                body = self.fake.video or native_clip(*self.fake.format_of(task),
                                                      sound=task["body"].get("sound") == "on")
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        endpoint, ident = self._endpoint()
        if endpoint is None:
            return self._send(404, 1202, "invalid request method or path")
        denied = self.fake.check_token(self.headers.get("Authorization"))
        if denied:
            return self._send(*denied)
        if self._fault("query"):
            return None
        if ident is None:  # the list query: ?pageNum=1..1000&pageSize=1..500
            query = parse_qs(urlsplit(self.path).query)
            try:
                page = int(query.get("pageNum", ["1"])[0])
                size = int(query.get("pageSize", ["30"])[0])
            except ValueError:
                return self._send(400, 1201, "pageNum and pageSize are integers")
            if not (1 <= page <= 1000 and 1 <= size <= 500):
                return self._send(400, 1201, "pageNum is 1..1000 and pageSize 1..500")
            return self._send(200, 0, "SUCCEED", self.fake.listing(endpoint, page, size))
        task = self.fake.find(endpoint, ident)
        if task is None:
            return self._send(404, 1203, "The requested resource does not exist")
        return self._send(200, 0, "SUCCEED", self.fake.view(task, advance=True))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        family, other = self._other()
        if family is not None:
            if other is not None:
                return self._send(404, 1202, "invalid request method or path")
            return self._other_post(family, raw)
        endpoint, ident = self._endpoint()
        if endpoint is None or ident is not None:
            return self._send(404, 1202, "invalid request method or path")
        posted, body = self._posted_body(endpoint, raw)
        if not posted:
            return None
        while endpoint in self.fake.hold_posts:  # received; created once released
            time.sleep(0.01)
        if self._fault("submit"):
            return None
        try:
            self.fake.validate(endpoint, body)
        except BadParams as exc:
            return self._send(400, 1201, str(exc))
        kind = self.fake._fault("after-create")
        task = self.fake.create(endpoint, body, moderation=kind == "moderation")
        if task is None:
            return self._send(429, 1303, "parallel task over resource pack limit")
        if kind == "drop":
            # the task exists (and is billed) but the client never hears about it
            self.close_connection = True
            return None
        return self._send(200, 0, "SUCCEED", self.fake.view(task, advance=False))
