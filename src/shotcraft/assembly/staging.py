"""All or nothing: an export's files are written out of sight and moved into place together.

One export writes the MP4 and every side file (SRT, OTIO, FCPXML, EDL, the 剪映 draft, the
sheet, the dialogue WAVs) into a staging folder beside where each will go — a hidden
`.NAME.staging-<pid>-<n>` folder in the same directory, so moving it in is a rename — and only
when every one of them is written and checked does `commit` move them into place: each file
or folder the export replaces is first moved aside, and if any move fails, everything moved is
put back. A failure anywhere before that leaves the previous set exactly as it was, and the
staging folders are removed (a killed export's are removed by the next export of the same file
under its lock, or by the next export staging into that folder once the pid is dead).

A side file that names another file (an FCPXML's media URL, a 剪映 draft's material path, an
OTIO's relative URL) must name it where it will be: `final_path(path)` maps a staged path to its
final place (any other path to itself), and `staged_folder(folder)` gives the staging folder
for files that go into `folder` (a 剪映 drafts folder outside the export's own).
"""

from __future__ import annotations

import contextvars
import itertools
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from shotcraft.shots.files import current_umask

_active: contextvars.ContextVar[Staging | None] = contextvars.ContextVar("staging", default=None)
_counter = itertools.count()
ASIDE = ".replaced"  # inside a staging folder: what the commit moved out of the way


class Staging:
    """The staging folders of one export, keyed by the folder their files go to."""

    def __init__(self, name: str) -> None:
        self.name = name  # the episode output's file name: staging folders are named after it
        self.folders: dict[Path, Path] = {}  # final folder → its staging folder

    def folder(self, final_folder: Path) -> Path:
        """The staging folder for files going into `final_folder` (made on first use)."""
        final_folder = Path(final_folder).absolute()
        if final_folder not in self.folders:
            final_folder.mkdir(parents=True, exist_ok=True)
            _remove_dead(final_folder, self.name)
            staged = final_folder / (f".{self.name}.staging-{os.getpid()}-"
                                     f"{int(time.time() * 1000)}{next(_counter)}")
            staged.mkdir()
            os.chmod(staged, 0o777 & ~current_umask())
            self.folders[final_folder] = staged
        return self.folders[final_folder]

    def path(self, final: Path) -> Path:
        """Where the file that ends up at `final` is written now."""
        final = Path(final).absolute()
        return self.folder(final.parent) / final.name

    def final(self, path: Path) -> Path:
        """Where a staged `path` will be once committed (any other path as it is)."""
        path = Path(path).absolute()
        for final_folder, staged in self.folders.items():
            if path == staged or staged in path.parents:
                return final_folder / path.relative_to(staged)
        return path

    def commit(self) -> list[Path]:
        """Move every staged entry into place; on any failure put back what was moved (and
        what it replaced) and raise. Returns the final paths, in the order moved."""
        moved: list[tuple[Path, Path, Path | None]] = []  # (final, staged, replaced-aside)
        try:
            for final_folder, staged in self.folders.items():
                aside = staged / ASIDE
                for entry in sorted(p for p in staged.iterdir() if p.name != ASIDE):
                    final = final_folder / entry.name
                    replaced = None
                    if final.exists() or final.is_symlink():
                        aside.mkdir(exist_ok=True)
                        replaced = aside / entry.name
                        os.replace(final, replaced)
                    try:
                        os.replace(entry, final)
                    except BaseException:
                        if replaced is not None:
                            os.replace(replaced, final)
                        raise
                    moved.append((final, entry, replaced))
        except BaseException:
            for final, entry, replaced in reversed(moved):
                os.replace(final, entry)
                if replaced is not None:
                    os.replace(replaced, final)
            raise
        finally:
            self.discard()
        return [final for final, _, _ in moved]

    def discard(self) -> None:
        """Remove the staging folders and whatever is still in them."""
        for staged in self.folders.values():
            shutil.rmtree(staged, ignore_errors=True)
        self.folders.clear()


@contextmanager
def staging(name: str) -> Iterator[Staging]:
    """An export's staging, active for `final_path`/`staged_folder` inside the block; on an
    exception its folders are removed (nothing was committed)."""
    stage = Staging(name)
    token = _active.set(stage)
    try:
        yield stage
    except BaseException:
        stage.discard()
        raise
    finally:
        _active.reset(token)


def final_path(path: Path) -> Path:
    """Where `path` will be when the export in progress commits (itself outside one)."""
    stage = _active.get()
    return stage.final(path) if stage is not None else Path(path)


def staged_folder(folder: Path) -> Path:
    """Where files bound for `folder` are written in the export in progress (`folder` itself
    outside one)."""
    stage = _active.get()
    return stage.folder(folder) if stage is not None else Path(folder)


def remove_stale_staging(out_path: Path) -> int:
    """Staging folders a killed export of `out_path` left beside it; only safe under the lock
    every export of `out_path` takes (no live export then). Returns how many were removed."""
    out_path = Path(out_path)
    removed = 0
    for leftover in out_path.parent.glob(f".{out_path.name}.staging-*"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
            removed += 1
    return removed


def _remove_dead(folder: Path, name: str) -> None:
    """Staging folders of `name` in `folder` whose export's process is gone."""
    for leftover in folder.glob(f".{name}.staging-*"):
        pid = leftover.name.rsplit(".staging-", 1)[1].split("-", 1)[0]
        if leftover.is_dir() and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(leftover, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
