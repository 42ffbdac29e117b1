"""The project folder layout, the rule that no path from a script or project escapes it, and
the one guard every written path passes (`check_output`)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from shotcraft.shots.errors import ProjectError, SpecError

DB_NAME = "shotcraft.db"
FOLDERS = ("script", "refs", "media/takes", "media/frames", "cache", "exports", "work")
# what shotcraft keeps and a command's output must never land on: the database (and its
# -wal, -shm, -journal and backups), the takes and frames, references, scripts, the cache
MANAGED = ("media", "refs", "script", "cache", "work")
_MANAGED_WORDS = {
    "media": "the project's takes and frames (media/)",
    "refs": "the characters' reference images (refs/)",
    "script": "the kept copies of the script (script/)",
    "cache": "the project's cache (cache/)",
    "work": "the project's work folder (work/)",
}


def project_of(path: Path) -> Path | None:
    """The project folder `path` lies in (the nearest folder above it with a shotcraft.db)."""
    for folder in Path(path).parents:
        if (folder / DB_NAME).is_file():
            return folder
    return None


def check_output(path: Path, *, what: str, inputs: Iterable[tuple[str, Path]] = (),
                 folder: bool = False) -> Path:
    """The guard every path a command writes passes: refused in one sentence when it resolves
    (symlinks followed) into any project's database files, media/, refs/, script/, cache/ or
    work/, onto one of the command's own `inputs` ((what, path) pairs), or onto a folder where
    a file is written (`folder`: a folder is written, and an existing file there is refused).
    `what` names the path as the user gave it ("-o ep.srt"). Returns the resolved path."""
    resolved = Path(os.path.realpath(Path(path).expanduser()))
    root = project_of(resolved)
    if root is not None:
        relative = resolved.relative_to(root)
        if relative.parts and relative.parts[0].startswith(DB_NAME):
            raise SpecError(f"{what} would write over the project database {root / DB_NAME} "
                            "(every take and pick); pick a place under exports/ or outside the "
                            "project.")
        if relative.parts and relative.parts[0] in MANAGED:
            raise SpecError(f"{what} would write into {_MANAGED_WORDS[relative.parts[0]]} of "
                            f"{root}, which shotcraft manages; pick a place under exports/ or "
                            "outside the project.")
    elif resolved.name.startswith(DB_NAME):
        raise SpecError(f"{what} would write over a shotcraft database ({resolved}); name "
                        "another file.")
    for name, given in inputs:
        if Path(os.path.realpath(Path(given).expanduser())) == resolved:
            raise SpecError(f"{what} is also {name}, which this command reads; write the "
                            "output under another name.")
    if folder and resolved.exists() and not resolved.is_dir():
        raise SpecError(f"{what} is a file ({resolved}), not a folder.")
    if not folder and resolved.is_dir():
        raise SpecError(f"{what} is a folder ({resolved}); name a file.")
    return resolved


class Layout:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    @property
    def db(self) -> Path:
        return self.root / DB_NAME

    @property
    def script(self) -> Path:
        return self.root / "script"

    @property
    def refs(self) -> Path:
        return self.root / "refs"

    @property
    def takes(self) -> Path:
        return self.root / "media" / "takes"

    @property
    def frames(self) -> Path:
        return self.root / "media" / "frames"

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    @property
    def work(self) -> Path:
        return self.root / "work"

    def make(self) -> None:
        for folder in FOLDERS:
            (self.root / folder).mkdir(parents=True, exist_ok=True)

    def resolve(self, relative: str | Path, *, what: str = "path") -> Path:
        """An absolute path for a project-relative one; refuses anything outside the folder."""
        candidate = Path(relative)
        full = (candidate if candidate.is_absolute() else self.root / candidate).resolve()
        if full != self.root and self.root not in full.parents:
            raise ProjectError(f"{what} {relative} is outside the project folder {self.root}.")
        return full

    def relative(self, path: Path) -> str:
        full = path.resolve()
        if self.root not in full.parents:
            raise ProjectError(f"{path} is outside the project folder {self.root}.")
        return full.relative_to(self.root).as_posix()
