"""Kling's text-to-speech as a speech engine: a task created, polled, its audio downloaded.

What is modelled, and from where (Kling's own TTS page could not be read here; its request is
given alike by three mirrors of Kling's platform API: docs.kkiai.com "Text-to-Speech",
docs.fast-token.com "KlingAudioTTS", apidoc.cometapi.com "Kling TTS"):
- `POST /v1/audio/tts` with `text` (required, at most 1000 characters), `voice_id` (required,
  official voices only, e.g. `genshin_vindi2`), `voice_language` (required, zh|en; a voice id
  that does not speak that language answers 1201 "Voice id not found") and `voice_speed`
  (0.8-2.0, one decimal; the API clamps a value outside — shotcraft refuses it instead, so a
  voice never silently speaks at another speed).
- The task flow is Kling's video one (same JWT, same envelope `{code, message, data}`): create
  answers `data.task_id`; `GET /v1/audio/tts/{task_id}` answers `task_status` submitted →
  processing → succeed | failed and, once succeeded, `task_result.audios[0].url` (ASSUMED: the
  mirrors do not show the response; by analogy with `task_result.videos`), a URL that expires,
  so it is downloaded at once.
- Error codes are Kling's general ones (1000-1004 authentication, 1102 balance, 1201 bad
  parameter, 1302/1303 rate and parallel limits, 5000 server).
- Keys: SHOTCRAFT_KLING_ACCESS_KEY / SHOTCRAFT_KLING_SECRET_KEY, the video engine's, signed into
  the same 30-minute HS256 JWT (a few lines here: assembly may not import engine/).
  SHOTCRAFT_KLING_BASE_URL or SHOTCRAFT_KLING_REGION (global|china) pick the host.

Never paid twice: before the create, `task_file` (cache/speech/<key>.task.json, next to the
line's cache entry) names the task by an `external_task_id`; the created task's id replaces it
before the first poll. A run killed while polling resumes that task; a create whose answer was
lost (a dropped connection) is found by its external id before anything is asked again. The
cache removes the file once the line is stored.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from shotcraft.assembly.speech.base import SpeechEngine
from shotcraft.assembly.speech.cloud import env, env_float, httpx_module, to_wav
from shotcraft.shots.errors import AssemblyError, ConfigError, SpecError
from shotcraft.shots.files import atomic_target
from shotcraft.storyboard.voices import Voice

ACCESS, SECRET = "SHOTCRAFT_KLING_ACCESS_KEY", "SHOTCRAFT_KLING_SECRET_KEY"
HOSTS = {"global": "https://api-singapore.klingai.com", "china": "https://api-beijing.klingai.com"}
PATH = "/v1/audio/tts"
MAX_TEXT = 1000
SPEEDS = (0.8, 2.0)
LANGUAGES = ("zh", "en")
VERSION = "kling-tts-v1"
AUTH_CODES = {1000, 1001, 1002, 1003, 1004}


def _base_url() -> str:
    explicit = os.environ.get("SHOTCRAFT_KLING_BASE_URL", "").strip()
    region = os.environ.get("SHOTCRAFT_KLING_REGION", "global").strip() or "global"
    if not explicit and region not in HOSTS:
        raise ConfigError(f"SHOTCRAFT_KLING_REGION must be global or china, not {region!r}.")
    return (explicit or HOSTS[region]).rstrip("/")


def _token() -> str:
    access = env(ACCESS, "Kling's TTS")
    secret = env(SECRET, "Kling's TTS")
    try:
        import jwt
    except ImportError as exc:  # pragma: no cover - only without the extra
        raise ConfigError("Kling's TTS needs pyjwt: pip install 'shotcraft[kling]'.") from exc
    now = int(time.time())
    return jwt.encode({"iss": access, "exp": now + 1800, "nbf": now - 5}, secret,
                      algorithm="HS256", headers={"alg": "HS256", "typ": "JWT"})


def refusal(status: int, code: int | None, message: str) -> str:
    """One sentence for a refused Kling call."""
    if code in AUTH_CODES or status == 401:
        return (f"Kling refused the keys (code {code}): check {ACCESS} and {SECRET} "
                "for this region.")
    if code == 1102:
        return "Kling's account balance is spent (code 1102); top it up and export again."
    if code in (1302, 1303) or status == 429:
        return f"Kling's TTS is rate-limited (code {code}); try again later."
    if status >= 500:
        return f"Kling's TTS failed on its side (HTTP {status}, code {code}); try again later."
    return f"Kling's TTS refused the line (code {code}): {message}"


class KlingSpeech(SpeechEngine):
    name = "kling"
    paid = True

    def version(self) -> str:
        return VERSION

    def check(self, voice: Voice) -> None:
        if not SPEEDS[0] <= voice.speed <= SPEEDS[1]:
            raise SpecError(f"Kling's TTS speaks at {SPEEDS[0]}-{SPEEDS[1]}, not {voice.speed:g}.",
                            field="speed")
        if _language(voice) not in LANGUAGES:
            raise SpecError(f"Kling's TTS speaks zh or en, not {voice.language!r}.",
                            field="language")

    def synthesize(self, text: str, voice: Voice, out: Path, task_file: Path | None = None) -> float:
        self.check(voice)
        if len(text) > MAX_TEXT:
            raise AssemblyError(f"Kling's TTS takes at most {MAX_TEXT} characters a line; this "
                                f"one has {len(text)}: split it in the script.")
        httpx = httpx_module()
        base = _base_url()
        retries = int(env_float("SHOTCRAFT_KLING_RETRIES", 3))
        delay = env_float("SHOTCRAFT_KLING_RETRY_DELAY", 1.0)
        interval = env_float("SHOTCRAFT_KLING_TTS_POLL_INTERVAL", 1.0)
        timeout = env_float("SHOTCRAFT_KLING_MAX_POLL_SECONDS", 600.0)
        with httpx.Client(timeout=env_float("SHOTCRAFT_KLING_REQUEST_TIMEOUT", 30.0)) as client:

            def lookup(ident: str) -> Any:
                """The task `ident` (an id or our external id), or None when Kling has none."""
                try:
                    reply = client.get(f"{base}{PATH}/{ident}",
                                       headers={"Authorization": f"Bearer {_token()}"})
                    payload = reply.json()
                except (httpx.HTTPError, ValueError):
                    return None
                ok = reply.status_code == 200 and isinstance(payload, dict) and payload.get("code") == 0
                return payload.get("data") if ok else None

            def call(method: str, url: str, body: dict[str, Any] | None = None) -> Any:
                for attempt in range(retries + 1):
                    try:
                        reply = client.request(method, url, json=body,
                                               headers={"Authorization": f"Bearer {_token()}"})
                    except httpx.HTTPError as exc:
                        # a create whose answer was lost may have made the task: find it by our
                        # external id before asking again, so it is not paid for twice
                        made = lookup(body["external_task_id"]) if body and "external_task_id" in body else None
                        if made:
                            return made
                        if attempt < retries:
                            time.sleep(delay * 2 ** attempt)
                            continue
                        raise AssemblyError(f"Kling's TTS could not be reached at {base}: "
                                            f"{type(exc).__name__}.") from exc
                    try:
                        payload = reply.json()
                    except ValueError:
                        payload = {}
                    code = payload.get("code") if isinstance(payload, dict) else None
                    if reply.status_code == 200 and code == 0:
                        return payload.get("data") or {}
                    again = reply.status_code >= 500 or code in (1302, 1303)
                    if again and attempt < retries:
                        time.sleep(delay * 2 ** attempt)
                        continue
                    message = str(payload.get("message", "")) if isinstance(payload, dict) else ""
                    raise AssemblyError(refusal(reply.status_code, code, message))
                raise AssertionError("unreachable")

            saved = _saved_task(task_file)
            task_id = saved.get("task_id")
            if task_id is None and saved.get("external_task_id"):  # killed before the answer came
                found = lookup(saved["external_task_id"])
                task_id = str(found["task_id"]) if found else None
            if task_id is None:
                body: dict[str, Any] = {"text": text, "voice_id": voice.voice,
                                        "voice_language": _language(voice),
                                        "voice_speed": voice.speed}
                if task_file is not None:  # named before it is asked for, so it can be found
                    body["external_task_id"] = external = f"shotcraft-tts-{Path(task_file).name[:40]}"
                    _save_task(task_file, {"external_task_id": external})
                task_id = str(call("POST", base + PATH, body)["task_id"])
                if task_file is not None:  # before the first poll: a crash from here resumes it
                    _save_task(task_file, {"task_id": task_id})
            started = time.monotonic()
            while True:
                data = call("GET", f"{base}{PATH}/{task_id}")
                status = data.get("task_status")
                if status == "succeed":
                    break
                if status == "failed":
                    if task_file is not None:
                        Path(task_file).unlink(missing_ok=True)
                    raise AssemblyError(f"Kling's TTS could not speak the line: "
                                        f"{data.get('task_status_msg') or 'the task failed'}.")
                if time.monotonic() - started > timeout:
                    raise AssemblyError(f"Kling's TTS task {task_id} is still {status} after "
                                        f"{timeout:g} s; export again later to pick it up.")
                time.sleep(interval)
            audios = (data.get("task_result") or {}).get("audios") or []
            if not audios or not audios[0].get("url"):
                raise AssemblyError(f"Kling's TTS task {task_id} succeeded without an audio URL.")
            download = client.get(audios[0]["url"])
            if download.status_code != 200:
                raise AssemblyError(f"Kling's TTS audio for task {task_id} could not be downloaded "
                                    f"(HTTP {download.status_code}); export again to fetch it anew.")
        return to_wav(download.content, out, voice.pitch)


def _language(voice: Voice) -> str:
    key = (voice.language or "zh").split("-")[0].lower()
    return "zh" if key in ("cmn", "zh") else key


def _save_task(task_file: Path, saved: dict[str, str]) -> None:
    with atomic_target(Path(task_file)) as temp:
        Path(temp).write_text(json.dumps(saved), encoding="utf-8")


def _saved_task(task_file: Path | None) -> dict[str, str]:
    """{"task_id"} or {"external_task_id"} from a task file; {} when there is none."""
    if task_file is None or not Path(task_file).is_file():
        return {}
    try:
        saved = json.loads(Path(task_file).read_text(encoding="utf-8"))
    except ValueError:
        return {}  # unreadable (hand-edited): a half-written file never happens, so start afresh
    return {k: str(v) for k, v in saved.items() if k in ("task_id", "external_task_id")} \
        if isinstance(saved, dict) else {}
