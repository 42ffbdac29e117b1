"""`?`: every key of the app and of the screen it was opened from."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from shotcraft.studio.tui.commands import key_label, key_map


def key_table(screen: Screen, app: object) -> str:
    lines = [f"[b]{type(screen).__name__.removesuffix('Screen') or 'Screen'} keys[/b]"]
    lines += [f"  {key_label(b.key):<10} {b.description}" for b in key_map(screen)]
    lines.append("\n[b]Everywhere[/b]")
    lines += [f"  {key_label(b.key):<10} {b.description}" for b in key_map(app)]
    lines.append(f"  {'Ctrl+P':<10} Command palette (every action by name)")
    lines.append("\nEsc or ? closes this help.")
    return "\n".join(lines)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "close", "Close", show=False)]

    def __init__(self, under: Screen) -> None:
        super().__init__()
        self.under = under

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(key_table(self.under, self.app), id="help-text")

    def action_close(self) -> None:
        self.dismiss()
