"""The estimate before a paid draw: what a card draw on a cloud engine will cost, confirmed with
Enter (or `y`), dropped with Esc — so credits are never spent by a stray key."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class SpendScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("enter,y", "draw", "Draw"),
        Binding("escape,n,q", "cancel", "Cancel"),
    ]

    def __init__(self, plan: Any, what: str, *, at_most: bool = False) -> None:
        super().__init__()
        self.plan, self.what = plan, what
        self.at_most = at_most  # draw until good: the plan is the most it may draw

    def compose(self) -> ComposeResult:
        plan = self.plan
        up_to = "up to " if self.at_most else ""
        lines = [Text(f"Draw {up_to}{plan.takes} takes for {self.what} on {plan.engine}?",
                      style="bold")]
        for shot in plan.shots:
            if shot.takes:
                each = "" if shot.credits_per_take is None else f", {shot.credits_per_take:g} each"
                lines.append(Text(f"  {shot.shot_id}: {shot.takes} takes{each}"))
        at_most = "at most " if self.at_most else ""
        lines.append(Text(f"Estimated cost: {at_most}{plan.credits:g} credits.", style="bold"))
        for note in plan.notes:
            lines.append(Text(note, style="yellow"))
        lines.append(Text("Enter draws · Esc cancels", style="italic"))
        with Vertical(id="spend"):
            yield Static(Text("\n").join(lines), id="spend-text")

    def action_draw(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
