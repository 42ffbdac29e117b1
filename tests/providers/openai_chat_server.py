"""A small OpenAI-compatible `/v1/chat/completions` server for tests, as OpenAI's API reference has it.

`POST /v1/chat/completions` with a Bearer key and a JSON body: `model` (one of `models`),
`messages` (a non-empty list of `{"role", "content"}`), optional `temperature` (0-2) and
`max_tokens`. The answer is a `chat.completion` object: `id`, `object`, `created`, `model`,
`choices[0]` = `{"index": 0, "message": {"role": "assistant", "content", "refusal": null},
"logprobs": null, "finish_reason"}` and `usage` (`prompt_tokens`, `completion_tokens`,
`total_tokens`). Errors are `{"error": {"message", "type", "param", "code"}}`: 401 for a missing or
wrong key (`invalid_api_key`), 400 for a bad body (`param` names the field), 404 for an unknown
model (`model_not_found`), and injected 429s (`rate_limit_exceeded`, with a `retry-after`
header), 500s (`server_error`) and 503s (overloaded).

What the model "writes" is `writer(user_content)`; `script` queues answers for the next requests:
`{"status": 429, "retry_after": "1"}`, `{"status": 500}`, `{"status": 503}`, `{"delay": s}`,
`{"content": "...", "finish_reason": "length"}` (an answer cut off at the token limit) or
`{"content": "..."}` (any answer, conforming or not).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.http_stub import Served

FIELDS = {"model", "messages", "temperature", "max_tokens", "max_completion_tokens", "top_p",
          "stream", "n", "stop", "presence_penalty", "frequency_penalty", "user", "seed"}


def prose_writer(content: str) -> str:
    """A deterministic "model": every paragraph of the text after the instruction line becomes
    a scene with that paragraph as its action; a 旁白： line stays a narrator line."""
    _, _, text = content.partition("\n\n")
    out = []
    for number, paragraph in enumerate(p.strip() for p in text.split("\n\n") if p.strip()):
        if paragraph.startswith(("旁白：", "《")):
            out.append(paragraph)
            continue
        out += [f"1-{number + 1} 夜 外 车站", f"△{paragraph.replace(chr(10), '')}"]
    return "\n".join(out)


class FakeChatServer(Served):
    api_path = "/v1"

    def __init__(self, *, key: str, models: tuple[str, ...] = ("deepseek-chat",),
                 writer: Callable[[str], str] = prose_writer) -> None:
        self.key, self.models, self.writer = key, set(models), writer
        self.requests: list[dict[str, Any]] = []  # every request: time, headers, body
        self.script: list[dict[str, Any]] = []  # behaviours for the next requests, in order
        self.lock = threading.Lock()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return _Handler

    def next_behaviour(self) -> dict[str, Any]:
        with self.lock:
            return self.script.pop(0) if self.script else {}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeChatServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def _json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-request-id", f"req_{len(self.fake.requests)}")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str, kind: str, code: str | None,
               param: str | None = None, headers: dict[str, str] | None = None) -> None:
        self._json(status, {"error": {"message": message, "type": kind, "param": param,
                                      "code": code}}, headers)

    def do_POST(self) -> None:  # noqa: C901 - one branch per documented answer
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        fake = self.fake
        with fake.lock:
            fake.requests.append({"time": time.monotonic(), "headers": {k.lower(): v for k, v in self.headers.items()},
                                  "body": raw.decode("utf-8", "replace"), "path": self.path})
        if self.path != "/v1/chat/completions":
            return self._error(404, f"Invalid URL (POST {self.path})", "invalid_request_error", None)
        auth = self.headers.get("Authorization", "")
        if auth != f"Bearer {fake.key}":
            shown = auth.removeprefix("Bearer ")[:3] + "***" if auth else ""
            return self._error(401, f"Incorrect API key provided: {shown}. You can find your API "
                               "key at https://platform.openai.com/account/api-keys.",
                               "invalid_request_error", "invalid_api_key")
        try:
            body = json.loads(raw)
        except json.JSONDecodeError:
            return self._error(400, "We could not parse the JSON body of your request.",
                               "invalid_request_error", None)
        unknown = set(body) - FIELDS
        if unknown:
            name = sorted(unknown)[0]
            return self._error(400, f"Unrecognized request argument supplied: {name}",
                               "invalid_request_error", None, name)
        if body.get("model") not in fake.models:
            return self._error(404, f"The model `{body.get('model')}` does not exist or you do not "
                               "have access to it.", "invalid_request_error", "model_not_found")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages or not all(
                isinstance(m, dict) and m.get("role") in ("system", "user", "assistant")
                and isinstance(m.get("content"), str) for m in messages):
            return self._error(400, "Invalid 'messages': expected a non-empty array of messages.",
                               "invalid_request_error", "invalid_value", "messages")
        temperature = body.get("temperature", 1)
        if not isinstance(temperature, int | float) or not 0 <= temperature <= 2:
            return self._error(400, f"Invalid 'temperature': {temperature}; expected 0 to 2.",
                               "invalid_request_error", "invalid_value", "temperature")
        behaviour = fake.next_behaviour()
        if "delay" in behaviour:
            time.sleep(behaviour["delay"])
        status = behaviour.get("status")
        if status == 429:
            return self._error(429, "Rate limit reached for requests. Limit: 3 / min. Please try "
                               "again in 1s.", "requests", "rate_limit_exceeded",
                               headers={"retry-after": behaviour.get("retry_after", "1"),
                                        "x-ratelimit-limit-requests": "3",
                                        "x-ratelimit-remaining-requests": "0"})
        if status == 500:
            return self._error(500, "The server had an error while processing your request. "
                               "Sorry about that!", "server_error", None)
        if status == 503:
            return self._error(503, "The engine is currently overloaded, please try again later.",
                               "server_error", None)
        user = next(m["content"] for m in reversed(messages) if m["role"] == "user")
        content = behaviour.get("content", None)
        if content is None:
            content = fake.writer(user)
        finish = behaviour.get("finish_reason", "stop")
        prompt_tokens = sum(len(m["content"]) for m in messages) // 2
        self._json(200, {
            "id": f"chatcmpl-{len(fake.requests)}", "object": "chat.completion",
            "created": int(time.time()), "model": body["model"], "system_fingerprint": "fp_stand_in",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content,
                                                  "refusal": None},
                         "logprobs": None, "finish_reason": finish}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": len(content) // 2,
                      "total_tokens": prompt_tokens + len(content) // 2},
        })
