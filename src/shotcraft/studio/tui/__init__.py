"""The studio: a Textual TUI over one project (`shotcraft board DIR`)."""

from shotcraft.studio.tui.app import ShotcraftApp, make_app

__all__ = ["ShotcraftApp", "make_app"]
