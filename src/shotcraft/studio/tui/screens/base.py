"""The base of the studio's screens: `self.app` typed as the studio that hosts them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import App
from textual.screen import Screen

from shotcraft.studio.tui.host import StudioHost

if TYPE_CHECKING:
    class _Studio(App[None], StudioHost):  # the app as a screen sees it: Textual's and ours
        ...


class StudioScreen(Screen[None]):
    if TYPE_CHECKING:
        app: _Studio  # type: ignore[assignment]
