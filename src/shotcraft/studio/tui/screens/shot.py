"""One shot's full spec, edited in place; every change is saved (debounced) through update_shot."""

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
from shotcraft.shots.models import Budget, Move, Shot, ShotSize
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
            yield Label("Prompt")
            yield TextArea(shot.prompt, id="prompt", soft_wrap=True)
            yield Label("Negative prompt")
            yield TextArea(shot.negative_prompt, id="negative_prompt", soft_wrap=True)
            yield Label("Action")
            yield TextArea(shot.action or "", id="action", soft_wrap=True)
            with Horizontal(classes="row"):
                yield Select([(s.value, s.value) for s in ShotSize], value=shot.size.value,
                             allow_blank=False, id="size")
                yield Select([(m.value, m.value) for m in Move], value=shot.camera.move.value,
                             allow_blank=False, id="move")
                yield Input(f"{shot.camera.intensity:g}", id="intensity", placeholder="intensity 0-1")
            with Horizontal(classes="row"):
                yield Input(f"{shot.duration_frames / fps:g}", id="duration",
                            placeholder="seconds")
                yield Input(str(shot.takes_wanted), id="takes_wanted", placeholder="takes wanted")
                budget = shot.budget or Budget()
                yield Input("" if budget.max_takes is None else str(budget.max_takes),
                            id="max_takes", placeholder="budget: max takes")
                yield Input("" if budget.max_credits is None else f"{budget.max_credits:g}",
                            id="max_credits", placeholder="budget: max credits")
            yield Label("Characters (comma separated)")
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

    def on_mount(self) -> None:
        self.show_summary()
        self.query_one("#prompt", TextArea).focus()
        self.call_after_refresh(self._ready)

    def _ready(self) -> None:
        self._loading = False  # Changed events from composing are not edits

    def show_summary(self) -> None:
        shot = self.shot
        lines = "\n".join(f"  {d.speaker}：{d.text}" for d in shot.dialogue)
        self.query_one("#summary", Static).update(Text.assemble(
            (shot.id, "bold"), f" · scene {shot.scene_id} · {shot.kind.value} · "
            f"{shot.duration_frames} frames · pick {shot.picked_take or '·'}\n{lines}"))
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
        if event.input.id not in ("first_keyframe", "last_keyframe"):
            self._changed(event.input.id or "")

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
            elif field in ("move", "intensity"):
                intensity = _number(value("intensity"), "intensity")
                changes["camera"] = {"move": Move(value("move")),
                                     "intensity": 0.0 if intensity is None else intensity}
            elif field == "duration":
                changes["duration_frames"] = self._frames(value("duration"))
            elif field == "takes_wanted":
                changes["takes_wanted"] = _number(value("takes_wanted"), "takes wanted", int)
            elif field == "characters":
                changes["characters"] = [c.strip() for c in value("characters").replace("，", ",").split(",")
                                         if c.strip()]
            elif field in ("max_takes", "max_credits"):
                budget = {"max_takes": _number(value("max_takes"), "budget max takes", int),
                          "max_credits": _number(value("max_credits"), "budget max credits")}
                changes["budget"] = None if budget == Budget().model_dump(
                    include={"max_takes", "max_credits"}) else budget
        return changes

    def _frames(self, text: str) -> int:
        """The duration field (seconds) in frames; 0, negatives and less than a frame are
        refused as update_shot refuses them, never rounded up to one frame."""
        seconds = _number(text, "duration")
        if seconds is None:
            raise SpecError("give the shot's length in seconds.", field="duration")
        frames = round(seconds * self.fps)
        if seconds <= 0 or frames < 1:
            raise SpecError(f"a shot lasts at least one frame (1/{self.fps} s), not {text.strip()} s.",
                            field="duration")
        return frames

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
            self.shot = updated
            if self.is_mounted:
                self.show_summary()

        return self.app.write(self.app.project.update_shot, self.shot_id, done=saved, **changes)

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
