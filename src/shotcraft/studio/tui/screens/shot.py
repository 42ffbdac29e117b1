"""One shot's full spec, edited in place; every change is saved (debounced) through update_shot
(the CLI twin is `shotcraft shot`). Every field has a label and its unit; the duration shows its
frames (`3.0 s (90 f)`); the prompt is composed again from the spec after each edit unless it
was written by hand (Ctrl+P composes it again); takes drawn before an edit show as outdated."""

from __future__ import annotations

import math
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Checkbox, Footer, Header, Input, Label, Select, Static, TextArea

from shotcraft.shots.errors import ShotcraftError, SpecError
from shotcraft.shots.models import Angle, Budget, Move, Shot, ShotKind, ShotSize
from shotcraft.studio.shot_fields import (
    ANGLE_WORDS,
    duration_words,
    parse_angle,
    parse_characters,
    parse_duration,
    takes_line,
)
from shotcraft.studio.tui.screens.base import StudioScreen
from shotcraft.studio.tui.screens.takes import TakesScreen

SAVE_AFTER_SECONDS = 0.6


def _number(text: str, field: str, kind: type = float) -> Any:
    """A field's number, or None when it is empty; what is not a finite number is a SpecError
    naming the field (`inf`, `nan`, `1e999` and words alike), never an OverflowError."""
    text = text.strip()
    if not text:
        return None
    try:
        value = kind(text)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise SpecError(f"{text!r} is not {what}.", field=field) from None
    if isinstance(value, float) and not math.isfinite(value):
        raise SpecError(f"must be a finite number, not {text!r}.", field=field)
    return value


class ShotScreen(StudioScreen):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("ctrl+s", "save", "Save now"),
        Binding("ctrl+t", "takes", "Takes"),
        Binding("ctrl+r", "draw", "Draw takes"),
        Binding("ctrl+p", "compose_prompt", "Compose prompt"),
    ]

    def __init__(self, shot_id: str) -> None:
        super().__init__()
        self.shot_id = shot_id
        self.pending: set[str] = set()
        self._timer: Any = None
        self._loading = True

    def compose(self) -> ComposeResult:
        shot = self.app.project.shot(self.shot_id)
        self.shot = shot
        fps = self.app.project.fps
        self.fps = fps
        yield Header()
        with VerticalScroll(id="form"):
            yield Static(id="summary")
            yield Label(self._prompt_label(shot), id="prompt-label")
            yield TextArea(shot.prompt, id="prompt", soft_wrap=True)
            yield Label("Negative prompt")
            yield TextArea(shot.negative_prompt, id="negative_prompt", soft_wrap=True)
            yield Label("Action")
            yield TextArea(shot.action or "", id="action", soft_wrap=True)
            with Horizontal(classes="row"):
                yield Label("Kind")
                yield Select([(k.value.replace("_", "-"), k.value) for k in ShotKind],
                             value=shot.kind.value, allow_blank=False, id="kind")
                yield Label("Size")
                yield Select([(s.value, s.value) for s in ShotSize], value=shot.size.value,
                             allow_blank=False, id="size")
                yield Label("Angle")
                yield Select([(ANGLE_WORDS[None], "eye")] + [(ANGLE_WORDS[a], a.value) for a in Angle],
                             value=shot.angle.value if shot.angle else "eye", allow_blank=False,
                             id="angle")
            with Horizontal(classes="row"):
                yield Label("Camera move")
                yield Select([(m.value.replace("_", " "), m.value) for m in Move],
                             value=shot.camera.move.value, allow_blank=False, id="move")
                yield Label("Intensity (0–1)")
                yield Input(f"{shot.camera.intensity:g}", id="intensity", placeholder="0.5")
            with Horizontal(classes="row"):
                yield Label("Duration (s)")
                yield Input(f"{shot.duration_frames / fps:.1f}", id="duration", placeholder="seconds")
                yield Label(duration_words(shot.duration_frames, fps), id="duration-frames")
                yield Label("Takes wanted")
                yield Input(str(shot.takes_wanted), id="takes_wanted", placeholder="3")
            with Horizontal(classes="row"):
                budget = shot.budget or Budget()
                yield Label("Budget: max takes")
                yield Input("" if budget.max_takes is None else str(budget.max_takes),
                            id="max_takes", placeholder="no limit")
                yield Label("max credits")
                yield Input("" if budget.max_credits is None else f"{budget.max_credits:g}",
                            id="max_credits", placeholder="no limit")
            yield Label("Characters in frame (comma separated; an OTS: the face first, the shoulder second)")
            yield Input(", ".join(shot.characters), id="characters")
            for which in ("first", "last"):
                keyframe = getattr(shot, f"{which}_keyframe")
                yield Label(f"{which.title()} keyframe: an image file (copied into the project)")
                with Horizontal(classes="row"):
                    yield Input(keyframe.path or "" if keyframe else "", id=f"{which}_keyframe",
                                placeholder="path to png/jpg, Enter to set")
                    yield Checkbox("chain from previous shot",
                                   bool(keyframe and keyframe.chain_previous), id=f"{which}_chain")
            yield Label("Notes")
            yield Input(shot.notes or "", id="notes")
        yield Footer()

    @staticmethod
    def _prompt_label(shot: Any) -> str:
        if shot.prompt_by_hand:
            return "Prompt — written by hand, kept as written (Ctrl+P composes it from the spec)"
        return "Prompt — composed from the spec after every edit (type to write it by hand)"

    def on_mount(self) -> None:
        self.show_summary()
        self.query_one("#prompt", TextArea).focus()
        self.call_after_refresh(self._ready)

    def _ready(self) -> None:
        self._loading = False  # Changed events from composing are not edits

    def show_summary(self) -> None:
        shot = self.shot
        lines = "\n".join(f"  {d.speaker}：{d.text}" for d in shot.dialogue)
        views = self.app.guard(self.app.project.takes, shot.id) or []
        # Text, not markup: dialogue and names are the script's words
        self.query_one("#summary", Static).update(Text.assemble(
            (shot.id, "bold"), f" · scene {shot.scene_id} · {shot.framing} · "
            f"{duration_words(shot.duration_frames, self.fps)} · pick {shot.picked_take or '·'}\n",
            takes_line(views), f"\n{lines}" if lines else ""))
        self.sub_title = shot.id

    # -- saving --------------------------------------------------------------------------

    def _changed(self, field: str) -> None:
        if self._loading:
            return
        self.pending.add(field)
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(SAVE_AFTER_SECONDS, self.save)

    @on(TextArea.Changed)
    def _text_changed(self, event: TextArea.Changed) -> None:
        self._changed(event.text_area.id or "")

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "duration":
            self._show_frames(event.value)
        if event.input.id not in ("first_keyframe", "last_keyframe"):
            self._changed(event.input.id or "")

    def _show_frames(self, typed: str) -> None:
        """The frames the typed seconds make, next to them: `3.0 s (90 f)`."""
        try:
            words = duration_words(parse_duration(typed, self.fps), self.fps)
        except Exception:  # noqa: BLE001 - a half-typed number is said, not raised
            words = "not a number of seconds"
        self.query_one("#duration-frames", Label).update(words)

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        self._changed(event.select.id or "")

    @on(Input.Blurred)
    def _blurred(self) -> None:
        self.save()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if event.input.id in ("first_keyframe", "last_keyframe"):
            self._set_keyframe(event.input.id.split("_")[0])
        else:
            self.save()

    @on(Checkbox.Changed)
    def _chain_changed(self, event: Checkbox.Changed) -> None:
        if not self._loading and event.checkbox.id:
            self._set_keyframe(event.checkbox.id.split("_")[0])

    def _set_keyframe(self, which: str) -> None:
        path = self.query_one(f"#{which}_keyframe", Input).value.strip()
        chain = self.query_one(f"#{which}_chain", Checkbox).value
        current = getattr(self.shot, f"{which}_keyframe")
        if current and current.path == path:
            path = current.path  # already inside the project: keep it as it is
        def saved(updated: Shot) -> None:
            self.shot = updated
            kf = getattr(updated, f"{which}_keyframe")
            if self.is_mounted:
                self.query_one(f"#{which}_keyframe", Input).value = kf.path or "" if kf else ""
            self.notify(f"{which.title()} keyframe saved.", markup=False)

        self.app.write(self.app.project.set_keyframe, self.shot_id, which, path or None,
                       chain_previous=chain, done=saved)

    def changes(self) -> dict[str, Any]:
        """The pending fields as update_shot arguments (frames stored, seconds shown)."""
        def value(widget_id: str) -> str:
            widget = self.query_one(f"#{widget_id}")
            return widget.text if isinstance(widget, TextArea) else str(getattr(widget, "value", ""))

        changes: dict[str, Any] = {}
        for field in self.pending:
            if field in ("prompt", "negative_prompt"):
                changes[field] = value(field)
            elif field == "action":
                changes["action"] = value("action") or None
            elif field == "notes":
                changes["notes"] = value("notes") or None
            elif field == "size":
                changes["size"] = ShotSize(value("size"))
            elif field == "kind":
                changes["kind"] = ShotKind(value("kind"))
            elif field == "angle":
                changes["angle"] = parse_angle(value("angle"))
            elif field in ("move", "intensity"):
                intensity = _number(value("intensity"), "intensity")
                changes["camera"] = {"move": Move(value("move")),
                                     "intensity": 0.0 if intensity is None else intensity}
            elif field == "duration":
                changes["duration_frames"] = parse_duration(value("duration"), self.fps)
            elif field == "takes_wanted":
                changes["takes_wanted"] = _number(value("takes_wanted"), "takes wanted", int)
            elif field == "characters":
                changes["characters"] = parse_characters(value("characters"))
            elif field in ("max_takes", "max_credits"):
                budget = {"max_takes": _number(value("max_takes"), "budget max takes", int),
                          "max_credits": _number(value("max_credits"), "budget max credits")}
                changes["budget"] = None if budget == Budget().model_dump(
                    include={"max_takes", "max_credits"}) else budget
        return changes

    def save(self) -> bool:
        """Write pending edits; a bad value is named in a notification and kept for correction."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if not self.pending:
            return True
        try:
            changes = self.changes()
        except ShotcraftError as error:  # nothing is saved until every field reads
            self.app.show_error(error)
            return False
        saving = set(self.pending)

        def saved(updated: Shot) -> None:
            self.pending -= saving
            if self.is_mounted:
                self._shown(updated)
            else:
                self.shot = updated

        return self.app.write(self.app.project.update_shot, self.shot_id, done=saved, **changes)

    def _shown(self, updated: Any) -> None:
        """Show a saved shot: its summary, and the prompt as composed from the new spec."""
        self.shot = updated
        prompt = self.query_one("#prompt", TextArea)
        if prompt.text != updated.prompt and not prompt.has_focus:
            self._loading = True  # the composer's words are not the director's edit
            prompt.text = updated.prompt
            self.call_after_refresh(self._ready)
        self.query_one("#prompt-label", Label).update(self._prompt_label(updated))
        self.show_summary()

    # -- actions -------------------------------------------------------------------------

    def action_save(self) -> None:
        if self.save():
            self.notify(f"Saved {self.shot_id}.")

    def action_back(self) -> None:
        self.save()
        self.app.pop_screen()

    def action_takes(self) -> None:
        self.save()
        self.app.push_screen(TakesScreen(self.shot_id))

    def action_draw(self) -> None:
        self.save()
        self.app.draw_takes([self.shot_id], None)

    def action_compose_prompt(self) -> None:
        """Give the prompt back to the composer: made from the spec again, and after every edit."""
        self.pending.discard("prompt")
        self.save()

        def composed(updated: Shot) -> None:
            if self.is_mounted:
                self.query_one("#prompt", TextArea).blur()
                self._shown(updated)
            self.notify("The prompt is composed from the spec again.")

        self.app.write(self.app.project.update_shot, self.shot_id, auto_prompt=True, done=composed)
