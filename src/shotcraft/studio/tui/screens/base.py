"""The base of the studio's screens: `self.app` typed as the studio app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.screen import Screen

if TYPE_CHECKING:
    from shotcraft.studio.tui.app import ShotcraftApp


class StudioScreen(Screen[None]):
    if TYPE_CHECKING:
        app: ShotcraftApp  # type: ignore[assignment]
