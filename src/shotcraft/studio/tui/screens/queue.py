"""The render queue: running and queued takes, cancel and retry, spend against budgets."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Label, ProgressBar, Static

from shotcraft.studio.tui.messages import DataChanged, RenderFinished, RenderProgress, TakeRendered
from shotcraft.studio.tui.screens.base import StudioScreen


def _limit(value: float, limit: float | None, unit: str = "") -> str:
    return f"{value:g}{unit}" + (f" / {limit:g}{unit}" if limit is not None else "")


class QueueScreen(StudioScreen):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("delete", "cancel_shot", "Cancel shot's queued"),
        Binding("K", "cancel_all", "Cancel all queued"),
        Binding("s", "stop", "Stop running render"),
        Binding("r", "retry_shot", "Retry shot's failed"),
        Binding("R", "retry_all", "Retry all failed"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.jobs: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label("Now rendering", id="now")
        yield ProgressBar(total=1.0, show_eta=False, id="take-progress")
        yield DataTable(id="jobs", cursor_type="row")
        yield Static(id="totals")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "render queue"
        self.query_one("#jobs", DataTable).add_columns(
            "Job", "Shot", "Take", "State", "Engine", "Seed", "Kind", "Tries", "Error")
        self.reload()
        self._show_event(self.app.last_render_event)
        self.query_one("#jobs", DataTable).focus()

    def reload(self) -> None:
        project = self.app.project
        jobs = self.app.guard(project.jobs)
        if jobs is None:
            return
        self.jobs = jobs
        table = self.query_one("#jobs", DataTable)
        keep = table.cursor_row
        table.clear()
        for job in jobs:
            cells = (str(job["job"]), job["shot_id"], str(job["take"]), job["state"],
                     job["engine"], str(job["seed"]), job["kind"], str(job["attempts"]),
                     (job["error"] or "")[:40])
            # Text, not str: an error may quote a script line with "[" in it
            table.add_row(*(Text(str(cell)) for cell in cells), key=str(job["job"]))
        if jobs:
            table.move_cursor(row=min(keep, len(jobs) - 1), animate=False)
        self.show_totals()

    def show_totals(self) -> None:
        project = self.app.project
        lines = [Text.assemble(("Spend per episode", "bold"),
                               " (takes done/queued/failed · compute seconds · credits)")]
        for episode in self.app.guard(project.episodes) or []:
            totals = project.totals(episode=episode)
            budget = project.episode_budget(episode)
            lines.append(Text(
                f"episode {episode}: {totals.takes_done}/{totals.takes_queued}/{totals.takes_failed}"
                f" · {_limit(round(totals.seconds, 1), budget.max_seconds if budget else None, ' s')}"
                f" · {_limit(round(totals.credits, 2), budget.max_credits if budget else None)}"))
        shot_id = self.current_shot()
        if shot_id:
            totals = project.totals(shot_id=shot_id)
            shot = self.app.guard(project.shot, shot_id)
            budget = shot.budget if shot else None
            lines.append(Text.assemble(
                (shot_id, "bold"),
                f": {totals.takes_done}/{totals.takes_queued}/{totals.takes_failed}"
                f" · {_limit(round(totals.seconds, 1), budget.max_seconds if budget else None, ' s')}"
                f" · {_limit(round(totals.credits, 2), budget.max_credits if budget else None)}"))
        self.query_one("#totals", Static).update(Text("\n").join(lines))

    def current_shot(self) -> str | None:
        table = self.query_one("#jobs", DataTable)
        if not self.jobs or table.cursor_row >= len(self.jobs):
            return None
        return self.jobs[table.cursor_row]["shot_id"]

    def _show_event(self, event: Any) -> None:
        label = self.query_one("#now", Label)
        bar = self.query_one("#take-progress", ProgressBar)
        if event is None or not event.shot_id:
            label.update(Text("Nothing rendering in this studio."))
            bar.update(progress=0)
            return
        label.update(Text(f"{event.shot_id} take {event.take}: {event.kind} {event.message}"
                          f" · {event.finished}/{event.total} finished"))
        bar.update(progress=event.fraction if event.kind != "done" else 1.0)

    @on(RenderProgress)
    @on(TakeRendered)
    def _progress(self, message: RenderProgress | TakeRendered) -> None:
        self._show_event(message.event)

    @on(RenderFinished)
    def _finished(self) -> None:
        self._show_event(None)

    @on(DataChanged)
    def _data_changed(self) -> None:
        self.reload()

    @on(DataTable.RowHighlighted, "#jobs")
    def _highlighted(self) -> None:
        self.show_totals()

    def _count(self, call: Any, what: str, then: Any = None, **kwargs: Any) -> None:
        def done(count: int) -> None:
            self.notify(f"{what}: {count} takes.", markup=False)
            if self.is_mounted:
                self.reload()
            if then is not None and count:
                then()

        self.app.write(call, done=done, **kwargs)

    def _retry(self, shot_id: str | None, what: str) -> None:
        """Queue the failed (or cancelled) takes again and draw them, on the engine they were
        queued for, under their own numbers and seeds; no new takes are planned."""
        engines = [job["engine"] for job in self.jobs if job["state"] in ("failed", "cancelled")
                   and shot_id in (None, job["shot_id"])]
        if not engines:
            self.notify("No failed takes to draw again here.", markup=False)
            return
        engine = max(set(engines), key=engines.count)
        others = sorted(set(engines) - {engine})

        def draw() -> None:
            self.app.draw_takes([shot_id] if shot_id else None, None, engine=engine)
            if others:
                self.notify(f"The takes queued for {', '.join(others)} wait for a draw there.",
                            markup=False)

        self._count(self.app.project.retry_failed, what, draw, shot_id=shot_id)

    def action_cancel_shot(self) -> None:
        if shot_id := self.current_shot():
            self._count(self.app.project.cancel_queued, f"Cancelled queued for {shot_id}", shot_id=shot_id)

    def action_cancel_all(self) -> None:
        self._count(self.app.project.cancel_queued, "Cancelled every queued take")

    def action_stop(self) -> None:
        self.app.stop_render()

    def action_retry_shot(self) -> None:
        if shot_id := self.current_shot():
            self._retry(shot_id, f"Queued again for {shot_id}")

    def action_retry_all(self) -> None:
        self._retry(None, "Queued every failed take again")

    def action_back(self) -> None:
        self.app.pop_screen()
