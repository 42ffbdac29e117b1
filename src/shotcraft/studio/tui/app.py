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
from shotcraft.projects.draw import Draw
from shotcraft.projects.draw.plan import RenderPlan
from shotcraft.projects.draw.sequence import SequencePlan
from shotcraft.shots.errors import DatabaseBusyError, ShotcraftError, user_error
from shotcraft.shots.models import TakeKind
from shotcraft.shots.redact import clean, install_log_redaction, install_warning_sentences
from shotcraft.studio.tui.commands import StudioCommands
from shotcraft.studio.tui.messages import (
    DataChanged,
    ExportFinished,
    ExportProgress,
    RenderFinished,
    RenderProgress,
    TakeRendered,
)
from shotcraft.studio.tui.screens import SCREENS
from shotcraft.studio.tui.screens.board import BoardScreen
from shotcraft.studio.tui.screens.error import ErrorScreen
from shotcraft.studio.tui.screens.help import HelpScreen
from shotcraft.studio.tui.screens.spend import SpendScreen
from shotcraft.studio.tui.screens.until import DEFAULT_UNTIL, UntilScreen

T = TypeVar("T")
POLL_SECONDS = 1.0
# how long a write waits for a project another process holds before it goes to a worker
WRITE_AT_ONCE_SECONDS = 0.2
BUSY_NOTE = ("Waiting for the project: another shotcraft is writing to it. Keep working; the "
             "change is saved as soon as it is free.")


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
        self._write_lock = threading.Lock()  # writes waiting for a busy project, in turn
        self._writes_waiting = 0

    def on_mount(self) -> None:
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

    def write(self, call: Callable[..., T], *args: Any,
              done: Callable[[T], None] | None = None, **kwargs: Any) -> bool:
        """Run a facade call that writes, then `done(result)` on the interface's thread.

        A free project is written at once. When another process holds it, the studio never
        freezes: the write goes to a worker that waits for the project ("Waiting for the
        project…") while keys are answered, and `done` follows when it is saved. Returns False
        when the call failed (its error is shown), True when it ran or is waiting."""
        if self._writes_waiting:  # after a write still waiting, never before it
            self._write_later(call, args, kwargs, done)
            return True
        try:
            with self.project.db.wait_at_most(WRITE_AT_ONCE_SECONDS):
                result = call(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the studio stays up; a bug is shown as one
            error = self.as_error(exc)
            if not isinstance(error, DatabaseBusyError):
                self.show_error(error)
                return False
            self.notify(BUSY_NOTE, title="Project busy", severity="warning", markup=False)
            self._write_later(call, args, kwargs, done)
            return True
        if done is not None:
            done(result)
        return True

    def _write_later(self, call: Callable[..., Any], args: tuple[Any, ...],
                     kwargs: dict[str, Any], done: Callable[[Any], None] | None) -> None:
        self._writes_waiting += 1
        self._waiting_write(call, args, kwargs, done)

    @work(thread=True, group="write", exit_on_error=False)
    def _waiting_write(self, call: Callable[..., Any], args: tuple[Any, ...],
                       kwargs: dict[str, Any], done: Callable[[Any], None] | None) -> None:
        try:
            with self._write_lock:
                result = call(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - shown, never lost
            self.call_from_thread(self._written, None, None, self.as_error(exc))
        else:
            self.call_from_thread(self._written, done, result, None)

    def _written(self, done: Callable[[Any], None] | None, result: Any,
                 error: ShotcraftError | None) -> None:
        self._writes_waiting -= 1
        if error is not None:
            self.show_error(error)
            return
        self.notify("The project is free again; the change is saved.", markup=False)
        if done is not None:
            done(result)
        self.screen.post_message(DataChanged())

    def say_warning(self, sentence: str) -> None:
        """A library's warning as a notification (from any thread), never text on the screen."""
        try:
            if threading.get_ident() == self._thread_id:
                self.notify(sentence, title="Warning", severity="warning", markup=False)
            else:
                self.call_from_thread(self.notify, sentence, title="Warning", severity="warning",
                                      markup=False)
        except RuntimeError:  # the studio is not running (yet, or any more)
            return

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
        # markup off: a sentence may quote a script line with "[" in it; cleaned: it may quote
        # a provider (escapes, an echoed key)
        self.notify(f"{clean(error.message)}\n(e: details and copy)", title=title or error.title,
                    severity="error", markup=False)

    def action_show_error(self) -> None:
        """Show the last error in full, with a key to copy it."""
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
        if type(self.screen) is SCREENS[name]:
            return
        while len(self.screen_stack) > 2:  # the default screen, then the storyboard
            self.pop_screen()
        if name != "board":
            self.push_screen(SCREENS[name]())

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    # -- rendering -----------------------------------------------------------------------

    @property
    def rendering(self) -> bool:
        return any(w.group == "render" and w.is_running for w in self.workers)

    def draw_takes(self, shot_ids: list[str] | None, takes: int | None,
                   *, episode: int | None = None, kind: TakeKind = TakeKind.VIDEO,
                   engine: str | None = None) -> bool:
        """Draw takes of these shots (or the episode's) in the background, after the estimate
        of a paid draw was confirmed; False while one runs.

        `takes=None` draws what is queued for `engine` (e.g. takes queued again after they
        failed) and, with nothing queued, fills each shot up to its takes wanted."""
        what = (", ".join(shot_ids) if shot_ids else f"episode {episode}" if episode is not None
                else "every shot")
        return self.guarded_draw(
            lambda: Draw(what="keyframes" if kind is TakeKind.KEYFRAME else "shots",
                         shots=shot_ids or [], episode=episode, takes=takes, engine=engine),
            what)

    def draw_sequence(self, shot_id: str) -> bool:
        """Draw the shot and the ones after it in its scene (as many as one clip holds) as one
        multi-shot task on the default engine, after its estimate; False while a render runs."""
        return self.guarded_draw(lambda: Draw(what="sequence", sequence=f"{shot_id}.."),
                                 f"{shot_id} and the shots after it (one clip)")

    def draw_lipsync(self, shot_id: str, from_take: int | None) -> bool:
        """Lip-sync a video take of a shot, on an engine that can, after its estimate was
        confirmed; False (and one sentence) when it cannot be drawn or a render runs."""
        return self.guarded_draw(
            lambda: Draw(what="lipsync", shots=[shot_id], from_take=from_take),
            f"{shot_id} (lip-sync)")

    def draw_until(self, shot_ids: list[str] | None, *, episode: int | None = None) -> bool:
        """Ask for the score and the cap, then draw each shot (or every unpicked shot of the
        episode) until a take is good, in the background; False while a render runs."""
        if self._busy():
            return False
        what = ", ".join(shot_ids) if shot_ids else f"every unpicked shot of episode {episode}"

        def chosen(draw: Draw | None) -> None:
            if draw is None:
                self.notify("Nothing drawn, nothing spent.", markup=False)
                return
            self.start_draw(draw, what)

        self.push_screen(UntilScreen(what, Draw(what="until", shots=shot_ids or [],
                                                episode=episode, until=DEFAULT_UNTIL)), chosen)
        return True

    def guarded_draw(self, make: Callable[[], Draw], what: str) -> bool:
        """`start_draw` of the request `make` builds; a request that refuses itself is shown."""
        if self._busy():
            return False
        draw = self.guard(make)
        return draw is not None and self.start_draw(draw, what)

    def _busy(self) -> bool:
        if self.rendering:
            self.notify("Takes are already rendering; wait for them or stop them in the queue (u).",
                        severity="warning", markup=False)
        return self.rendering

    def start_draw(self, draw: Draw, what: str) -> bool:
        """Plan `draw` (a refusal shows here), let the director confirm a paid one with its
        estimate, then draw it in the background: the plan → confirm → draw the command line
        does, over the same `Project.plan` and `Project.draw`. False when nothing starts."""
        if self._busy():
            return False
        plan = self.guard(self.project.plan, draw)
        if plan is None:
            return False
        for note in plan.skipped:
            self.notify(note, title="Skipped", severity="warning", markup=False)
        if draw.what == "lipsync" and not plan.shots:
            return False
        if isinstance(plan, SequencePlan):
            # the shots the estimate named, not an open range read again when the draw starts
            first, last = plan.shot_ids[0], plan.shot_ids[-1]
            draw = draw.model_copy(update={"sequence": f"{first}..{last}"})
            what = f"{first}..{last} (one clip)"

        def start(confirmed: bool | None = True) -> None:
            if not confirmed:
                self.notify("Nothing drawn, nothing spent.", markup=False)
                return
            self.render_cancel = threading.Event()
            self.notify(_drawing_sentence(draw, plan, what), markup=False)
            self._draw(draw, self.render_cancel)

        if plan.credits and (plan.takes or plan.resumed):
            # a paid draw waits for the director to see the estimate and say yes
            self.push_screen(SpendScreen(plan, what, at_most=draw.what == "until"), start)
        else:
            start()
        return True

    def stop_render(self) -> None:
        if self.render_cancel is not None and self.rendering:
            self.render_cancel.set()
            self.notify("Stopping after the take that is rendering now.")

    @work(thread=True, exclusive=True, group="render", exit_on_error=False)
    def _draw(self, draw: Draw, cancel: threading.Event) -> None:
        """Run the draw in this render worker: its takes and progress are posted as they come
        (draw-until's "stopped" events are said all together when it ends), then its summary
        or its error."""
        quiet = ("stopped",) if draw.what == "until" else ()

        def on_event(event: Any) -> None:
            if event.kind in ("done", "failed"):
                self.post_message(TakeRendered(event))
            elif event.kind not in quiet:
                self.post_message(RenderProgress(event))

        try:
            summary = self.project.draw(draw, on_event=on_event, cancel=cancel)
        except Exception as exc:  # noqa: BLE001 - a worker's failure is shown, never lost
            self.post_message(RenderFinished(error=self.as_error(exc)))
        else:
            self.post_message(RenderFinished(summary=summary))

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
            if getattr(s, "message", ""):  # a sequence's clip kept whole: why
                self.notify(s.message, title="Sequence", severity="warning", timeout=30,
                            markup=False)
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


def _drawing_sentence(draw: Draw, plan: RenderPlan, what: str) -> str:
    """What the studio says as a draw starts: what, how many, on what, for how much."""
    if draw.what == "until":
        cost = "" if not plan.credits else f", at most {plan.credits:g} credits"
        return (f"Drawing {what} until a take scores {draw.until:g}: at most {plan.takes} takes "
                f"on {plan.engine}{cost}.")
    cost = "no credits" if not plan.credits else f"an estimated {plan.credits:g} credits"
    if draw.what == "lipsync":
        numbers = plan.shots[0].take_numbers if plan.shots else []
        take = f" as take {numbers[0]}" if numbers else ""
        return f"Lip-syncing {', '.join(draw.shots)}{take} on {plan.engine}: {cost}."
    if draw.what == "sequence":
        return f"Drawing {what} on {plan.engine}: {cost}."
    count = (f"{plan.resumed} queued takes" if plan.resumed and not plan.takes
             else f"{plan.takes} takes")
    return f"Drawing {count} for {what} on {plan.engine}: {cost}."


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
    install_log_redaction()
    app = ShotcraftApp(Project.open(project_dir))
    # a library's warning is a notification in the studio, never text over its screen
    install_warning_sentences(app.say_warning)
    return app
