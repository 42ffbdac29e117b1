"""`shotcraft board DIR --web`: the studio itself in a browser, through textual-serve, for a
machine without a good terminal. Each browser tab runs its own studio process.

The same rules as the review page: this machine only by default; off it, every request
(the page, its files and the terminal's websocket) needs the token, printed once with a QR code.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any, TextIO

import segno

from shotcraft.shots.errors import ConfigError
from shotcraft.studio.review.access import Access
from shotcraft.studio.review.serve import bind, lan_addresses


def board_command(directory: Path) -> str:
    """The command textual-serve starts per tab (it runs it through a shell, so every word is
    quoted: a folder called `a; rm -rf ~` stays one argument)."""
    return shlex.join([sys.executable, "-m", "shotcraft.studio.cli", "board",
                       str(Path(directory).resolve())])


def serve_board(directory: Path, *, host: str, port: int, out: TextIO) -> None:
    try:
        from aiohttp import web
        from textual_serve.server import Server
    except ImportError:
        raise ConfigError("the studio in a browser needs textual-serve: "
                          "pip install 'shotcraft[review]'.") from None
    bind(host, port).close()  # a port in use is one sentence, before textual-serve starts
    access = Access(host=host, port=port)
    where = (lan_addresses() or ["127.0.0.1"])[0] if host in ("0.0.0.0", "::") else host
    public = f"http://{where}:{port}"

    @web.middleware
    async def guard(request: Any, handler: Any) -> Any:
        if not access.allows_host_header(request.headers.get("Host", "")):
            return web.Response(status=403, text="This studio answers only to 127.0.0.1.")
        if access.token_required:
            given = request.query.get("token")
            if given is not None and access.token_matches(given):
                response = web.HTTPSeeOther(request.rel_url.with_query(
                    {k: v for k, v in request.query.items() if k != "token"}))
                response.set_cookie(access.cookie, access.token, httponly=True,
                                    samesite="Strict", path="/")
                raise response
            if not access.token_matches(request.cookies.get(access.cookie)):
                return web.Response(status=401, text="This studio needs its link with the token.")
        return await handler(request)

    class GuardedServer(Server):  # type: ignore[misc]
        async def _make_app(self) -> Any:
            app = await super()._make_app()
            app.middlewares.append(guard)
            return app

    server = GuardedServer(board_command(directory), host=host, port=port,
                           title=f"shotcraft — {Path(directory).name}", public_url=public)
    link = access.link(where)
    print(f"studio of {directory}: {link}", file=out)
    if access.token_required:
        segno.make(link, error="l").terminal(out=out, compact=True, border=2)
    print("Ctrl-C stops it.", file=out, flush=True)
    server.serve()
