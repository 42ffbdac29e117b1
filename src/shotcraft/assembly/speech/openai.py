"""An OpenAI-compatible `/audio/speech` server as a speech engine (OpenAI's own, or a team's).

Modelled on OpenAI's API reference, "Create speech" (`POST /v1/audio/speech`): a JSON body with
`model` (e.g. `tts-1`, `gpt-4o-mini-tts`), `input` (the text, at most 4096 characters),
`voice` (`alloy`, `echo`, `nova`, … or the server's own names), `response_format` (mp3, opus,
aac, flac, wav, pcm; we ask for wav) and `speed` (0.25-4.0); the answer is the audio itself.
Errors are JSON `{"error": {"message", "type", "code"}}` with 400 (bad request), 401 (bad key),
429 (rate limit or quota) and 5xx.

Settings (`[tts]`, SHOTCRAFT_TTS_*; shots/settings.py): base_url (e.g.
`https://api.openai.com/v1`; `/audio/speech` is appended), api_key (sent as a Bearer token,
never stored; the environment or the user's 0600 config file only), model (default `tts-1`; part
of the cache key with the server's host, so another model or server re-synthesises), retries,
retry_delay, request_timeout. A plain answer: nothing to poll, so nothing to resume.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from shotcraft.assembly.speech.base import SpeechEngine
from shotcraft.assembly.speech.cloud import httpx_module, to_wav
from shotcraft.shots.errors import AssemblyError, SpecError
from shotcraft.shots.settings import Section, missing_key
from shotcraft.storyboard.voices import Voice

KEY = "SHOTCRAFT_TTS_API_KEY"
MAX_INPUT = 4096
SPEEDS = (0.25, 4.0)


class TtsSettings(Section):
    """The OpenAI-compatible speech server: `[tts]`, `SHOTCRAFT_TTS_*`; the key only in the
    environment or the user's config file (mode 0600)."""

    section: ClassVar[str] = "tts"
    model_config = SettingsConfigDict(env_prefix="SHOTCRAFT_TTS_", extra="ignore")

    base_url: str = ""  # e.g. https://api.openai.com/v1 (/audio/speech is appended)
    api_key: SecretStr | None = None  # sent as a Bearer token, never stored
    model: str = "tts-1"  # part of the cache key with the server's host
    retries: int = 3  # for 429, 5xx and dropped connections
    retry_delay: float = 1.0  # first back-off, doubled each time
    request_timeout: float = 60.0


def refusal(status: int, message: str) -> str:
    """One sentence for a refused /audio/speech call."""
    if status == 401:
        return f"the speech server refused the key (HTTP 401): check {KEY}."
    if status == 429:
        return f"the speech server is rate-limited or out of quota (HTTP 429): {message or 'try again later'}"
    if status >= 500:
        return f"the speech server failed on its side (HTTP {status}); try again later."
    return f"the speech server refused the line (HTTP {status}): {message or 'no details'}"


class _Again(Exception):
    """A try worth repeating (a dropped connection, 429, 5xx); `last` says it if it was the last."""

    def __init__(self, last: str) -> None:
        super().__init__(last)
        self.last = last


class OpenAISpeech(SpeechEngine):
    name = "openai"
    paid = True

    def version(self) -> str:
        settings = TtsSettings()
        host = urlsplit(settings.base_url).netloc or "unset"
        return f"{settings.model or 'tts-1'}@{host}"

    def check(self, voice: Voice) -> None:
        if not SPEEDS[0] <= voice.speed <= SPEEDS[1]:  # pragma: no cover - Voice allows 0.5-2
            raise SpecError(f"the speech server speaks at {SPEEDS[0]}-{SPEEDS[1]}.", field="speed")

    def synthesize(self, text: str, voice: Voice, out: Path, task_file: Path | None = None) -> float:
        self.check(voice)
        if len(text) > MAX_INPUT:
            raise AssemblyError(f"the speech server takes at most {MAX_INPUT} characters a line; "
                                f"this one has {len(text)}: split it in the script.")
        settings = TtsSettings()
        if not settings.base_url.strip():
            raise missing_key("the openai speech engine", TtsSettings, "base_url")
        if settings.api_key is None or not settings.api_key.get_secret_value().strip():
            raise missing_key("the openai speech engine", TtsSettings, "api_key")
        base = settings.base_url.strip().rstrip("/")
        key = settings.api_key.get_secret_value().strip()
        httpx = httpx_module()
        body = {"model": settings.model or "tts-1", "input": text, "voice": voice.voice,
                "response_format": "wav", "speed": voice.speed}
        with httpx.Client(timeout=settings.request_timeout) as client:

            def once() -> Any:
                try:
                    reply = client.post(f"{base}/audio/speech", json=body,
                                        headers={"Authorization": f"Bearer {key}"})
                except httpx.HTTPError as exc:
                    raise _Again(f"the speech server at {base} could not be reached: "
                                 f"{type(exc).__name__}.") from None
                if reply.status_code == 200:
                    return reply
                try:
                    message = str(reply.json()["error"]["message"])
                except (ValueError, KeyError, TypeError):
                    message = ""
                if reply.status_code == 429 or reply.status_code >= 500:
                    raise _Again(refusal(reply.status_code, message))
                raise AssemblyError(refusal(reply.status_code, message))

            def give_up(state: Any) -> Any:
                error = state.outcome.exception()
                raise AssemblyError(error.last if isinstance(error, _Again) else str(error))

            reply = Retrying(stop=stop_after_attempt(settings.retries + 1),
                             wait=wait_exponential(multiplier=settings.retry_delay, exp_base=2),
                             retry=retry_if_exception_type(_Again),
                             retry_error_callback=give_up)(once)
        return to_wav(reply.content, out, voice.pitch)
