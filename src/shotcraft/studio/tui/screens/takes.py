"""The card-draw table of one shot: takes ranked and explained, the highlighted take's filmstrip,
pick/reject/play/draw, and compare (mark A, move, mark B)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Header, Input, Label, Static

from shotcraft.shots.models import RejectReason, TakeKind
from shotcraft.studio.player import CannotPlay, play
from shotcraft.studio.tui.messages import DataChanged, RenderProgress
from shotcraft.studio.tui.screens.base import StudioScreen
from shotcraft.studio.tui.screens.compare import CompareScreen
from shotcraft.studio.tui.widgets import Filmstrip
from shotcraft.studio.tui.widgets.filmstrip import PREFETCH


class TakesScreen(StudioScreen):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("p", "pick", "Pick"),
        Binding("enter", "pick", "Pick", show=False),
        Binding("U", "unpick", "Unpick"),
        Binding("x", "reject", "Reject"),
        # one footer entry for the seven reason keys; help and the palette list each of them
        Binding("1", "reject('face')", "Reject: reason", key_display="1-7", id="reject-reasons-summary"),
        *(Binding(str(n), f"reject({reason.value!r})", f"Reject: {reason.value}", show=False)
          for n, reason in enumerate(RejectReason, start=1)),
        Binding("space", "play", "Play"),
        Binding("d", "draw", "Draw N more"),
        Binding("D", "draw_until", "Draw until good"),
        Binding("L", "lipsync", "Lip-sync"),
        Binding("N", "focus_count", "Set N"),
        Binding("a", "mark('a')", "Mark A"),
        Binding("b", "mark('b')", "Mark B · compare"),
    ]

    def __init__(self, shot_id: str) -> None:
        super().__init__()
        self.shot_id = shot_id
        self.views: list[Any] = []
        self.marked: dict[str, int] = {}  # "a"/"b" → take number, for compare

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            with Vertical(id="take-list"):
                yield DataTable(id="takes", cursor_type="row")
                with Horizontal(classes="row"):
                    yield Label("draw N more:")
                    yield Input("3", id="count", type="integer")
                yield Static(id="progress")
            with Vertical(id="take-side"):
                yield Filmstrip(id="filmstrip")
                yield Static(id="explain")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"takes of {self.shot_id}"
        table = self.query_one("#takes", DataTable)
        table.add_columns("#", "Rank", "Score", "Status", "Picked", "Seed", "Engine", "Secs", "Why")
        self.reload()
        table.focus()

    def reload(self) -> None:
        views = self.app.guard(self.app.project.takes, self.shot_id)
        if views is None:
            return
        self.views = sorted(views, key=lambda v: (v.rank is None, v.rank or 0, v.take.number))
        table = self.query_one("#takes", DataTable)
        keep = table.cursor_row
        table.clear()
        for view in self.views:
            take = view.take
            cells = (
                str(take.number), str(view.rank or "·"),
                f"{take.score:.2f}" if take.score is not None else "·",
                take.status.value + (f": {take.reject_reason.value}" if take.reject_reason else "")
                + (f" lip-sync of {take.parent_take}" if take.parent_take else ""),
                "★" if view.picked else "", str(take.seed if take.seed is not None else "·"),
                take.engine, f"{take.cost_seconds:.1f}", (take.reason or "")[:30],
            )
            # Text, not str: the table would parse a reason quoting "[/]" as markup
            table.add_row(*(Text(cell) for cell in cells), key=str(take.number))
        if self.views:
            table.move_cursor(row=min(keep, len(self.views) - 1), animate=False)
        self.show_take()

    def current(self) -> Any:
        table = self.query_one("#takes", DataTable)
        if not self.views or table.cursor_row >= len(self.views):
            return None
        return self.views[table.cursor_row]

    def _neighbours(self) -> list[Any]:
        """The takes around the highlight, nearest first (next before previous): the ones the
        director is about to look at."""
        row = self.query_one("#takes", DataTable).cursor_row
        order = []
        for step in range(1, PREFETCH + 1):
            order += [row + step, row - step]
        return [self.views[i].take for i in order if 0 <= i < len(self.views)]

    def show_take(self) -> None:
        view = self.current()
        strip = self.query_one("#filmstrip", Filmstrip)
        explain = self.query_one("#explain", Static)
        if view is None:
            strip.show(self.app.project, None, "no takes yet: press d to draw some")
            explain.update(Text())
            return
        take = view.take
        strip.show(self.app.project, take)
        strip.prefetch(self.app.project, self._neighbours())
        score = f"{take.score:.2f}" if take.score is not None else "·"
        lines = [Text.assemble((f"take {take.number}", "bold"),
                               f" score {score} · rank {view.rank or '·'} · {take.status.value}")]
        # identity first: the line that says whether these are the bible's people
        for metric, value in sorted(take.scores.items(), key=lambda item: (item[0] != "identity", item[0])):
            why = view.explanations.get(metric, "")
            lines.append(Text.assemble((metric, "bold"), f" {value:.2f}  {why}"))
        if "identity" not in take.scores and view.explanations.get("identity"):
            lines.append(Text.assemble(("identity", "bold"), f" ·  {view.explanations['identity']}"))
        if take.reason:
            lines.append(Text(take.reason, style="red"))
        marks = " · ".join(f"{k.upper()} = take {n}" for k, n in sorted(self.marked.items()))
        if marks:
            lines.append(Text(f"compare: {marks}", style="italic"))
        explain.update(Text("\n").join(lines))

    @on(DataTable.RowHighlighted, "#takes")
    def _highlighted(self) -> None:
        self.show_take()

    @on(DataChanged)
    def _data_changed(self) -> None:
        self.reload()

    @on(RenderProgress)
    def _progress(self, message: RenderProgress) -> None:
        e = message.event
        if e.shot_id == self.shot_id:
            self.query_one("#progress", Static).update(
                Text(f"drawing take {e.take}: {e.fraction:.0%} · {e.finished}/{e.total} finished"))

    # -- actions -------------------------------------------------------------------------

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_pick(self) -> None:
        view = self.current()
        if view is None:
            return

        def picked(_take: Any) -> None:
            self.notify(f"Picked take {view.take.number} of {self.shot_id}.", markup=False)
            if self.is_mounted:
                self.reload()

        self.app.write(self.app.project.pick, self.shot_id, view.take.number, done=picked)

    def action_unpick(self) -> None:
        self.app.write(self.app.project.unpick, self.shot_id,
                       done=lambda _none: self.reload() if self.is_mounted else None)

    def action_reject(self, reason: str | None = None) -> None:
        view = self.current()
        if view is None:
            return
        def rejected(_take: Any) -> None:
            why = f" ({reason})" if reason else ""
            self.notify(f"Rejected take {view.take.number} of {self.shot_id}{why}.", markup=False)
            if self.is_mounted:
                self.reload()

        self.app.write(self.app.project.reject, self.shot_id, view.take.number, reason,
                       done=rejected)

    def action_play(self) -> None:
        view = self.current()
        path = self.app.guard(self.app.project.take_path, view.take) if view else None
        if view is None or path is None:
            self.notify("This take has no media file to play.", severity="warning")
            return
        try:
            # the player reaps itself when it exits: nothing is left behind
            playing = play(path, wait=False)
        except CannotPlay as exc:
            self.notify(f"Cannot play take {view.take.number}: {exc}", severity="warning",
                        markup=False)
            return
        self.notify(f"Playing take {view.take.number} in {playing.name}.", markup=False)

    def action_draw_until(self) -> None:
        self.app.draw_until([self.shot_id])

    def action_lipsync(self) -> None:
        """Lip-sync the highlighted video take (a lip-sync take's own parent) on Kling."""
        view = self.current()
        take = view.take if view is not None else None
        if take is not None and take.kind is TakeKind.KEYFRAME:
            self.notify(f"Take {take.number} is a still; lip-sync needs a video take.",
                        severity="warning", markup=False)
            return
        parent = None if take is None else (take.parent_take or take.number)
        self.app.draw_lipsync(self.shot_id, parent)

    def action_mark(self, which: str) -> None:
        """Mark the highlighted take as A or B; with both marked, open them side by side."""
        view = self.current()
        if view is None:
            self.notify("No take to mark: draw some first (d).", severity="warning")
            return
        number = view.take.number
        other = "b" if which == "a" else "a"
        if self.marked.get(other) == number:
            self.notify(f"Take {number} is already {other.upper()}: move to another take to "
                        f"compare it with.", severity="warning")
            return
        self.marked[which] = number
        if "a" in self.marked and "b" in self.marked:
            # back from compare, the list shows a pick made there
            self.app.push_screen(CompareScreen(self.shot_id, self.marked["a"], self.marked["b"]),
                                 lambda _picked: self.reload())
            self.marked = {}
        else:
            self.notify(f"Take {number} is {which.upper()}; move and press {other} to compare.")
        self.show_take()

    def action_focus_count(self) -> None:
        self.query_one("#count", Input).focus()

    @on(Input.Submitted, "#count")
    def _count_submitted(self) -> None:
        self.action_draw()
        self.query_one("#takes", DataTable).focus()

    def action_draw(self) -> None:
        text = self.query_one("#count", Input).value.strip() or "3"
        count = int(text) if text.isdigit() else 0
        if count < 1:
            self.notify("N must be a whole number of takes, 1 or more.", severity="error")
            return
        self.app.draw_takes([self.shot_id], count)
