"""The storyboard (home): every shot of every episode in one table, with a filter bar."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Footer, Header, Input, Static

from shotcraft.studio.tui.filtering import ShotFilter
from shotcraft.studio.tui.messages import DataChanged, RenderFinished, RenderProgress, TakeRendered
from shotcraft.studio.tui.screens.base import StudioScreen
from shotcraft.studio.tui.screens.shot import ShotScreen
from shotcraft.studio.tui.screens.takes import TakesScreen
from shotcraft.studio.tui.widgets.shot_table import ShotTable

# fixed widths: measuring 1,000 rows of CJK text for auto widths costs more than the rest of opening
COLUMNS = (("Shot", 12), ("Scene", 6), ("Size", 4), ("Camera", 11), ("Dur s", 5),
           ("Characters", 16), ("Words", 44), ("Takes d/q/f", 11), ("Pick", 4), ("Top", 5),
           ("Credits", 7))


def first_words(shot: Any, limit: int = 25) -> str:
    text = " ".join(f"{d.speaker}：{d.text}" for d in shot.dialogue) or shot.action or ""
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


class BoardScreen(StudioScreen):
    BINDINGS = [
        Binding("slash", "focus_filter", "Filter"),
        Binding("enter", "open_shot", "Open shot", show=False),
        Binding("t", "takes", "Takes"),
        Binding("r", "draw", "Draw takes"),
        Binding("R", "draw_until", "Draw until good (episode)"),
        Binding("D", "draw_sequence", "Draw scene from here as one clip"),
        Binding("n", "next_unpicked", "Next unpicked"),
        Binding("s", "split", "Split"),
        Binding("m", "merge", "Merge with next"),
        Binding("i", "insert", "Insert after", show=False),
        Binding("delete", "delete", "Archive shot"),
        Binding("K", "move(-1)", "Move up", show=False),
        Binding("J", "move(1)", "Move down", show=False),
        Binding("escape", "focus_table", "Back to table", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[Any, Any]] = []  # (shot, totals) in storyboard order
        self.headings: dict[str, str] = {}
        self.fps = 30
        self.top: dict[str, float] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="/ filter: ep:1 scene:1-2 char:林晚 status:unpicked|none|failed  words…",
                    id="filter")
        yield ShotTable(id="shots", cursor_type="row", zebra_stripes=True)
        yield Static(id="detail")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#shots", DataTable)
        for label, width in COLUMNS:
            table.add_column(label, width=width)
        self.reload()
        table.focus()

    # -- data ----------------------------------------------------------------------------

    def reload(self, *, focus: str | None = None, row: int | None = None) -> None:
        """Three queries however many shots: the storyboard, totals per shot, top scores.

        The cursor lands on `focus` (a shot id), else on the shot it was on, else on the row
        it was at (`row`, or where it is): never back at the top after a shot went away."""
        project = self.app.project
        loaded = self.app.guard(lambda: (project.storyboard(), project.totals_by_shot(),
                                         project.top_scores()))
        if loaded is None:
            return
        board, totals, top = loaded
        self.fps = board.fps
        self.top = top
        self.rows = []
        self.headings = {}
        for episode in board.episodes:
            for scene in episode.scenes:
                self.headings[scene.id] = scene.heading
                for shot in scene.shots:
                    self.rows.append((shot, totals.get(shot.id)))
        self.apply_filter(focus=focus, row=row)

    def apply_filter(self, *, focus: str | None = None, row: int | None = None) -> None:
        table = self.query_one("#shots", DataTable)
        keep = self.current_shot_id()
        at = table.cursor_row if row is None else row
        shot_filter = ShotFilter.parse(self.query_one("#filter", Input).value)
        table.clear()
        rows, keys = [], []
        for shot, totals in self.rows:
            words = first_words(shot) or f"[{self.headings.get(shot.scene_id, '')}]"[:24]
            if not shot_filter.matches(shot, totals, words):
                continue
            rows.append(self._cells(shot, totals, words))
            keys.append(shot.id)
        for cells, key in zip(rows, keys, strict=True):
            # Text, not str: the table would parse every str cell as markup
            table.add_row(*(Text(cell, no_wrap=True, overflow="ellipsis") for cell in cells), key=key)
        if focus in keys:
            table.move_cursor(row=keys.index(focus), animate=False)
        elif keep in keys:
            table.move_cursor(row=keys.index(keep), animate=False)
        elif keys:  # the shot went (archived, split, merged away): stay where it was
            table.move_cursor(row=min(max(at, 0), len(keys) - 1), animate=False)
        self.show_detail()

    def _cells(self, shot: Any, totals: Any, words: str) -> tuple[str, ...]:
        """One row; text is cut to its column so the table never has to measure it."""
        takes = f"{totals.takes_done}/{totals.takes_queued}/{totals.takes_failed}" if totals else "-"
        score = self.top.get(shot.id)
        return (
            shot.id, shot.scene_id, shot.size.value, shot.camera.move.value,
            f"{shot.duration_frames / self.fps:.1f}", ",".join(shot.characters)[:8], words, takes,
            str(shot.picked_take) if shot.picked_take is not None else "·",
            f"{score:.2f}" if score is not None else "·",
            f"{totals.credits:g}" if totals and totals.credits else "·",
        )

    def current_shot_id(self) -> str | None:
        table = self.query_one("#shots", DataTable)
        if table.row_count == 0:
            return None
        try:
            return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        except Exception:  # noqa: BLE001 - a cleared table has no cell under the cursor
            return None

    def show_detail(self) -> None:
        shot_id = self.current_shot_id()
        shot = next((s for s, _ in self.rows if s.id == shot_id), None)
        detail = self.query_one("#detail", Static)
        if shot is None:
            detail.update(Text(f"{len(self.rows)} shots · none shown"))
            return
        text = " / ".join(f"{d.speaker}：{d.text}" for d in shot.dialogue) or shot.action or ""
        # Text, not markup: headings, dialogue and prompts are the script's words
        detail.update(Text.assemble(
            (shot.id, "bold"), f" {self.headings.get(shot.scene_id, '')} · {shot.kind.value}"
            f" · {len(self.rows)} shots\n{text}\n", (shot.prompt[:150], "dim")))

    # -- events --------------------------------------------------------------------------

    @on(DataTable.RowHighlighted, "#shots")
    def _highlighted(self) -> None:
        self.show_detail()

    @on(DataTable.RowSelected, "#shots")
    def _selected(self) -> None:
        self.action_open_shot()

    @on(Input.Changed, "#filter")
    def _filter_changed(self) -> None:
        self.apply_filter()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.action_focus_table()

    @on(DataChanged)
    def _data_changed(self) -> None:
        self.reload()

    @on(RenderProgress)
    def _progress(self, message: RenderProgress) -> None:
        e = message.event
        if e.shot_id:
            self.sub_title = (f"drawing {e.shot_id} take {e.take} {e.fraction:.0%}"
                              f" · {e.finished}/{e.total} finished")

    @on(TakeRendered)
    def _take(self, message: TakeRendered) -> None:
        e = message.event
        self.sub_title = f"{e.shot_id} take {e.take} {e.kind} · {e.finished}/{e.total} finished"

    @on(RenderFinished)
    def _finished(self) -> None:
        self.sub_title = ""

    # -- actions -------------------------------------------------------------------------

    def action_focus_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_focus_table(self) -> None:
        self.query_one("#shots", DataTable).focus()

    def action_open_shot(self) -> None:
        shot_id = self.current_shot_id()
        if shot_id:
            self.app.push_screen(ShotScreen(shot_id))

    def action_takes(self) -> None:
        shot_id = self.current_shot_id()
        if shot_id:
            self.app.push_screen(TakesScreen(shot_id))

    def action_draw(self) -> None:
        shot_id = self.current_shot_id()
        if shot_id:
            self.app.draw_takes([shot_id], None)

    def action_draw_sequence(self) -> None:
        shot_id = self.current_shot_id()
        if shot_id:
            self.app.draw_sequence(shot_id)

    def action_draw_until(self) -> None:
        shot_id = self.current_shot_id()
        shot = next((s for s, _ in self.rows if s.id == shot_id), None)
        if shot is not None:
            self.app.draw_until(None, episode=shot.episode)

    def action_next_unpicked(self) -> None:
        table = self.query_one("#shots", DataTable)
        shown = [table.coordinate_to_cell_key(Coordinate(i, 0)).row_key.value for i in range(table.row_count)]
        unpicked = {s.id for s, _ in self.rows if s.picked_take is None}
        start = table.cursor_row
        for offset in range(1, len(shown) + 1):
            index = (start + offset) % len(shown)
            if shown[index] in unpicked:
                table.move_cursor(row=index)
                return
        self.notify("Every shot shown has a pick.")

    def _edit(self, call: Any, *args: Any, message: str, lands_on: Any) -> None:
        """A structural edit of the shot under the cursor; afterwards the cursor is on the row
        the edit leaves in its place (`lands_on(result)`: a shot id, or None for the row the
        shot was at), so the next key acts on the shot the director sees."""
        shot_id = self.current_shot_id()
        if shot_id is None:
            return
        row = self.query_one("#shots", DataTable).cursor_row

        def done(result: Any) -> None:
            self.notify(message.format(shot=shot_id), markup=False)
            self.reload(focus=lands_on(result), row=row)

        self.app.write(call, shot_id, *args, done=done)

    def action_split(self) -> None:
        self._edit(self.app.project.split_shot, message="Split {shot} in two.",
                   lands_on=lambda parts: parts[0].id)

    def action_merge(self) -> None:
        self._edit(self.app.project.merge_with_next, message="Merged {shot} with the next shot.",
                   lands_on=lambda merged: merged.id)

    def action_insert(self) -> None:
        self._edit(self.app.project.insert_shot_after, message="Inserted a shot after {shot}.",
                   lands_on=lambda inserted: inserted.id)

    def action_delete(self) -> None:
        # the next shot moves up into the archived one's row
        self._edit(self.app.project.delete_shot, message="Archived {shot}.",
                   lands_on=lambda _none: None)

    def action_move(self, step: int) -> None:
        self._edit(self.app.project.move_shot, step, message="Moved {shot}.",
                   lands_on=lambda moved: moved.id)
