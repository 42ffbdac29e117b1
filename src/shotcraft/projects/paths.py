"""The project folder layout and the rule that no path from a script or project escapes it."""

from __future__ import annotations

from pathlib import Path

from shotcraft.shots.errors import ProjectError

DB_NAME = "shotcraft.db"
FOLDERS = ("script", "refs", "media/takes", "media/frames", "cache", "exports", "work")


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
