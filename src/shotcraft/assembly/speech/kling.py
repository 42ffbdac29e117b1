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
- The account is the video engine's: one client (providers/kling: the same keys, settings,
  JWT, hosts, error codes and retries); SHOTCRAFT_KLING_BASE_URL or SHOTCRAFT_KLING_REGION
  (global|china) pick the host.

Never paid twice, by the provider's one submit (`KlingApi.send`): before the create,
`task_file` (cache/speech/<key>.task.json, next to the line's cache entry) names the task by an
`external_task_id`; the created task's id replaces it before the first poll. A run killed while
polling resumes that task; a create whose answer was lost (a dropped connection) is found by its
external id before anything is asked again. The cache removes the file once the line is stored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shotcraft.assembly.speech.base import SpeechEngine
from shotcraft.assembly.speech.cloud import httpx_module, to_wav
from shotcraft.providers.kling.codes import AUTH_CODES
from shotcraft.providers.kling.settings import KlingSettings
from shotcraft.providers.kling.tasks import KlingApi, Stop
from shotcraft.shots.errors import AssemblyError, SpecError
from shotcraft.shots.files import atomic_target
from shotcraft.shots.settings import missing_key
from shotcraft.storyboard.voices import Voice

ACCESS, SECRET = "SHOTCRAFT_KLING_ACCESS_KEY", "SHOTCRAFT_KLING_SECRET_KEY"
PATH = "/v1/audio/tts"
MAX_TEXT = 1000
SPEEDS = (0.8, 2.0)
LANGUAGES = ("zh", "en")
VERSION = "kling-tts-v1"


def refusal(status: int | None, code: int | None, message: str) -> str:
    """One sentence for a refused Kling call."""
    if code in AUTH_CODES or status == 401:
        return (f"Kling refused the keys (code {code}): check {ACCESS} and {SECRET} "
                "for this region.")
    if code == 1102:
        return "Kling's account balance is spent (code 1102); top it up and export again."
    if code in (1302, 1303) or status == 429:
        return f"Kling's TTS is rate-limited (code {code}); try again later."
    if status is not None and status >= 500:
        return f"Kling's TTS failed on its side (HTTP {status}, code {code}); try again later."
    if status is None:  # no answer at all: the provider's sentence says what happened
        return message
    return f"Kling's TTS refused the line (code {code}): {message}"


def _settings() -> KlingSettings:
    settings = KlingSettings()
    for key, field in ((settings.access_key, "access_key"), (settings.secret_key, "secret_key")):
        if key is None or not key.get_secret_value().strip():
            raise missing_key("Kling's TTS", KlingSettings, field)
    return settings


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
        settings = _settings()
        httpx = httpx_module()
        with httpx.Client(timeout=settings.request_timeout) as client:
            api = KlingApi(settings, client)
            try:
                task_id = _task(api, text, voice, task_file)
            except Stop as stop:
                raise AssemblyError(refusal(stop.status, stop.code, stop.message)) from None
            try:
                data = api.poll(f"{PATH}/{task_id}", None, interval=settings.tts_poll_interval,
                                backoff=1.0)
            except Stop as stop:
                if stop.late:
                    raise AssemblyError(f"Kling's TTS task {task_id} is still running after "
                                        f"{settings.max_poll_seconds:g} s; export again later to "
                                        "pick it up.") from None
                raise AssemblyError(refusal(stop.status, stop.code, stop.message)) from None
            if data.get("task_status") == "failed":
                if task_file is not None:
                    Path(task_file).unlink(missing_ok=True)
                raise AssemblyError(f"Kling's TTS could not speak the line: "
                                    f"{data.get('task_status_msg') or 'the task failed'}.")
            audios = (data.get("task_result") or {}).get("audios") or []
            if not audios or not audios[0].get("url"):
                raise AssemblyError(f"Kling's TTS task {task_id} succeeded without an audio URL.")
            download = client.get(audios[0]["url"])
            if download.status_code != 200:
                raise AssemblyError(f"Kling's TTS audio for task {task_id} could not be downloaded "
                                    f"(HTTP {download.status_code}); export again to fetch it anew.")
        return to_wav(download.content, out, voice.pitch)


def _task(api: KlingApi, text: str, voice: Voice, task_file: Path | None) -> str:
    """The line's task id: resumed from the task file, found by its external id (a create
    whose answer was lost), or created now, through the provider's one submit."""
    saved = _saved_task(task_file)
    if saved.get("task_id"):
        return saved["task_id"]
    external = saved.get("external_task_id") or (
        f"shotcraft-tts-{Path(task_file).name[:40]}" if task_file is not None else None)
    if saved.get("external_task_id"):  # killed before the answer came
        found = api.lookup(f"{PATH}/{external}")
        if found:
            return _remember(task_file, str(found["task_id"]))
    body: dict[str, Any] = {"text": text, "voice_id": voice.voice,
                            "voice_language": _language(voice), "voice_speed": voice.speed}
    step: dict[str, Any] = {}
    if external is not None:  # named before it is asked for, so it can be found
        body["external_task_id"] = external

    def save() -> None:
        if task_file is not None and not step.get("task_id"):
            _save_task(task_file, {"external_task_id": str(external)})

    def find() -> dict[str, Any] | None:
        return api.lookup(f"{PATH}/{external}") if external is not None else None

    data = api.send(PATH, body, step, save, find, what="the line",
                    after="nothing was paid for it")
    return _remember(task_file, str(data["task_id"]))


def _remember(task_file: Path | None, task_id: str) -> str:
    """Keep the task id before the first poll: a crash from here resumes it."""
    if task_file is not None:
        _save_task(task_file, {"task_id": task_id})
    return task_id


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
