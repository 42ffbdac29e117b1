"""Custom widgets of the studio."""

from shotcraft.studio.tui.widgets.filmstrip import Filmstrip
from shotcraft.studio.tui.widgets.thumbnail import Thumbnail

__all__ = ["Filmstrip", "Thumbnail"]
