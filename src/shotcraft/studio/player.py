"""Play a take in the system's player (mpv, ffplay, or the desktop's opener), or say in one
sentence why it cannot. Used by `shotcraft play` and the studio's play key.

A player is never left behind: `play` either waits for it, or hands back a thread that waits
for it (reaping it the moment it exits).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

# (program, arguments before the file); the first found plays
PLAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("mpv", ("--really-quiet", "--keep-open=no")),
    ("ffplay", ("-autoexit", "-loglevel", "error")),
)
OPENERS = {"darwin": "open", "win32": ""}  # elsewhere: xdg-open


class CannotPlay(Exception):
    """Why a take cannot be played here, in one sentence."""


@dataclass
class Playing:
    command: list[str]
    process: subprocess.Popen[bytes]
    reaper: threading.Thread | None  # waits for the player when `play` did not

    @property
    def name(self) -> str:
        return Path(self.command[0]).name


def player_command(path: Path) -> list[str]:
    """The argument list that plays `path` here; CannotPlay saying why there is none."""
    if sys.platform.startswith("linux") and not (
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise CannotPlay(f"no display to play on (DISPLAY and WAYLAND_DISPLAY are unset); the "
                         f"take is {path}")
    for name, args in PLAYERS:
        found = shutil.which(name)
        if found:
            return [found, *args, str(path)]
    opener = shutil.which(OPENERS.get(sys.platform, "xdg-open") or "xdg-open")
    if opener:
        return [opener, str(path)]
    raise CannotPlay(f"no player found (mpv, ffplay or xdg-open); the take is {path}")


def play(path: Path, *, wait: bool) -> Playing:
    """Start the player on `path`: `wait` until it is closed, or return at once with a thread
    that reaps it when it exits. CannotPlay when there is no display, player or file."""
    if not path.is_file():
        raise CannotPlay(f"the take's file {path} is missing.")
    command = player_command(path)
    # its own session: a Ctrl-C in our terminal is ours; its output never lands in a TUI
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL,  # noqa: S603 - a list
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    if wait:
        try:
            process.wait()
        except KeyboardInterrupt:
            process.terminate()
            process.wait()
            raise
        return Playing(command, process, None)
    reaper = threading.Thread(target=process.wait, name="player-reaper", daemon=True)
    reaper.start()
    return Playing(command, process, reaper)
