"""`e`: the last error in full — title, sentence, what ffmpeg said, traceback — with `c` to copy it."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from shotcraft.shots.errors import ShotcraftError, details


class ErrorScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("c", "copy", "Copy the full text"),
        Binding("escape,e,q", "close", "Close", show=False),
    ]

    def __init__(self, error: ShotcraftError) -> None:
        super().__init__()
        self.error = error
        self.full_text = details(error)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="error"):
            # Text, not markup: messages quote script lines and ffmpeg output verbatim
            yield Static(Text(self.error.title, style="bold"), id="error-title")
            yield Static(Text(self.error.message), id="error-message")
            rest = self.full_text.partition("\n\n")[2]
            if rest:
                yield Static(Text(rest, style="dim"), id="error-details")
            yield Static(Text("c copies the full text · Esc closes", style="italic"), id="error-keys")

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.full_text)
        self.notify("Copied the full error text.", markup=False)

    def action_close(self) -> None:
        self.dismiss()
