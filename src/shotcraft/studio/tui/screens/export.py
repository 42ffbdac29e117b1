"""Export an episode: options, a progress bar, the summary, and the output folder."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import (
    Button,
    Checkbox,
    Footer,
    Header,
    Input,
    Label,
    ProgressBar,
    Select,
    Static,
)

from shotcraft.assembly.episode import ExportOptions
from shotcraft.assembly.formats import formats as export_formats
from shotcraft.shots.errors import ShotcraftError, SpecError
from shotcraft.studio.options import Declared, export_declarations, export_request
from shotcraft.studio.tui.messages import ExportFinished, ExportProgress
from shotcraft.studio.tui.screens.base import StudioScreen


class ExportScreen(StudioScreen):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("ctrl+e", "export", "Export"),
        Binding("ctrl+x", "cancel", "Cancel export"),
        Binding("ctrl+o", "open_folder", "Open output folder"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.result: Any = None

    def compose(self) -> ComposeResult:
        episodes = self.app.guard(self.app.project.episodes) or []
        declared = [d for d in export_declarations() if not d.alias]
        yield Header()
        with Vertical(id="export-form"):
            with Horizontal(classes="row"):
                yield Label("Episode")
                yield Select([(f"episode {n}", n) for n in episodes], id="episode",
                             value=episodes[0] if episodes else Select.NULL,
                             allow_blank=not episodes)
                for option in (d for d in declared if d.kind == "choice"):
                    yield Label(option.label)
                    yield self._select(option)
            # every declared option is a widget here, as each is a flag of `shotcraft export`
            with Horizontal(classes="row", id="export-fields"):
                for option in (d for d in declared
                               if d.kind in ("path", "int", "float", "text", "many")
                               and not d.format_option):
                    default = f", {option.default}" if option.default is not None else ""
                    field = Input(placeholder=f"{option.label} ({option.flag}{default})",
                                  id=option.name, name=option.name)
                    field.tooltip = Text(option.help)
                    yield field
            with Horizontal(classes="row"):
                for option in (d for d in declared if d.kind in ("bool", "switch")
                               and not d.format_option):
                    box = Checkbox(Text(option.label), value=bool(option.default), id=option.name,
                                   name=option.name)
                    box.tooltip = Text(option.help)
                    yield box
                yield Button("Export (Ctrl+E)", id="go", variant="primary")
            # one checkbox per side-file format and per option they declare, from the registry
            with Horizontal(classes="row", id="formats"):
                for fmt in export_formats():
                    box = Checkbox(Text(fmt.name), id=f"format-{fmt.name}", name=fmt.name)
                    box.tooltip = Text(fmt.description)
                    yield box
                for option in (d for d in declared if d.format_option and d.kind == "bool"):
                    box = Checkbox(Text(option.flag), id=f"option-{option.name}",
                                   name=option.name, value=bool(option.default),
                                   classes="format-option")
                    box.tooltip = Text(option.help)
                    yield box
            with Horizontal(classes="row", id="format-paths"):
                for option in (d for d in declared if d.format_option and d.kind == "path"):
                    field = Input(placeholder=f"{option.flag} (folder)", id=f"option-{option.name}",
                                  name=option.name)
                    field.tooltip = Text(option.help)
                    yield field
            yield Static(id="outdated")  # picks that no longer match their shot, said before
            yield Label("", id="stage")
            yield ProgressBar(total=1.0, show_eta=False, id="export-progress")
            yield Static(id="result")
        yield Footer()

    @staticmethod
    def _select(option: Declared) -> Select[str]:
        choices = list(option.choices() if option.choices else [])
        default = option.default if option.default is not None else (
            "none" if "none" in choices else Select.NULL)
        select: Select[str] = Select([(name, name) for name in choices], value=default,
                                     allow_blank=option.default is None and "none" not in choices,
                                     id=option.name, name=option.name)
        select.tooltip = Text(option.help)
        return select

    def on_mount(self) -> None:
        self.sub_title = "export"
        self.show_outdated()

    @on(Select.Changed, "#episode")
    def show_outdated(self) -> None:
        """Before exporting: the picks of the episode that are outdated (their shot or faces
        changed since the take was drawn)."""
        episode = self.query_one("#episode", Select).value
        picks = self.app.guard(self.app.project.outdated_picks, episode=episode) if isinstance(
            episode, int) else None
        # Text, not markup: the sentences name characters from the script
        self.query_one("#outdated", Static).update(Text("\n".join(
            pick.sentence() for pick in picks or []), style="yellow"))

    def values(self) -> dict[str, Any]:
        """What the screen holds, by export-option name (as `shotcraft export` takes them)."""
        values: dict[str, Any] = {}
        for option in export_declarations():
            if option.alias:
                continue
            if option.kind == "formats":
                values["formats"] = [box.name for box in self.query_one("#formats").query(Checkbox)
                                     if box.value and not box.has_class("format-option")]
                continue
            widget_id = f"option-{option.name}" if option.format_option else option.name
            widget = self.query_one(f"#{widget_id}")
            if isinstance(widget, Checkbox):
                values[option.name] = widget.value
            elif isinstance(widget, Select):
                values[option.name] = None if widget.value is Select.NULL else widget.value
            elif isinstance(widget, Input):
                values[option.name] = _typed(option, widget.value.strip())
        return values

    def options(self) -> ExportOptions:
        options, _output = export_request(self.values(), language=self.app.project.language)
        return options

    @on(Button.Pressed, "#go")
    def action_export(self) -> None:
        episode = self.query_one("#episode", Select).value
        if not isinstance(episode, int):
            self.notify("There is no episode to export; import a script first.", severity="error")
            return
        try:
            options, output = export_request(self.values(), language=self.app.project.language)
        except ShotcraftError as exc:  # a bad value: said at once, nothing started
            self.notify(str(exc), severity="error", markup=False)
            return
        if self.app.export_episode(episode, options, out=output):
            self.query_one("#stage", Label).update(Text(f"Exporting episode {episode}…"))
            self.query_one("#result", Static).update(Text())

    def action_cancel(self) -> None:
        if self.app.export_cancel is not None:
            self.app.export_cancel.set()

    @on(ExportProgress)
    def _progress(self, message: ExportProgress) -> None:
        self.query_one("#stage", Label).update(Text(f"{message.stage} {message.fraction:.0%}"))
        self.query_one("#export-progress", ProgressBar).update(progress=message.fraction)

    @on(ExportFinished)
    def _finished(self, message: ExportFinished) -> None:
        stage = self.query_one("#stage", Label)
        if message.error:
            stage.update(Text.assemble(("Export failed:", "red"),
                                       f" {message.error.message} (e: details and copy)"))
            return
        self.result = r = message.result
        self.query_one("#export-progress", ProgressBar).update(progress=1.0)
        stage.update("Done.")
        sources: dict[str, int] = {}
        for clip in r.clips:
            sources[clip.source.value] = sources.get(clip.source.value, 0) + 1
        files = "\n".join(f"  {name}  {size / 1e6:.2f} MB" for name, size in r.sizes.items())
        # Text, not markup: the output path is the user's (-o "[x].mp4")
        self.query_one("#result", Static).update(Text.assemble(
            (str(r.output) if r.output else "side files only, no MP4", "bold"),
            f"\n{r.width}×{r.height} · {r.duration_frames / r.fps:.1f} s · "
            f"{len(r.clips)} shots ({', '.join(f'{n} {k}' for k, n in sources.items())})"
            f" · {r.seconds:.1f} s to export · cache {r.cache_hits} hits / {r.cache_misses} misses"
            f"\n{files}\nCtrl+O opens the folder.",
            *((("\n" + "\n".join(r.warnings)), "yellow"),) if r.warnings else ()))

    def action_open_folder(self) -> None:
        written = self.result and (self.result.output or next(
            (paths[0] for paths in self.result.files.values() if paths), None))
        folder = written.parent if written else self.app.project.root / "exports"
        opener = shutil.which("xdg-open")
        if opener is None:
            self.notify(f"The exports are in {folder}", markup=False)
            return
        subprocess.Popen([opener, str(folder)], stdin=subprocess.DEVNULL,  # noqa: S603
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
        self.notify(f"Opened {folder}", markup=False)

    def action_back(self) -> None:
        self.app.pop_screen()


def _typed(option: Declared, text: str) -> Any:
    """A field's text as its option's value (None when empty); SpecError naming the option."""
    if not text:
        return None
    if option.kind == "many":
        return [part.strip() for part in text.split(",") if part.strip()]
    if option.kind == "path":
        return Path(text).expanduser()
    try:
        return {"int": int, "float": float}.get(option.kind, str)(text)
    except ValueError:
        raise SpecError(f"{text!r} is not a number", field=option.name) from None
