"""The studio: a Textual app over one project folder (`shotcraft board DIR`).

The app owns the project, the render and export workers and the change poller; screens only
show and edit what the Project facade returns. Workers post messages; the app relays them to
the screen on top, whose @on handlers update widgets.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.exc import OperationalError
from textual import on, work
from textual.app import App
from textual.binding import Binding

from shotcraft.projects import Project
from shotcraft.shots.errors import ShotcraftError, user_error
from shotcraft.shots.models import TakeKind
from shotcraft.studio.tui.commands import StudioCommands
from shotcraft.studio.tui.messages import (
    DataChanged,
    ExportFinished,
    ExportProgress,
    RenderFinished,
    RenderProgress,
    TakeRendered,
)

T = TypeVar("T")
POLL_SECONDS = 1.0


class ShotcraftApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "shotcraft"
    COMMANDS = App.COMMANDS | {StudioCommands}
    BINDINGS = [
        Binding("question_mark", "help", "Help"),
        Binding("g", "show('board')", "Storyboard"),
        Binding("c", "show('characters')", "Characters"),
        Binding("u", "show('queue')", "Render queue"),
        Binding("x", "show('export')", "Export"),
        Binding("S", "show('stats')", "Statistics"),
        Binding("e", "show_error", "Last error"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, project: Project) -> None:
        super().__init__()
        self.project = project
        self.render_cancel: threading.Event | None = None
        self.export_cancel: threading.Event | None = None
        self.last_render_event: Any = None
        self.last_error: ShotcraftError | None = None
        self._data_version: int | None = None

    def on_mount(self) -> None:
        from shotcraft.studio.tui.screens.board import BoardScreen

        self.sub_title = f"{self.project.title} — {self.project.root}"
        self.push_screen(BoardScreen())
        if self.project.upgrade is not None:
            self.notify(self.project.upgrade.sentence(), title="Project upgraded", markup=False)
        if self.project.read_only:
            self.notify(f"{self.project.root} is read-only: everything can be looked at, nothing "
                        "can be changed.", title="Read-only", markup=False)
        self.poll()  # the baseline: what the storyboard was loaded from
        self.set_interval(POLL_SECONDS, self.poll)

    # -- guarded calls -------------------------------------------------------------------

    def guard(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """Run a facade call; whatever it raises becomes an error notification (`e` for more)."""
        try:
            return call(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the studio stays up; a bug is shown as one
            self.show_error(self.as_error(exc))
        return None

    def as_error(self, exc: BaseException) -> ShotcraftError:
        """The error a director reads for `exc`; a bug is said to be one, its traceback kept."""
        error = user_error(exc, project=self.project.root)
        if error is None:
            error = ShotcraftError(
                f"shotcraft hit a bug: {exc or type(exc).__name__}. Press e, then c to copy the "
                "details for a report.", title="Unexpected error")
            error.__cause__ = exc
        return error

    def show_error(self, error: ShotcraftError, *, title: str | None = None) -> None:
        """Notify with the error's title and sentence (never a class name); `e` shows it all."""
        self.last_error = error
        # markup off: a sentence may quote a script line with "[" in it
        self.notify(f"{error.message}\n(e: details and copy)", title=title or error.title,
                    severity="error", markup=False)

    def action_show_error(self) -> None:
        """Show the last error in full, with a key to copy it."""
        from shotcraft.studio.tui.screens.error import ErrorScreen

        if self.last_error is None:
            self.notify("No error so far.", markup=False)
        elif not isinstance(self.screen, ErrorScreen):
            self.push_screen(ErrorScreen(self.last_error))

    def poll(self) -> None:
        """Reload the screen when another process (or a worker) committed to the project."""
        try:
            version = self.project.data_version()
        except OperationalError:
            return  # locked for a moment: ask again next second
        if self._data_version is not None and version != self._data_version:
            self.screen.post_message(DataChanged())
        self._data_version = version

    # -- navigation ----------------------------------------------------------------------

    def action_show(self, name: str) -> None:
        """Go to a top-level screen: storyboard, characters, render queue, export or stats."""
        from shotcraft.studio.tui.screens import SCREENS

        if type(self.screen) is SCREENS[name]:
            return
        while len(self.screen_stack) > 2:  # the default screen, then the storyboard
            self.pop_screen()
        if name != "board":
            self.push_screen(SCREENS[name]())

    def action_help(self) -> None:
        from shotcraft.studio.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    # -- rendering -----------------------------------------------------------------------

    @property
    def rendering(self) -> bool:
        return any(w.group == "render" and w.is_running for w in self.workers)

    def draw_takes(self, shot_ids: list[str] | None, takes: int | None,
                   *, episode: int | None = None, kind: TakeKind = TakeKind.VIDEO) -> bool:
        """Start a card draw in the background; False (and a notification) while one runs."""
        if self.rendering:
            self.notify("Takes are already rendering; wait for them or stop them in the queue (u).",
                        severity="warning", markup=False)
            return False
        # the estimate before the draw: the plan `render --dry-run` prints (a refusal shows here)
        plan = self.guard(self.project.plan_render, shot_ids=shot_ids, episode=episode,
                          takes=takes, kind=kind)
        if plan is None:
            return False
        what = ", ".join(shot_ids) if shot_ids else f"episode {episode}"

        def start(confirmed: bool | None = True) -> None:
            if not confirmed:
                self.notify("Nothing drawn, nothing spent.", markup=False)
                return
            self.render_cancel = threading.Event()
            cost = ("no credits" if not plan.credits
                    else f"an estimated {plan.credits:g} credits")
            self.notify(f"Drawing {plan.takes} takes for {what} on {plan.engine}: {cost}.",
                        markup=False)
            self._render(shot_ids, takes, episode, kind, self.render_cancel)

        if plan.credits and plan.takes:
            # a paid draw waits for the director to see the estimate and say yes
            from shotcraft.studio.tui.screens.spend import SpendScreen

            self.push_screen(SpendScreen(plan, what), start)
        else:
            start()
        return True

    def draw_lipsync(self, shot_id: str, from_take: int | None) -> bool:
        """Lip-sync a video take of a shot on Kling in the background, after its estimate was
        confirmed; False (and one sentence) when it cannot be drawn or a render runs."""
        if self.rendering:
            self.notify("Takes are already rendering; wait for them or stop them in the queue (u).",
                        severity="warning", markup=False)
            return False
        source = self.guard(self.project.lipsync_source, shot_id, from_take=from_take)
        if source is None:
            return False
        summary = self.guard(self.project.render_lipsync, shot_id, source=source, dry_run=True)
        if summary is None or summary.plan is None:
            return False
        plan = summary.plan
        numbers = plan.shots[0].take_numbers if plan.shots else []
        what = f"{shot_id} (lip-sync)"

        def start(confirmed: bool | None = True) -> None:
            if not confirmed:
                self.notify("Nothing drawn, nothing spent.", markup=False)
                return
            self.render_cancel = threading.Event()
            cost = "no credits" if not plan.credits else f"an estimated {plan.credits:g} credits"
            take = f" as take {numbers[0]}" if numbers else ""
            self.notify(f"Lip-syncing {shot_id}{take} on kling: {cost}.", markup=False)
            self._render_lipsync(shot_id, source, self.render_cancel)

        if plan.credits:
            from shotcraft.studio.tui.screens.spend import SpendScreen

            self.push_screen(SpendScreen(plan, what), start)
        else:
            start()
        return True

    @work(thread=True, exclusive=True, group="render", exit_on_error=False)
    def _render_lipsync(self, shot_id: str, source: dict[str, Any],
                        cancel: threading.Event) -> None:
        self._drawing(lambda on_event: self.project.render_lipsync(
            shot_id, source=source, on_event=on_event, cancel=cancel))

    def draw_until(self, shot_ids: list[str] | None, *, episode: int | None = None) -> bool:
        """Ask for the score and the cap, then draw each shot (or every unpicked shot of the
        episode) until a take is good, in the background; False while a render runs."""
        from shotcraft.studio.tui.screens.until import UntilScreen

        if self.rendering:
            self.notify("Takes are already rendering; wait for them or stop them in the queue (u).",
                        severity="warning", markup=False)
            return False
        what = ", ".join(shot_ids) if shot_ids else f"every unpicked shot of episode {episode}"

        def chosen(values: tuple[float, int] | None) -> None:
            if values is None:
                self.notify("Nothing drawn, nothing spent.", markup=False)
                return
            until, max_takes = values
            # the most it may draw and spend: what a paid engine's estimate shows
            plan = self.guard(self.project.plan_until, shot_ids=shot_ids, episode=episode,
                              until=until, max_takes=max_takes)
            if plan is None:
                return

            def start(confirmed: bool | None = True) -> None:
                if not confirmed:
                    self.notify("Nothing drawn, nothing spent.", markup=False)
                    return
                self.render_cancel = threading.Event()
                cost = "" if not plan.credits else f", at most {plan.credits:g} credits"
                self.notify(f"Drawing {what} until a take scores {until:g}: at most {plan.takes} "
                            f"takes on {plan.engine}{cost}.", markup=False)
                self._render_until(shot_ids, episode, until, max_takes, self.render_cancel)

            if plan.credits and plan.takes:
                from shotcraft.studio.tui.screens.spend import SpendScreen

                self.push_screen(SpendScreen(plan, what, at_most=True), start)
            else:
                start()

        self.push_screen(UntilScreen(what), chosen)
        return True

    def stop_render(self) -> None:
        if self.render_cancel is not None and self.rendering:
            self.render_cancel.set()
            self.notify("Stopping after the take that is rendering now.")

    @work(thread=True, exclusive=True, group="render", exit_on_error=False)
    def _render(self, shot_ids: list[str] | None, takes: int | None, episode: int | None,
                kind: TakeKind, cancel: threading.Event) -> None:
        self._drawing(lambda on_event: self.project.render(
            shot_ids=shot_ids, episode=episode, takes=takes, kind=kind, on_event=on_event,
            cancel=cancel))

    def _drawing(self, draw: Callable[[Callable[[Any], None]], Any], *,
                 quiet: tuple[str, ...] = ()) -> None:
        """Run `draw(on_event)` in this render worker: its takes and progress are posted as
        they come (all but the `quiet` kinds of event), then its summary or its error."""
        def on_event(event: Any) -> None:
            if event.kind in ("done", "failed"):
                self.post_message(TakeRendered(event))
            elif event.kind not in quiet:
                self.post_message(RenderProgress(event))

        try:
            summary = draw(on_event)
        except Exception as exc:  # noqa: BLE001 - a worker's failure is shown, never lost
            self.post_message(RenderFinished(error=self.as_error(exc)))
        else:
            self.post_message(RenderFinished(summary=summary))

    @work(thread=True, exclusive=True, group="render", exit_on_error=False)
    def _render_until(self, shot_ids: list[str] | None, episode: int | None, until: float,
                      max_takes: int, cancel: threading.Event) -> None:
        # "stopped" is said all together when the draw ends
        self._drawing(lambda on_event: self.project.render_until(
            shot_ids=shot_ids, episode=episode, until=until, max_takes=max_takes,
            on_event=on_event, cancel=cancel), quiet=("stopped",))

    @on(RenderProgress)
    def _relay_progress(self, message: RenderProgress) -> None:
        if message.event.kind == "warning":
            self.notify(str(message.event.message), title="Render", severity="warning", markup=False)
            return
        self.last_render_event = message.event
        self.screen.post_message(RenderProgress(message.event))

    @on(TakeRendered)
    def _relay_take(self, message: TakeRendered) -> None:
        event = message.event
        self.last_render_event = event
        if event.kind == "failed":
            self.notify(f"{event.shot_id} take {event.take} failed: {event.message}",
                        severity="warning", markup=False)
        self.screen.post_message(TakeRendered(event))
        self.screen.post_message(DataChanged())

    @on(RenderFinished)
    def _render_finished(self, message: RenderFinished) -> None:
        self.last_render_event = None
        if message.error:
            self.show_error(message.error, title=f"Render stopped: {message.error.title}")
        else:
            s = message.summary
            state = "stopped" if s.cancelled else "finished"
            self.notify(f"Card draw {state}: {s.done} done, {s.failed} failed in {s.seconds:.1f} s.",
                        markup=False)
            for note in s.budget_notes:
                self.notify(note, title="Budget", severity="warning", markup=False)
            stops = getattr(s, "shots", None)  # draw until good: why each shot stopped
            if stops:
                self.notify(_until_report(stops, s.until), title="Draw until good", timeout=30,
                            markup=False)
            elif stops is not None:
                self.notify("Every shot has a pick; nothing to draw.", markup=False)
        self.screen.post_message(RenderFinished(message.summary, message.error))
        self.screen.post_message(DataChanged())

    # -- export --------------------------------------------------------------------------

    def export_episode(self, episode: int, options: Any, out: Path | None = None) -> bool:
        if any(w.group == "export" and w.is_running for w in self.workers):
            self.notify("An export is already running.", severity="warning")
            return False
        self.export_cancel = threading.Event()
        self._export(episode, options, out, self.export_cancel)
        return True

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def _export(self, episode: int, options: Any, out: Path | None,
                cancel: threading.Event) -> None:
        def progress(stage: str, fraction: float) -> None:
            self.post_message(ExportProgress(stage, fraction))

        try:
            result = self.project.export(episode, options, out=out, progress=progress,
                                         cancel=cancel)
        except Exception as exc:  # noqa: BLE001 - a worker's failure is shown, never lost
            self.post_message(ExportFinished(error=self.as_error(exc)))
        else:
            self.post_message(ExportFinished(result=result))

    @on(ExportProgress)
    def _relay_export_progress(self, message: ExportProgress) -> None:
        self.screen.post_message(ExportProgress(message.stage, message.fraction))

    @on(ExportFinished)
    def _relay_export_finished(self, message: ExportFinished) -> None:
        if message.error:
            self.show_error(message.error, title=f"Export failed: {message.error.title}")
        else:
            result = message.result
            written = result.output or next(
                (paths[0] for paths in result.files.values() if paths), None)
            self.notify(f"Exported {written.name if written else 'nothing'}.", markup=False)
            for warning in message.result.warnings:
                self.notify(warning, title="Subtitles", severity="warning", markup=False)
        self.screen.post_message(ExportFinished(message.result, message.error))


def _until_report(stops: list[Any], until: float, *, lines: int = 8) -> str:
    """Why each shot stopped; over a few shots, the tally and the shots still short of good."""
    if len(stops) <= lines:
        return "\n".join(stop.sentence for stop in stops)
    short = [stop for stop in stops if stop.stopped_by not in ("score", "already_good")]
    report = [f"{len(stops) - len(short)} of {len(stops)} shots have a take scoring at least "
              f"{until:g}."]
    report += [stop.sentence for stop in short[:lines]]
    if len(short) > lines:
        report.append(f"…and {len(short) - lines} more short of it.")
    return "\n".join(report)


def make_app(project_dir: str | Path) -> ShotcraftApp:
    """The studio on the project in `project_dir` (ProjectError if it is not one)."""
    return ShotcraftApp(Project.open(project_dir))
