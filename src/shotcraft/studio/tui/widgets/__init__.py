"""Custom widgets of the studio."""

from shotcraft.studio.tui.widgets.thumbnail import Thumbnail

__all__ = ["Thumbnail"]
