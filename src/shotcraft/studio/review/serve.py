"""Running the review server: bind, say where it is (with a QR code off this machine), serve."""

from __future__ import annotations

import contextlib
import errno
import socket
import threading
from collections.abc import Iterator
from typing import TextIO

import segno
import uvicorn

from shotcraft.projects import Project
from shotcraft.shots.errors import ConfigError
from shotcraft.studio.review.access import Access, is_loopback
from shotcraft.studio.review.app import make_app
from shotcraft.studio.review.live import Changes


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: any free one); one sentence when it cannot."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(f"port {port} on {host} is already in use (another review?); "
                              "pass --port with another number.") from None
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}.") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def lan_addresses() -> list[str]:
    """This machine's own IPv4 addresses other than loopback (what a phone on the same network
    types); read from the host's name, sending nothing."""
    found: list[str] = []
    with contextlib.suppress(OSError):
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            address = str(info[4][0])
            if not is_loopback(address) and address not in found:
                found.append(address)
    return found


class _Server(uvicorn.Server):
    """uvicorn's server that ends the pages' event streams first when it stops (uvicorn waits
    for open connections before the app's own shutdown runs)."""

    def __init__(self, config: uvicorn.Config, changes: Changes) -> None:
        super().__init__(config)
        self.changes = changes

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.changes.close_streams()
        await super().shutdown(sockets)


class ReviewServer:
    """The app on a bound socket: `run()` in the foreground, or `running()` in a thread."""

    def __init__(self, project: Project, *, host: str = "127.0.0.1", port: int = 8765,
                 read_only: bool = False, token: str | None = None) -> None:
        self.socket = bind(host, port)
        actual = self.socket.getsockname()[1]
        self.access = Access(host=host, port=actual, read_only=read_only)
        if token:
            self.access.token = token
        self.app = make_app(project, self.access)
        config = uvicorn.Config(self.app, log_level="warning", access_log=False,
                                timeout_graceful_shutdown=2, lifespan="on")
        self.server = _Server(config, self.app.state.review.changes)

    @property
    def port(self) -> int:
        return self.access.port

    def links(self) -> list[str]:
        if self.access.host in ("0.0.0.0", "::"):
            return [self.access.link(a) for a in lan_addresses()] or [self.access.link()]
        return [self.access.link()]

    def announce(self, out: TextIO) -> None:
        """Where to open the review, and for a phone the QR code of its link (printed once)."""
        links = self.links()
        print(f"review of {self.app.state.review.project.title}: {links[0]}", file=out)
        for other in links[1:]:
            print(f"  also: {other}", file=out)
        if self.access.token_required:
            segno.make(links[0], error="l").terminal(out=out, compact=True, border=2)
            print("Anyone with this link (or the QR code) can see the takes"
                  + (" but change nothing (read-only)." if self.access.read_only
                     else ", and pick, reject and draw."), file=out)
        elif self.access.read_only:
            print("Read-only: nothing can be changed from the page.", file=out)
        print("Ctrl-C stops the review.", file=out, flush=True)

    def run(self) -> None:
        try:
            self.server.run(sockets=[self.socket])
        finally:
            self.socket.close()

    @contextlib.contextmanager
    def running(self) -> Iterator[ReviewServer]:
        """Serve in a thread until the block ends (tests, benchmarks)."""
        thread = threading.Thread(target=self.run, name="review-server", daemon=True)
        thread.start()
        while not self.server.started and thread.is_alive():
            threading.Event().wait(0.02)
        try:
            yield self
        finally:
            self.server.should_exit = True
            thread.join(timeout=10)


__all__ = ["ReviewServer", "bind", "is_loopback", "lan_addresses"]
