"""Live updates: the studio's change notification (`Project.data_version`, which moves whenever
another process commits) polled once for every open page, and pushed as server-sent events.

Writes made by this server, and the progress of its own draws, are announced directly: SQLite
does not move `data_version` for commits made on the connection that asks.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool

from shotcraft.projects import Project

POLL_SECONDS = 0.5


class Changes:
    """Fans events out to every open page; `announce` may be called from any thread."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.version = 0  # what pages are told: moves on every change they should reload for
        self._queues: set[asyncio.Queue[tuple[str, str]]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.create_task(self._poll())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.close_streams()

    def close_streams(self) -> None:
        """End every page's stream (on the event loop): the server is stopping, and an open
        stream would hold it up; the pages reconnect to the next server by themselves."""
        for queue in list(self._queues):
            queue.put_nowait(("close", ""))

    async def _poll(self) -> None:
        seen: int | None = None
        while True:
            now: int | None
            try:
                now = await run_in_threadpool(self.project.data_version)
            except OperationalError:
                now = seen  # locked for a moment: ask again at the next tick
            if seen is not None and now != seen:
                self._publish("change", None)
            seen = now
            await asyncio.sleep(POLL_SECONDS)

    def announce(self, event: str, data: dict[str, Any] | None = None) -> None:
        """Tell every page: "change" (reload what you show) or "draw" (progress, in `data`)."""
        if self._loop is None or self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(self._publish, event, data)

    def _publish(self, event: str, data: dict[str, Any] | None) -> None:
        if event == "change":
            self.version += 1
            data = {"version": self.version}
        text = json.dumps(data or {}, ensure_ascii=False)
        for queue in list(self._queues):
            queue.put_nowait((event, text))

    async def stream(self) -> AsyncIterator[dict[str, str]]:
        """The events of one page, from now until it goes or the server stops."""
        queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self._queues.add(queue)
        try:
            yield {"event": "hello", "data": json.dumps({"version": self.version})}
            while True:
                event, data = await queue.get()
                if event == "close":
                    return
                yield {"event": event, "data": data}
        finally:
            self._queues.discard(queue)
