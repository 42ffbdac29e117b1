"""Text from outside is data: a provider's error, a player's complaint, a library's log line.

`clean(text)` is what every such text goes through before it is printed, stored (a take's
reason, a job's error) or logged: terminal escape sequences and control characters removed
(an ANSI colour or cursor move from a provider never reaches the terminal), white space made
single spaces, and secrets masked — Authorization values and bearer tokens, JWTs (a Kling
token's payload holds the access key), the password of a URL (`http://user:***@proxy`), and the
values of configured keys (`SHOTCRAFT_*KEY*`, `*SECRET*`, `*TOKEN*`, `*PASSWORD*` in the
environment; `*key*`, `*secret*`, `*token*`, `*password*` in the user's config file).
`install_log_redaction()` makes every log record go through it, and
`install_warning_sentences(say)` says a library's warning as one cleaned sentence (never its
source path and line), once, and keeps numpy's arithmetic warnings (a flat or two-pixel frame
scored) to the debug log: the metrics that raise them already score such frames.
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from collections.abc import Callable
from pathlib import Path

from shotcraft.shots.settings import user_file_values

MASK = "***"

# ESC [ … final (CSI), ESC ] … BEL or ST (OSC), ESC and one more (other escapes)
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?")
# C0 and C1 controls, and the direction overrides that reorder what a line appears to say
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_AUTHORIZATION = re.compile(
    r"(?i)(\b(?:proxy-)?authorization\b[\"']?\s*[:=]\s*[\"']?)((?:bearer|basic|token)\s+)?"
    r"[^\s\"',;}]+")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_URL_PASSWORD = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*):[^/\s@]*@")
_SECRET_NAMES = re.compile(r"KEY|SECRET|TOKEN|PASSWORD|PASSWD", re.IGNORECASE)


def configured_secrets() -> list[str]:
    """The values of keys and passwords configured in the environment or in the user's config
    file (and the passwords in configured URLs), longest first so a longer secret is masked
    whole."""
    found: set[str] = set()
    # (whether its name may say it is a key, the name, the value)
    configured = [(name.startswith("SHOTCRAFT_"), name, value)
                  for name, value in os.environ.items()]
    configured += [(True, key, value) for _section, key, value in user_file_values()
                   if isinstance(value, str)]
    for ours, name, value in configured:
        if not value:
            continue
        if ours and _SECRET_NAMES.search(name) and len(value) >= 6:
            found.add(value)
        for match in re.finditer(r"://[^/\s:@]*:([^/\s@]+)@", value):
            if len(match.group(1)) >= 3:
                found.add(match.group(1))
    return sorted(found, key=len, reverse=True)


def mask_secrets(text: str) -> str:
    """`text` with every secret it holds replaced by `***`."""
    text = _URL_PASSWORD.sub(rf"\1:{MASK}@", text)
    text = _AUTHORIZATION.sub(lambda m: f"{m.group(1)}{m.group(2) or ''}{MASK}", text)
    text = _BEARER.sub(rf"\1 {MASK}", text)
    text = _JWT.sub(MASK, text)
    for secret in configured_secrets():
        text = text.replace(secret, MASK)
    return text


def clean(text: object) -> str:
    """Outside text made safe to print and store: escapes and control characters gone, one
    line, secrets masked."""
    plain = _CONTROLS.sub(" ", _ESCAPES.sub("", str(text)))
    return mask_secrets(" ".join(plain.split()))


def install_log_redaction() -> None:
    """Make every log record's message go through `clean` (once per process): a library that
    logs a URL with its password, or a header, logs it masked."""
    current = logging.getLogRecordFactory()
    if getattr(current, "shotcraft_redacts", False):
        return

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = current(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a record that cannot format stays as it is
            return record
        record.msg, record.args = clean(message), ()
        return record

    factory.shotcraft_redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def warning_sentence(message: object, category: type[Warning], filename: str) -> str | None:
    """What a director reads for a library's warning, or None for one that is ours to handle
    (numpy's arithmetic on an empty or flat frame: the metric already scores it)."""
    parts = Path(filename).parts
    if issubclass(category, RuntimeWarning) and ("numpy" in parts or "ranking" in parts):
        return None
    return clean(message)


def install_warning_sentences(say: Callable[[str], None]) -> None:
    """Show every warning through `say(sentence)`, each distinct one once, instead of Python's
    "path:line: Category: message" and the source line."""
    seen: set[str] = set()
    log = logging.getLogger("shotcraft.warnings")

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: object = None, line: str | None = None) -> None:
        sentence = warning_sentence(message, category, filename)
        if sentence is None:
            log.debug("%s (%s:%s)", message, filename, lineno)
            return
        if sentence not in seen:
            seen.add(sentence)
            say(sentence)

    warnings.showwarning = show
