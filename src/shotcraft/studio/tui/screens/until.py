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

from shotcraft.projects.draw import OPTIONS, Draw
from shotcraft.projects.draw.request import DEFAULT_MAX_TAKES, DEFAULT_UNTIL
from shotcraft.shots.errors import SpecError

__all__ = ["DEFAULT_UNTIL", "UntilScreen"]


class UntilScreen(ModalScreen[Draw | None]):
    """The score and the cap of a draw-until, asked for; dismissed with the checked request
    (the draw's own check: the sentence of a value out of range shows here), or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, what: str, draw: Draw) -> None:
        super().__init__()
        self.what, self.draw = what, draw

    def compose(self) -> ComposeResult:
        until, cap = OPTIONS["until"], OPTIONS["max_takes"]
        with Vertical(id="until"):
            # Text: shot ids are data, never markup
            yield Static(Text(f"Draw until good: {self.what}", style="bold"))
            with Horizontal(classes="row"):
                yield Label(until.label, id="until-score-label")
                yield Input(f"{self.draw.until or DEFAULT_UNTIL:g}", id="until-score",
                            tooltip=until.help)
            with Horizontal(classes="row"):
                yield Label(cap.label)
                yield Input(str(self.draw.max_takes or DEFAULT_MAX_TAKES), id="until-max",
                            type="integer", tooltip=cap.help)
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
            max_takes = int(max_text) if max_text.lstrip("-").isdigit() else 0
            draw = Draw(**{**self.draw.model_dump(), "until": score, "max_takes": max_takes})
        except SpecError as exc:
            self.query_one("#until-error", Static).update(Text(exc.message, style="red"))
            return
        self.dismiss(draw)

    def action_cancel(self) -> None:
        self.dismiss(None)
