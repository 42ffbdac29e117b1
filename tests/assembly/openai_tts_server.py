"""A small OpenAI-compatible `/v1/audio/speech` server for tests, as OpenAI's reference has it.

`POST /v1/audio/speech` with a Bearer key and a JSON body: `model` (one of `models`), `input`
(1-4096 characters), `voice` (one of `voices`), `response_format` (mp3, opus, aac, flac, wav,
pcm; default mp3) and `speed` (0.25-4.0); nothing else. The answer is the audio itself: a real
WAV or MP3 (a 330 Hz tone 0.1 s per character, at least 0.4 s, shortened by `speed`). Errors are
`{"error": {"message", "type", "param", "code"}}`: 401 for a missing or wrong key, 400 for a bad
field, 404 for an unknown model, and injected 429s (`rate_limit_exceeded`) or 500s.
"""

from __future__ import annotations

import json
import subprocess
import threading
from http.server import BaseHTTPRequestHandler
from typing import Any

from shotcraft.shots.media import ffmpeg_binary
from tests.http_stub import Served

VOICES = {"alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer",
          "verse"}
FORMATS = {"mp3": ("libmp3lame", "mp3"), "wav": ("pcm_s16le", "wav"), "flac": ("flac", "flac")}
FIELDS = {"model", "input", "voice", "response_format", "speed", "instructions"}
SECONDS_PER_CHAR = 0.1


def spoken_seconds(text: str, speed: float = 1.0) -> float:
    return max(0.4, SECONDS_PER_CHAR * len(text)) / speed


class FakeSpeechServer(Served):
    api_path = "/v1"

    def __init__(self, *, key: str, models: tuple[str, ...] = ("tts-1", "tts-1-hd")) -> None:
        self.key, self.models = key, set(models)
        self.requests: list[dict[str, Any]] = []  # every authorised POST body
        self.faults: list[int] = []  # statuses to answer next, one per request
        self.lock = threading.Lock()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return _Handler


def _audio(seconds: float, response_format: str) -> bytes:
    codec, container = FORMATS[response_format]
    return subprocess.run(
        [ffmpeg_binary(), "-v", "error", "-f", "lavfi", "-t", f"{seconds:.3f}",
         "-i", "sine=frequency=330:sample_rate=24000", "-c:a", codec, "-f", container, "-"],
        check=True, capture_output=True).stdout


class _Handler(BaseHTTPRequestHandler):
    fake: FakeSpeechServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def _error(self, status: int, message: str, kind: str, code: str | None,
               param: str | None = None) -> None:
        payload = json.dumps({"error": {"message": message, "type": kind, "param": param,
                                        "code": code}}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self) -> None:  # noqa: C901 - one branch per documented refusal
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path != "/v1/audio/speech":
            return self._error(404, f"Invalid URL (POST {self.path})", "invalid_request_error", None)
        if self.headers.get("Authorization") != f"Bearer {self.fake.key}":
            return self._error(401, "Incorrect API key provided.", "invalid_request_error",
                               "invalid_api_key")
        try:
            body = json.loads(raw)
        except json.JSONDecodeError:
            return self._error(400, "We could not parse the JSON body of your request.",
                               "invalid_request_error", None)
        with self.fake.lock:
            self.fake.requests.append(body)
            fault = self.fake.faults.pop(0) if self.fake.faults else None
        if fault == 429:
            return self._error(429, "Rate limit reached for requests", "requests",
                               "rate_limit_exceeded")
        if fault is not None:
            return self._error(fault, "The server had an error while processing your request.",
                               "server_error", None)
        unknown = set(body) - FIELDS if isinstance(body, dict) else {"body"}
        if unknown:
            return self._error(400, f"Unrecognized request argument supplied: {sorted(unknown)[0]}",
                               "invalid_request_error", None)
        if body.get("model") not in self.fake.models:
            return self._error(404, f"The model `{body.get('model')}` does not exist.",
                               "invalid_request_error", "model_not_found", "model")
        text = body.get("input")
        if not isinstance(text, str) or not text or len(text) > 4096:
            return self._error(400, "input must be 1-4096 characters.", "invalid_request_error",
                               None, "input")
        if body.get("voice") not in VOICES:
            return self._error(400, f"Invalid value for 'voice': {body.get('voice')!r}.",
                               "invalid_request_error", None, "voice")
        response_format = body.get("response_format", "mp3")
        speed = body.get("speed", 1.0)
        if response_format not in FORMATS or not isinstance(speed, (int, float)) \
                or not 0.25 <= speed <= 4.0:
            return self._error(400, "response_format or speed is invalid.",
                               "invalid_request_error", None, "speed")
        audio = _audio(spoken_seconds(text, speed), response_format)
        self.send_response(200)
        self.send_header("Content-Type", "audio/wav" if response_format == "wav" else "audio/mpeg")
        self.send_header("Content-Length", str(len(audio)))
        self.end_headers()
        self.wfile.write(audio)
        return None
