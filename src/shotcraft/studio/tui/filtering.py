"""The storyboard filter bar: `ep:1 scene:1-2 char:林晚 status:unpicked words`.

Status is one of: unpicked, picked, none (no takes), queued, failed, done.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ShotFilter:
    episode: int | None = None
    scene: str | None = None
    character: str | None = None
    status: str | None = None
    words: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str) -> ShotFilter:
        """Read the filter bar; an unknown `key:` is treated as plain words."""
        result = cls()
        for token in text.split():
            key, sep, value = token.partition(":")
            key = key.lower()
            if sep and value and key in ("ep", "e", "episode") and value.isdigit():
                result.episode = int(value)
            elif sep and value and key in ("scene", "sc"):
                result.scene = value
            elif sep and value and key in ("char", "c", "character"):
                result.character = value
            elif sep and value and key in ("status", "s"):
                result.status = value.lower()
            else:
                result.words.append(token.lower())
        return result

    def matches(self, shot: Any, totals: Any, text: str) -> bool:
        """Whether a shot (with its take totals and its row text) passes the filter."""
        if self.episode is not None and shot.episode != self.episode:
            return False
        if self.scene is not None and shot.scene_id != self.scene:
            return False
        if self.character is not None and not any(self.character in c for c in shot.characters):
            return False
        if self.status is not None and not _status_matches(self.status, shot, totals):
            return False
        haystack = f"{shot.id} {text} {' '.join(shot.characters)}".lower()
        return all(word in haystack for word in self.words)


def _status_matches(status: str, shot: Any, totals: Any) -> bool:
    done = totals.takes_done if totals else 0
    checks = {
        "unpicked": shot.picked_take is None,
        "picked": shot.picked_take is not None,
        "none": totals is None or (done + totals.takes_queued + totals.takes_failed) == 0,
        "queued": bool(totals and totals.takes_queued),
        "failed": bool(totals and totals.takes_failed),
        "done": done > 0,
    }
    return checks.get(status, True)
