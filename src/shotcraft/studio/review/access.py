"""Who may see the review page and who may change the project through it.

- On a loopback address (the default) the page is open to this machine; off it (`--host
  0.0.0.0`, for a phone on the same network) every request needs the token: `?token=…` on the
  first visit, which sets a cookie and redirects to the same address without it.
- Every write (pick, reject, draw) needs the token in a header that only the page itself can
  read (another site open in the same browser cannot), and is refused on a read-only link.
- On loopback the Host header must name this machine, so a page on another site that renames
  itself to 127.0.0.1 (DNS rebinding) cannot read the review either.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

TOKEN_HEADER = "x-shotcraft-token"
SAFE_METHODS = {"GET", "HEAD"}
# what every answer says about itself: no scripts or media from elsewhere, never framed, the
# token never sent on in a Referer
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; img-src 'self' data:; media-src 'self'; script-src 'self'; "
        "style-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'self'"),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


def is_loopback(host: str) -> bool:
    """Whether `host` (an address or "localhost") is reachable from this machine only."""
    if host in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass
class Access:
    """The rules of one running review server."""

    host: str = "127.0.0.1"
    port: int = 8765
    read_only: bool = False
    token: str = field(default_factory=lambda: secrets.token_urlsafe(18))

    @property
    def token_required(self) -> bool:
        """Every request needs the token: the server listens beyond this machine."""
        return not is_loopback(self.host)

    @property
    def cookie(self) -> str:
        # cookies ignore ports: two servers on one machine (a director's and a client's
        # read-only one) keep one cookie each
        return f"shotcraft-review-{self.port}"

    def link(self, address: str | None = None) -> str:
        """The address to open (with the token where one is needed)."""
        where = address or ("127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host)
        if ":" in where and not where.startswith("["):
            where = f"[{where}]"
        query = f"/?{urlencode({'token': self.token})}" if self.token_required else "/"
        return f"http://{where}:{self.port}{query}"

    def allows_host_header(self, value: str) -> bool:
        if self.token_required:
            return True  # the token guards it; a phone may call this machine by any name
        name = value.rsplit(":", 1)[0] if not value.endswith("]") else value
        return is_loopback(name)

    def token_matches(self, given: str | None) -> bool:
        return given is not None and secrets.compare_digest(given.encode(), self.token.encode())


class AccessMiddleware:
    """Applies `Access` to every request before any route sees it."""

    def __init__(self, app: ASGIApp, access: Access) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        refusal = self.refusal(request)
        if refusal is not None:
            await refusal(scope, receive, send)
            return

        async def with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                present = {name.lower() for name, _ in headers}
                for name, value in SECURITY_HEADERS.items():
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode()))
            await send(message)

        await self.app(scope, receive, with_headers)

    def refusal(self, request: Request) -> Response | None:
        access = self.access
        if not access.allows_host_header(request.headers.get("host", "")):
            return _said(403, "This review answers only to 127.0.0.1 or localhost.")
        if access.token_required:
            given = request.query_params.get("token")
            if given is not None:
                if not access.token_matches(given):
                    return _said(403, "This review link's token is wrong; ask for the link again.")
                # the cookie from now on; the address without the token (history, screenshots)
                if request.method in SAFE_METHODS:
                    query = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
                    url = URL(str(request.url)).replace(query=urlencode(query))
                    response: Response = RedirectResponse(url.path + (f"?{url.query}" if url.query else ""),
                                                          status_code=303)
                    response.set_cookie(access.cookie, access.token, httponly=True,
                                        samesite="strict", path="/")
                    return response
            elif not access.token_matches(request.cookies.get(access.cookie)):
                return _said(401, "This review needs its link with the token: open the address "
                                  "shotcraft review printed (or scan its QR code).")
        if request.method not in SAFE_METHODS:
            if not access.token_matches(request.headers.get(TOKEN_HEADER)):
                return _said(403, "Changes need the review page's own token; reload the page.")
            if access.read_only:
                return _said(403, "This review link is read-only: picks, rejects and draws are "
                                  "made by the director.")
        return None


def _said(status: int, sentence: str) -> Response:
    return PlainTextResponse(sentence, status_code=status, headers=dict(SECURITY_HEADERS))
