"""Draw until good: the score to reach and the most takes a shot may hold, asked before the
draw (Enter on either field draws, Esc cancels)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from shotcraft.projects.limits import check_max_takes, check_until
from shotcraft.shots.errors import SpecError

DEFAULT_SCORE = "0.8"
DEFAULT_MAX_TAKES = "8"


class UntilScreen(ModalScreen[tuple[float, int] | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what

    def compose(self) -> ComposeResult:
        with Vertical(id="until"):
            # Text: shot ids are data, never markup
            yield Static(Text(f"Draw until good: {self.what}", style="bold"))
            with Horizontal(classes="row"):
                yield Label("until a take scores at least")
                yield Input(DEFAULT_SCORE, id="until-score")
            with Horizontal(classes="row"):
                yield Label("or the shot has this many takes")
                yield Input(DEFAULT_MAX_TAKES, id="until-max", type="integer")
            yield Static(id="until-error")
            yield Static(Text("Enter draws · Esc cancels", style="italic"))

    def on_mount(self) -> None:
        self.query_one("#until-score", Input).focus()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        score_text = self.query_one("#until-score", Input).value.strip()
        max_text = self.query_one("#until-max", Input).value.strip()
        try:
            try:
                score = float(score_text)
            except ValueError:
                raise SpecError(f"the score must be a number from 0 to 1, not {score_text!r}.",
                                field="until") from None
            check_until(score)
            max_takes = int(max_text) if max_text.lstrip("-").isdigit() else 0
            check_max_takes(max_takes)
        except SpecError as exc:
            self.query_one("#until-error", Static).update(Text(exc.message, style="red"))
            return
        self.dismiss((score, max_takes))

    def action_cancel(self) -> None:
        self.dismiss(None)
