"""Kling's API authentication: a short-lived HS256 JWT signed with the account's keys."""

from __future__ import annotations

import threading
import time

from shotcraft.providers.kling.settings import KlingSettings

try:  # the `kling` extra; without it the engine refuses to start before a token is wanted
    import jwt
except ImportError:  # pragma: no cover - exercised only on installs without the extra
    jwt = None  # type: ignore[assignment]

RESIGN_BEFORE = 300  # seconds of life left at which a cached token is signed again


class BearerToken:
    """A cached JWT for one engine, re-signed when less than five minutes of it are left."""

    def __init__(self, settings: KlingSettings) -> None:
        self.settings = settings
        self._token: tuple[str, float] | None = None
        self._lock = threading.Lock()

    def get(self) -> str:
        """The current token, signing a new one when the cached one is about to expire."""
        with self._lock:
            now = time.time()
            if self._token is None or self._token[1] - now < RESIGN_BEFORE:
                s = self.settings
                assert s.access_key is not None and s.secret_key is not None
                exp = int(now) + s.token_ttl
                payload = {"iss": s.access_key.get_secret_value(), "exp": exp, "nbf": int(now) - 5}
                token = jwt.encode(payload, s.secret_key.get_secret_value(), algorithm="HS256",
                                   headers={"alg": "HS256", "typ": "JWT"})
                self._token = (token, float(exp))
            return self._token[0]
