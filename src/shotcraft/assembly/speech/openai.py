"""An OpenAI-compatible `/audio/speech` server as a speech engine (OpenAI's own, or a team's).

Modelled on OpenAI's API reference, "Create speech" (`POST /v1/audio/speech`): a JSON body with
`model` (e.g. `tts-1`, `gpt-4o-mini-tts`), `input` (the text, at most 4096 characters),
`voice` (`alloy`, `echo`, `nova`, … or the server's own names), `response_format` (mp3, opus,
aac, flac, wav, pcm; we ask for wav) and `speed` (0.25-4.0); the answer is the audio itself.
Errors are JSON `{"error": {"message", "type", "code"}}` with 400 (bad request), 401 (bad key),
429 (rate limit or quota) and 5xx.

Settings from the environment only: SHOTCRAFT_TTS_BASE_URL (e.g. `https://api.openai.com/v1`;
`/audio/speech` is appended), SHOTCRAFT_TTS_API_KEY (sent as a Bearer token, never stored),
SHOTCRAFT_TTS_MODEL (default `tts-1`; part of the cache key with the server's host, so another
model or server re-synthesises). A plain answer: nothing to poll, so nothing to resume.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from urllib.parse import urlsplit

from shotcraft.assembly.speech.base import SpeechEngine
from shotcraft.assembly.speech.cloud import env, env_float, httpx_module, to_wav
from shotcraft.shots.errors import AssemblyError, SpecError
from shotcraft.storyboard.voices import Voice

BASE, KEY, MODEL = "SHOTCRAFT_TTS_BASE_URL", "SHOTCRAFT_TTS_API_KEY", "SHOTCRAFT_TTS_MODEL"
MAX_INPUT = 4096
SPEEDS = (0.25, 4.0)


def _model() -> str:
    return os.environ.get(MODEL, "").strip() or "tts-1"


def refusal(status: int, message: str) -> str:
    """One sentence for a refused /audio/speech call."""
    if status == 401:
        return f"the speech server refused the key (HTTP 401): check {KEY}."
    if status == 429:
        return f"the speech server is rate-limited or out of quota (HTTP 429): {message or 'try again later'}"
    if status >= 500:
        return f"the speech server failed on its side (HTTP {status}); try again later."
    return f"the speech server refused the line (HTTP {status}): {message or 'no details'}"


class OpenAISpeech(SpeechEngine):
    name = "openai"
    paid = True

    def version(self) -> str:
        host = urlsplit(os.environ.get(BASE, "")).netloc or "unset"
        return f"{_model()}@{host}"

    def check(self, voice: Voice) -> None:
        if not SPEEDS[0] <= voice.speed <= SPEEDS[1]:  # pragma: no cover - Voice allows 0.5-2
            raise SpecError(f"the speech server speaks at {SPEEDS[0]}-{SPEEDS[1]}.", field="speed")

    def synthesize(self, text: str, voice: Voice, out: Path, task_file: Path | None = None) -> float:
        self.check(voice)
        if len(text) > MAX_INPUT:
            raise AssemblyError(f"the speech server takes at most {MAX_INPUT} characters a line; "
                                f"this one has {len(text)}: split it in the script.")
        base = env(BASE, "the openai speech engine").rstrip("/")
        key = env(KEY, "the openai speech engine")
        httpx = httpx_module()
        retries = int(env_float("SHOTCRAFT_TTS_RETRIES", 3))
        delay = env_float("SHOTCRAFT_TTS_RETRY_DELAY", 1.0)
        body = {"model": _model(), "input": text, "voice": voice.voice,
                "response_format": "wav", "speed": voice.speed}
        with httpx.Client(timeout=env_float("SHOTCRAFT_TTS_REQUEST_TIMEOUT", 60.0)) as client:
            for attempt in range(retries + 1):
                try:
                    reply = client.post(f"{base}/audio/speech", json=body,
                                        headers={"Authorization": f"Bearer {key}"})
                except httpx.HTTPError as exc:
                    if attempt < retries:
                        time.sleep(delay * 2 ** attempt)
                        continue
                    raise AssemblyError(f"the speech server at {base} could not be reached: "
                                        f"{type(exc).__name__}.") from exc
                if reply.status_code == 200:
                    return to_wav(reply.content, out, voice.pitch)
                if (reply.status_code == 429 or reply.status_code >= 500) and attempt < retries:
                    time.sleep(delay * 2 ** attempt)
                    continue
                try:
                    message = str(reply.json()["error"]["message"])
                except (ValueError, KeyError, TypeError):
                    message = ""
                raise AssemblyError(refusal(reply.status_code, message))
        raise AssertionError("unreachable")
