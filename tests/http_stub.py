"""The local HTTP server every provider stand-in runs on (Kling, an OpenAI-compatible TTS)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


def serve(fake: Any, handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    """Serve `handler` (which reads its stand-in from `fake`) on a free localhost port."""

    class Handler(handler):  # type: ignore[valid-type, misc]
        pass

    Handler.fake = fake  # type: ignore[attr-defined]
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02},
                     daemon=True).start()
    return httpd


def shut(httpd: ThreadingHTTPServer | None) -> None:
    if httpd is not None:
        httpd.shutdown()
        httpd.server_close()


class Served:
    """`start()`, `stop()` and `base_url` of a stand-in served on localhost: subclasses say
    which handler reads them (`_handler`) and where their API lives on the host (`api_path`)."""

    api_path = ""
    _httpd: ThreadingHTTPServer | None = None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError

    def start(self) -> Self:
        self._httpd = serve(self, self._handler())
        return self

    def stop(self) -> None:
        shut(self._httpd)

    @property
    def base_url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}{self.api_path}"
