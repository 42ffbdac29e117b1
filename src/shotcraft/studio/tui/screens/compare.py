"""Two takes of a shot side by side: both filmstrips, every metric with the difference B − A."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Header, Label

from shotcraft.studio.tui.screens.base import StudioScreen
from shotcraft.studio.tui.widgets import Filmstrip

SAME = 0.005  # differences under this read as equal (scores are shown to two decimals)


def difference(a: float | None, b: float | None, *, higher_is_better: bool = True,
               digits: int = 2) -> Text:
    """B − A, green where B is better, red where worse, dim where they are the same."""
    if a is None or b is None:
        return Text("·", style="dim")
    delta = b - a
    if abs(delta) < SAME:
        return Text(f"{0:.{digits}f}", style="dim")
    better = delta > 0 if higher_is_better else delta < 0
    return Text(f"{delta:+.{digits}f}", style="green" if better else "red")


def _number(value: float | None, digits: int = 2) -> Text:
    return Text("·" if value is None else f"{value:.{digits}f}")


def _plain(value: object) -> str:
    return str(getattr(value, "value", value))  # an enum (a reject reason) by its value


class CompareScreen(StudioScreen):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        # capitals: on the takes screen a/b mark and 1-7 reject, so a pick is never a slip
        Binding("A", "pick('a')", "Pick A"),
        Binding("B", "pick('b')", "Pick B"),
        Binding("s", "swap", "Swap A/B"),
    ]

    def __init__(self, shot_id: str, a: int, b: int) -> None:
        super().__init__()
        self.shot_id, self.a, self.b = shot_id, a, b
        self.views: dict[int, Any] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="compare-strips"):
            for side in ("a", "b"):
                with Vertical(classes="compare-side"):
                    yield Label(id=f"title-{side}")
                    yield Filmstrip(id=f"strip-{side}")
        yield DataTable(id="compare-metrics", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#compare-metrics", DataTable)
        table.add_columns("", "A", "B", "B − A")
        self.reload()
        table.focus()

    def reload(self) -> None:
        views = self.app.guard(self.app.project.takes, self.shot_id)
        if views is None:
            return
        self.views = {v.take.number: v for v in views}
        missing = [n for n in (self.a, self.b) if n not in self.views]
        if missing:
            self.notify(f"{self.shot_id} has no take {missing[0]}.", severity="error", markup=False)
            return
        self.sub_title = f"{self.shot_id}: take {self.a} (A) against take {self.b} (B)"
        for side, number in (("a", self.a), ("b", self.b)):
            view = self.views[number]
            self.query_one(f"#title-{side}", Label).update(self._title(side, view))
            self.query_one(f"#strip-{side}", Filmstrip).show(self.app.project, view.take)
        self._fill_table(self.views[self.a], self.views[self.b])

    def _title(self, side: str, view: Any) -> Text:
        take = view.take
        title = Text.assemble((f"{side.upper()} · take {take.number}", "bold"),
                              f"  rank {view.rank or '·'} · {take.status.value}")
        if view.picked:
            title.append("  ★ picked", style="yellow")
        return title

    def _fill_table(self, a: Any, b: Any) -> None:
        table = self.query_one("#compare-metrics", DataTable)
        table.clear()
        ta, tb = a.take, b.take
        # identity first, as on the takes screen: whether these are the bible's people
        metrics = sorted(set(ta.scores) | set(tb.scores), key=lambda m: (m != "identity", m))
        for metric in metrics:
            va, vb = ta.scores.get(metric), tb.scores.get(metric)
            table.add_row(Text(metric, style="bold"), _number(va), _number(vb),
                          difference(va, vb), key=metric)
        table.add_row(Text("total", style="bold reverse"), _number(ta.score), _number(tb.score),
                      difference(ta.score, tb.score), key="total")
        table.add_row(Text("rank"), Text(str(a.rank or "·")), Text(str(b.rank or "·")),
                      difference(a.rank, b.rank, higher_is_better=False, digits=0), key="rank")
        table.add_row(Text("seconds"), _number(ta.cost_seconds, 1), _number(tb.cost_seconds, 1),
                      difference(ta.cost_seconds, tb.cost_seconds, higher_is_better=False,
                                 digits=1), key="seconds")
        if ta.cost_credits is not None or tb.cost_credits is not None:
            table.add_row(Text("credits"), _number(ta.cost_credits, 1),
                          _number(tb.cost_credits, 1),
                          difference(ta.cost_credits, tb.cost_credits, higher_is_better=False,
                                     digits=1), key="credits")
        for name, left, right in (
            ("seed", ta.seed, tb.seed), ("engine", ta.engine, tb.engine),
            ("rejected for", ta.reject_reason, tb.reject_reason),
            ("reason", ta.reason, tb.reason),
        ):
            if name in ("reason", "rejected for") and not (left or right):
                continue
            # Text, not str: an engine's reason may quote "[/]"
            table.add_row(Text(name), Text("·" if left is None else _plain(left)),
                          Text("·" if right is None else _plain(right)), Text(""), key=name)

    def action_back(self) -> None:
        self.dismiss(None)

    def action_swap(self) -> None:
        self.a, self.b = self.b, self.a
        self.reload()

    def action_pick(self, side: str) -> None:
        number = self.a if side == "a" else self.b
        def picked(_take: Any) -> None:
            self.notify(f"Picked take {number} ({side.upper()}) of {self.shot_id}.", markup=False)
            if self.is_mounted:
                self.reload()

        self.app.write(self.app.project.pick, self.shot_id, number, done=picked)
