"""Leftovers of runs that died (kill -9, a full disk, a crash), removed by the next command.

The rules are conservative: nothing a live process may still want is touched.

- `work/<pid>-<job>/` (a render's engine output): removed once `<pid>` is no live process on
  this machine; a folder without a pid in its name, once untouched for an hour.
- `work/leases/*.lock` (a render's lease): removed once no process holds its lock.
- Temp files and folders in `cache/`, `exports/`, `media/takes/*/`, `media/frames/`, `script/`:
  only names of the one temp shape (`.NAME.<pid>-<8 hex>.partial[.EXT]`, shots.files) or of the
  exact shapes older releases wrote (`shots.files.temp_writer`); a user's `cut.partial.mp4` or
  `draft.partial.txt` is never one. Removed when the writer pid in the name is dead; with a
  live pid, once untouched for an hour (the pid was reused) unless this process has it in
  flight; with no pid in the name (older releases), once untouched for ten minutes (a folder:
  an hour).
- Orphaned media (`media/takes/<aa>/<sha256>.<ext>` named by no take row): removed once
  untouched for an hour, since a live render stores a file a moment before it registers it.

At every open, `sweep_temps(layout)` looks at the small folders only (`work/`, `cache/`,
`exports/`, `script/`: about 0.1 ms); `sweep` adds `media/` (its temps and the orphan scan, one
query; tens of ms for thousands of takes) and runs at the start of render and export. Neither ever fails a command: a
leftover that cannot be removed (read-only folder) stays for a later run.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

from pydantic import BaseModel
from sqlmodel import select

from shotcraft.projects.db import TakeRow
from shotcraft.projects.leases import LEASES, sweep_leases
from shotcraft.projects.paths import Layout
from shotcraft.projects.store import Store
from shotcraft.shots.files import in_flight, temp_writer

TEMP_STALE_SECONDS = 10 * 60
LIVE_STALE_SECONDS = 60 * 60
ORPHAN_STALE_SECONDS = 60 * 60

_WORK_PID = re.compile(r"^(\d+)-")


class Swept(BaseModel):
    """What a sweep removed, by kind (project-relative paths)."""

    work: list[str] = []
    temps: list[str] = []
    orphans: list[str] = []

    @property
    def total(self) -> int:
        return len(self.work) + len(self.temps) + len(self.orphans)


def sweep(store: Store) -> Swept:
    """Remove dead runs' work folders, temp files and orphaned media (see the module rules)."""
    swept = sweep_temps(store.layout, media=True)
    swept.orphans = _sweep_orphans(store)
    return swept


def sweep_temps(layout: Layout, *, media: bool = False) -> Swept:
    """Remove dead runs' work folders and temp files; without `media`, cheap enough for every
    open (media/ can hold thousands of files)."""
    now = time.time()
    swept = Swept()
    for name in sweep_leases(layout):
        swept.work.append(f"work/{LEASES}/{name}")
    for entry in _entries(layout.work):
        if entry.name == LEASES:
            continue  # lock files of live renders; the dead ones' went just above
        match = _WORK_PID.match(entry.name)
        if match:
            pid = int(match.group(1))
            gone = pid != os.getpid() and not _alive(pid)
        else:
            gone = now - _touched(entry) > LIVE_STALE_SECONDS
        if gone and _remove(entry):
            swept.work.append(layout.relative(Path(entry.path)))
    folders = [layout.cache, layout.exports, layout.script]
    if media:
        folders.append(layout.frames)
        folders += [Path(e.path) for e in _entries(layout.takes) if e.is_dir(follow_symlinks=False)]
    for folder in folders:
        for entry in _entries(folder):
            if _is_temp(entry) and _stale_temp(entry, now) and _remove(entry):
                swept.temps.append(layout.relative(Path(entry.path)))
    return swept


def _sweep_orphans(store: Store) -> list[str]:
    layout = store.layout
    now = time.time()
    candidates = [
        entry for sub in _entries(layout.takes) if sub.is_dir(follow_symlinks=False)
        for entry in _entries(Path(sub.path))
        if not entry.name.startswith(".") and entry.is_file(follow_symlinks=False)
        and now - _touched(entry) > ORPHAN_STALE_SECONDS
    ]
    if not candidates:
        return []
    with store.db.read() as session:
        named = {path for path in session.exec(select(TakeRow.media_path)).all() if path}
    removed = []
    for entry in candidates:
        relative = layout.relative(Path(entry.path))
        if relative not in named and _remove(entry):
            removed.append(relative)
    return removed


def _is_temp(entry: os.DirEntry[str]) -> bool:
    # the one temp shape (or an older release's), never a substring of a name: a user's
    # "cut.partial.mp4" is theirs
    return temp_writer(entry.name) is not None and not in_flight(entry.path)


def _stale_temp(entry: os.DirEntry[str], now: float) -> bool:
    age = now - _touched(entry)
    pid = temp_writer(entry.name)
    if not pid or pid > _pid_max():  # a folder (an export's work list) may sit quiet a while
        return age > (LIVE_STALE_SECONDS if entry.is_dir(follow_symlinks=False) else TEMP_STALE_SECONDS)
    if pid == os.getpid() or _alive(pid):
        return age > LIVE_STALE_SECONDS
    return True


def _pid_max() -> int:
    try:
        return int(Path("/proc/sys/kernel/pid_max").read_text())
    except (OSError, ValueError):
        return 4_194_304  # Linux's upper bound


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's process, or cannot tell: keep
    return True


def _touched(entry: os.DirEntry[str]) -> float:
    """The newest mtime of an entry and, for a folder, of what is directly in it."""
    try:
        newest = entry.stat(follow_symlinks=False).st_mtime
        if entry.is_dir(follow_symlinks=False):
            for child in os.scandir(entry.path):
                newest = max(newest, child.stat(follow_symlinks=False).st_mtime)
    except OSError:
        return time.time()  # vanished or unreadable while looking: not stale
    return newest


def _entries(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as found:
            return list(found)
    except OSError:
        return []


def _remove(entry: os.DirEntry[str]) -> bool:
    try:
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path)
        else:
            os.unlink(entry.path)
    except FileNotFoundError:
        return False  # its writer finished (renamed it) or another sweep got there first
    except OSError:
        return False  # read-only or denied: left for a later run
    return True
