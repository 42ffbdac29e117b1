"""`S`: the producer's numbers — draws, rejects and spend per picked shot and per finished
minute, the ranker's agreement, what is still unpicked — for the project and each episode."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Header, Static

from shotcraft.studio.tui.messages import DataChanged
from shotcraft.studio.tui.screens.base import StudioScreen
from shotcraft.studio.views import stats_lines


class StatsReady(Message, bubble=False):
    """The numbers, counted in a worker (the ranker's fit can take a moment on a big project)."""

    def __init__(self, sections: list[Any] | None, error: Any = None) -> None:
        super().__init__()
        self.sections = sections
        self.error = error


class StatsScreen(StudioScreen):
    BINDINGS = [Binding("escape", "back", "Back")]

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="stats-scroll"):
            yield Static(Text("counting…"), id="stats")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "statistics"
        self.reload()

    def reload(self) -> None:
        self._count()

    @work(thread=True, exclusive=True, group="stats", exit_on_error=False)
    def _count(self) -> None:
        project = self.app.project
        try:
            sections = [project.stats()]
            episodes = project.episodes()
            if len(episodes) > 1:
                sections += [project.stats(episode=number) for number in episodes]
        except Exception as exc:  # noqa: BLE001 - shown as an error, never lost
            self.post_message(StatsReady(None, self.app.as_error(exc)))
        else:
            self.post_message(StatsReady(sections))

    @on(StatsReady)
    def _ready(self, message: StatsReady) -> None:
        if message.error is not None:
            self.app.show_error(message.error)
            return
        blocks = []
        for stats in message.sections or []:
            lines = stats_lines(stats)
            lines[0].stylize("bold")
            blocks.append(Text("\n").join(lines))
        # Text throughout: shot ids and reasons are data, never markup
        self.query_one("#stats", Static).update(Text("\n\n").join(blocks))

    @on(DataChanged)
    def _data_changed(self) -> None:
        self.reload()

    def action_back(self) -> None:
        self.app.pop_screen()
