"""Ark's content generation task API (Seedance), through the Volcengine SDK's Ark client.

`volcenginesdkarkruntime` (the `volcengine-ark-runtime` distribution: the Ark runtime of
volcengine-python-sdk, without the SDK's hundred other services) covers the whole task API:
`content_generation.tasks.create / get / list / delete`. Its own retries are turned off
(`max_retries=0`): a create retried blindly after a lost answer would be paid twice, so the
engine decides what to do after every failure. Ark keeps no idempotency key; a create whose
answer was lost is looked for in the task list instead (engine/seedance/run.py). The hosts and
the account's settings are `settings.py`'s.

The API key is sent as `Authorization: Bearer <key>`; it is never logged nor put in an error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

try:  # the `seedance` extra
    from volcenginesdkarkruntime import Ark
    from volcenginesdkarkruntime._exceptions import (
        ArkAPIConnectionError,
        ArkAPIStatusError,
    )
except ImportError:  # pragma: no cover - exercised only on installs without the extra
    Ark = None  # type: ignore[assignment,misc]
    ArkAPIConnectionError = ArkAPIStatusError = Exception  # type: ignore[assignment,misc]



class ArkError(Exception):
    """Ark answered with an error: HTTP status, Ark's code (e.g. InvalidParameter) and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"HTTP {status} {code}: {message}")
        self.status, self.code, self.message = status, code, message

    @property
    def retryable(self) -> bool:
        return self.status == 429 or self.status >= 500


class ArkLost(Exception):
    """No answer came (a dropped connection, a timeout): the request may have been carried out."""


def _error(exc: Exception) -> Exception:
    if isinstance(exc, ArkAPIStatusError):
        body = getattr(exc, "body", None)
        error = (body.get("error", body) if isinstance(body, dict) else None)
        if isinstance(error, dict):
            code, message = str(error.get("code") or ""), str(error.get("message") or "")
        else:
            code, message = str(getattr(exc, "code", "") or ""), str(getattr(exc, "message", ""))
        return ArkError(int(exc.status_code), code or "Unknown", message.strip() or "no message")
    return ArkLost(type(exc).__name__)


class ArkClient:
    """The task calls Seedance needs; every failure is an ArkError (answered) or ArkLost (not)."""

    def __init__(self, base_url: str, api_key: str, *, timeout: float = 30.0) -> None:
        if Ark is None:
            raise ImportError("volcenginesdkarkruntime", name="volcenginesdkarkruntime")
        self._sdk = Ark(base_url=base_url.rstrip("/"), api_key=api_key, max_retries=0,
                        timeout=timeout)
        self._tasks = self._sdk.content_generation.tasks
        self._http = httpx.Client(timeout=timeout, follow_redirects=True)

    def close(self) -> None:
        self._http.close()
        self._sdk.close()

    def create(self, body: dict[str, Any]) -> str:
        """Create a task from `body` (Ark's create fields); its id."""
        known = dict(body)
        try:
            answer = self._tasks.create(model=known.pop("model"), content=known.pop("content"),
                                        **known)
        except (ArkAPIStatusError, ArkAPIConnectionError) as exc:
            raise _error(exc) from None
        return str(answer.id)

    def get(self, task_id: str) -> dict[str, Any]:
        try:
            return dict(self._tasks.get(task_id=task_id).to_dict())
        except (ArkAPIStatusError, ArkAPIConnectionError) as exc:
            raise _error(exc) from None

    def list(self, *, model: str | None = None, page_size: int = 100) -> list[dict[str, Any]]:
        """The newest tasks (one page), optionally of one model."""
        try:
            answer = self._tasks.list(page_num=1, page_size=page_size, model=model)
        except (ArkAPIStatusError, ArkAPIConnectionError) as exc:
            raise _error(exc) from None
        return [dict(item.to_dict()) for item in answer.items or []]

    def delete(self, task_id: str) -> None:
        """Cancel a queued task, or delete a finished one's record (Ark picks by its status)."""
        try:
            self._tasks.delete(task_id)
        except (ArkAPIStatusError, ArkAPIConnectionError) as exc:
            raise _error(exc) from None

    def download(self, url: str, dest: Path, *, max_bytes: int) -> None:
        """Stream a result URL (a signed CDN link: no key sent) to `dest`; ArkError with the
        status when refused (403 once the link has expired), ArkLost when cut off."""
        size = 0
        try:
            with self._http.stream("GET", url) as response:
                if response.status_code != 200:
                    raise ArkError(response.status_code, "Download", response.reason_phrase)
                expected = response.headers.get("content-length")
                with dest.open("wb") as out:
                    for chunk in response.iter_bytes(1 << 16):
                        size += len(chunk)
                        if size > max_bytes:
                            raise ArkError(200, "TooLarge", f"larger than {max_bytes} bytes")
                        out.write(chunk)
        except httpx.TransportError as exc:
            raise ArkLost(type(exc).__name__) from None
        if expected is not None and int(expected) != size:
            raise ArkLost(f"got {size} of {expected} bytes")
