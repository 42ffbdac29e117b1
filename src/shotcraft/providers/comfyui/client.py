"""A self-hosted ComfyUI server: its HTTP routes (httpx) and its websocket (httpx-ws).

Routes, as ComfyUI's server.py serves them: `GET /object_info`, `POST /upload/image`,
`POST /prompt` (with a client-chosen `prompt_id`), `GET /history/{prompt_id}`, `GET /queue`,
`POST /queue {"delete": [...]}`, `POST /interrupt`, `GET /view`, and `GET /ws?clientId=` for
progress. No domain logic: the engine (engine/comfyui) decides what to send and what it means.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

try:  # the `comfyui` extra
    from httpx_ws import WebSocketDisconnect, WebSocketNetworkError, connect_ws
except ImportError:  # pragma: no cover - exercised only on installs without the extra
    connect_ws = None  # type: ignore[assignment]
    WebSocketDisconnect = WebSocketNetworkError = Exception  # type: ignore[assignment,misc]


class ComfyUnreachable(Exception):
    """The server did not answer (not running, wrong URL, a dropped connection)."""


class ComfyRefused(Exception):
    """The server answered with an error; for /prompt, ComfyUI's `error` and `node_errors`."""

    def __init__(self, status: int, error: Any, node_errors: dict[str, Any] | None = None) -> None:
        super().__init__(f"HTTP {status}: {error}")
        self.status, self.error, self.node_errors = status, error, node_errors or {}


class ComfyClient:
    def __init__(self, base_url: str, *, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise ComfyUnreachable(f"{type(exc).__name__} at {self.base_url}") from None
        if response.status_code >= 400:
            try:
                payload = response.json()
            except json.JSONDecodeError:
                payload = {}
            payload = payload if isinstance(payload, dict) else {}
            raise ComfyRefused(response.status_code, payload.get("error") or response.text[:200],
                               payload.get("node_errors"))
        return response

    def object_info(self) -> dict[str, Any]:
        return dict(self._call("GET", "/object_info").json())

    def upload_image(self, path: Path, name: str) -> str:
        """Upload an image to the server's input folder under `name`; the name it was kept as."""
        with Path(path).open("rb") as handle:
            answer = self._call("POST", "/upload/image", files={"image": (name, handle)},
                                data={"overwrite": "true", "type": "input"}).json()
        sub = answer.get("subfolder") or ""
        return f"{sub}/{answer['name']}" if sub else str(answer["name"])

    def queue_prompt(self, prompt: dict[str, Any], *, prompt_id: str,
                     client_id: str) -> dict[str, Any]:
        """Queue `prompt` under our own `prompt_id`: ComfyUI's answer (number, node_errors)."""
        return dict(self._call("POST", "/prompt", json={
            "prompt": prompt, "prompt_id": prompt_id, "client_id": client_id}).json())

    def history(self, prompt_id: str) -> dict[str, Any] | None:
        """The prompt's history entry (outputs, status), or None while it has none."""
        entry = self._call("GET", f"/history/{prompt_id}").json().get(prompt_id)
        return dict(entry) if isinstance(entry, dict) else None

    def queue(self) -> tuple[list[str], list[str]]:
        """Prompt ids running and pending."""
        answer = self._call("GET", "/queue").json()
        return ([str(item[1]) for item in answer.get("queue_running") or []],
                [str(item[1]) for item in answer.get("queue_pending") or []])

    def delete_queued(self, prompt_ids: list[str]) -> None:
        self._call("POST", "/queue", json={"delete": prompt_ids})

    def interrupt(self) -> None:
        self._call("POST", "/interrupt", json={})

    def view(self, item: dict[str, Any], dest: Path) -> None:
        """Download an output file ({filename, subfolder, type}) to `dest`."""
        params = {"filename": item["filename"], "subfolder": item.get("subfolder") or "",
                  "type": item.get("type") or "output"}
        try:
            with self._http.stream("GET", "/view", params=params) as response:
                if response.status_code != 200:
                    raise ComfyRefused(response.status_code, f"no file {item['filename']}")
                with dest.open("wb") as out:
                    for chunk in response.iter_bytes(1 << 16):
                        out.write(chunk)
        except httpx.TransportError as exc:
            raise ComfyUnreachable(type(exc).__name__) from None

    @contextmanager
    def events(self, client_id: str, *, timeout: float) -> Iterator[Iterator[dict[str, Any]]]:
        """The websocket's JSON messages for `client_id` (binary previews skipped); the
        iterator ends when the socket closes or nothing comes for `timeout` seconds."""
        if connect_ws is None:
            raise ImportError("httpx_ws", name="httpx_ws")
        try:
            with connect_ws(f"/ws?clientId={client_id}", self._http) as socket:  # type: ignore[var-annotated]
                def messages() -> Iterator[dict[str, Any]]:
                    while True:
                        try:
                            text = socket.receive_text(timeout=timeout)
                        except (TimeoutError, WebSocketDisconnect, WebSocketNetworkError):
                            return
                        except Exception:  # noqa: BLE001 - a binary preview frame, or a queue timeout
                            return
                        try:
                            yield dict(json.loads(text))
                        except (json.JSONDecodeError, TypeError, ValueError):
                            continue

                yield messages()
        except httpx.TransportError as exc:
            raise ComfyUnreachable(type(exc).__name__) from None
