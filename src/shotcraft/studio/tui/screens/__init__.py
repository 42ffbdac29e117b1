"""The studio's screens, by the name the app's navigation keys use."""

from shotcraft.studio.tui.screens.board import BoardScreen
from shotcraft.studio.tui.screens.characters import CharactersScreen
from shotcraft.studio.tui.screens.export import ExportScreen
from shotcraft.studio.tui.screens.queue import QueueScreen
from shotcraft.studio.tui.screens.stats import StatsScreen

SCREENS = {
    "board": BoardScreen,
    "characters": CharactersScreen,
    "queue": QueueScreen,
    "export": ExportScreen,
    "stats": StatsScreen,
}

__all__ = ["SCREENS", "BoardScreen", "CharactersScreen", "ExportScreen", "QueueScreen", "StatsScreen"]
