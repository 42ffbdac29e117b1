"""Kling's answers: the `{code, message, data}` envelope and what its error codes mean.

From Kling's "General Information" error table: 1000-1004 authentication, 1100-1103 account
(1102: the resource pack is used up; 1103: no access to the resource), 1200-1203 bad requests
(1203: no such resource), 1300-1304 policy and limits (1302 too fast, 1303 over the
package's parallel tasks), 5000-5002 on Kling's side.
"""

from __future__ import annotations

import json
from typing import Any

from shotcraft.providers.kling.settings import REGION_HOSTS, REGION_NAMES, KlingSettings

AUTH_CODES = frozenset({1000, 1001, 1002, 1003, 1004})
BALANCE_CODES = frozenset({1100, 1101, 1102})  # account exception / in arrears / pack used up
RATE_CODES = frozenset({1302, 1303})  # requests too fast / over the package's parallel tasks
NOT_FOUND_CODES = frozenset({1203})  # requested resource does not exist


def parse(response: Any) -> tuple[int, str, dict[str, Any]]:
    """Kling's envelope {code, message, data} of an httpx response; a non-JSON answer reads as
    code -1."""
    try:
        payload = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        return -1, f"non-JSON answer (HTTP {response.status_code})", {}
    if not isinstance(payload, dict):
        return -1, "unexpected answer", {}
    code = payload.get("code")
    data = payload.get("data")
    return (int(code) if isinstance(code, int) else -1, str(payload.get("message") or ""),
            data if isinstance(data, dict) else {})


def refuses_keys(status: int, code: int) -> bool:
    """Kling's answer says the keys themselves were refused (auth codes, or an account the
    keys cannot use): nothing else sent with them will do better."""
    return status in (401, 403) or code in AUTH_CODES or code == 1103


def retryable(status: int, code: int) -> bool:
    """Worth asking again after a wait: rate limits and Kling's own failures."""
    return status == 429 or code in RATE_CODES or status >= 500


def region_refusal(s: KlingSettings, status: int, code: int) -> str:
    """One sentence for a key the host refused: which region's host, and that keys are per region."""
    host = REGION_HOSTS[s.region].removeprefix("https://")
    where = f"the {REGION_NAMES[s.region]} host ({host})"
    if s.base_url.rstrip("/") != REGION_HOSTS[s.region]:
        where += f" at {s.base_url}"
    other = "global" if s.region == "china" else "china"
    return (f"The Kling key was refused by {where} (HTTP {status}, code {code}); keys are per "
            f"region: set SHOTCRAFT_KLING_REGION={other} or use a {REGION_NAMES[s.region]} key in "
            "SHOTCRAFT_KLING_ACCESS_KEY and SHOTCRAFT_KLING_SECRET_KEY.")

