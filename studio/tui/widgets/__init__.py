"""Custom widgets of the studio."""

from studio.tui.widgets.thumbnail import Thumbnail

__all__ = ["Thumbnail"]
