"""A question answered before something is thrown away: Enter (or `y`) does it, Esc keeps all."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("enter,y", "yes", "Yes"),
        Binding("escape,n,q", "no", "No"),
    ]

    def __init__(self, question: str, detail: str = "") -> None:
        super().__init__()
        self.question, self.detail = question, detail

    def compose(self) -> ComposeResult:
        # Text, not markup: the question names files and characters from the project
        lines = [Text(self.question, style="bold")]
        if self.detail:
            lines.append(Text(self.detail))
        lines.append(Text("Enter confirms · Esc keeps it", style="italic"))
        with Vertical(id="confirm"):
            yield Static(Text("\n").join(lines), id="confirm-text")

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)
