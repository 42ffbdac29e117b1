"""The character bible: names, aliases, descriptions, reference images, and where each appears."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Header, Input, Label, Static, TextArea

from shotcraft.projects import ReferenceRefused, finding
from shotcraft.studio.tui.screens.base import StudioScreen

SAVE_AFTER_SECONDS = 0.6


class CharactersScreen(StudioScreen):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("ctrl+o", "focus_add", "Add reference"),
        Binding("ctrl+d", "remove_reference", "Remove reference"),
        Binding("ctrl+f", "force_reference", "Keep refused image"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.characters: list[Any] = []
        self.appearances: dict[str, list[str]] = {}
        self.faces: dict[str, list[Any]] = {}  # name → face check of each reference
        self._timer: Any = None
        self._filling = False
        self.refused: tuple[str, str] | None = None  # (character, path) the face check refused

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            yield DataTable(id="characters", cursor_type="row")
            with Vertical(id="character-side"):
                yield Label("Aliases (comma separated)")
                yield Input(id="aliases")
                yield Label("Description")
                yield TextArea(id="description", soft_wrap=True)
                yield Label("References (Ctrl+D removes the highlighted one)")
                yield DataTable(id="refs", cursor_type="row")
                yield Input(id="ref-path", placeholder="path to an image; Enter adds it (Ctrl+O)")
                yield Static(id="ref-check")
                yield Static(id="appears")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "characters"
        self.query_one("#characters", DataTable).add_columns("Name", "Aliases", "Refs", "Shots")
        self.query_one("#refs", DataTable).add_columns("Reference image", "Face check")
        self.reload()
        self.query_one("#characters", DataTable).focus()

    def reload(self) -> None:
        board = self.app.guard(self.app.project.storyboard)
        if board is None:
            return
        self.characters = list(board.characters)
        self.faces = self.app.guard(self.app.project.character_faces) or {}
        self.appearances = {c.name: [] for c in self.characters}
        for shot in board.shots():
            for name in shot.characters:
                self.appearances.setdefault(name, []).append(f"{shot.id} (scene {shot.scene_id})")
        table = self.query_one("#characters", DataTable)
        keep = table.cursor_row
        table.clear()
        for c in self.characters:
            # Text, not str: names and aliases are the script's words, not markup
            table.add_row(Text(c.name), Text(", ".join(c.aliases)), self._refs_cell(c),
                          str(len(self.appearances.get(c.name, []))), key=c.name)
        if self.characters:
            table.move_cursor(row=min(keep, len(self.characters) - 1), animate=False)
        self.show_character()

    def _refs_cell(self, character: Any) -> str:
        checks = self.faces.get(character.name, [])
        if not character.references:
            return "0"
        if all(check.faces is None for check in checks):
            return str(len(character.references))
        return f"{len(character.references)} ({sum(check.usable for check in checks)} usable)"

    def current(self) -> Any:
        table = self.query_one("#characters", DataTable)
        if not self.characters or table.cursor_row >= len(self.characters):
            return None
        return self.characters[table.cursor_row]

    def show_character(self) -> None:
        character = self.current()
        self._filling = True
        refs = self.query_one("#refs", DataTable)
        refs.clear()
        if character is None:
            self.query_one("#appears", Static).update(Text("No characters; import a script first."))
            self._filling = False
            return
        self.query_one("#aliases", Input).value = ", ".join(character.aliases)
        self.query_one("#description", TextArea).text = character.description or ""
        checks = {check.path: check for check in self.faces.get(character.name, [])}
        for ref in character.references:
            check = checks.get(ref)
            said = finding(check) if check is not None else ""
            if check is not None and check.faces is not None and not check.usable:
                said += " — not used for identity"
            refs.add_row(Text(ref), Text(said), key=ref)
        shots = self.appearances.get(character.name, [])
        self.query_one("#appears", Static).update(Text.assemble(
            (character.name, "bold"), f" appears in {len(shots)} shots:\n" + "\n".join(shots[:40])))
        self.call_after_refresh(self._filled)

    def _filled(self) -> None:
        self._filling = False

    @on(DataTable.RowHighlighted, "#characters")
    def _highlighted(self) -> None:
        self.save()
        self.show_character()

    @on(TextArea.Changed, "#description")
    @on(Input.Changed, "#aliases")
    def _edited(self) -> None:
        if self._filling:
            return
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(SAVE_AFTER_SECONDS, self.save)

    def save(self) -> None:
        if self._timer is None:
            return
        self._timer.stop()
        self._timer = None
        character = self.current()
        if character is None:
            return
        aliases = [a.strip() for a in self.query_one("#aliases", Input).value.replace("，", ",").split(",")
                   if a.strip()]
        description = self.query_one("#description", TextArea).text.strip() or None
        self.app.write(self.app.project.update_character, character.name,
                       aliases=aliases, description=description)

    @on(Input.Submitted, "#ref-path")
    def _add_reference(self, event: Input.Submitted) -> None:
        character = self.current()
        path = event.value.strip()
        if character is None or not path:
            return
        self._add(character.name, path, force=False)

    def action_force_reference(self) -> None:
        """Keep the image the face check just refused, without identity use."""
        if self.refused is None:
            self.notify("Nothing was refused; Ctrl+F keeps an image the face check refused.",
                        markup=False)
            return
        name, path = self.refused
        self._add(name, path, force=True)

    def _add(self, name: str, path: str, *, force: bool) -> None:
        status = self.query_one("#ref-check", Static)
        try:
            added = self.app.project.add_reference(name, path, force=force)
        except ReferenceRefused as refused:
            self.refused = (name, path)
            # Text: the sentence names a file, which may hold "[" (not markup)
            status.update(Text.assemble((refused.message, "red"),
                                        "\nCtrl+F keeps it anyway (not used for identity)."))
            return
        except Exception as exc:  # noqa: BLE001 - shown like every other facade error
            self.refused = None
            status.update(Text(""))
            self.app.show_error(self.app.as_error(exc))
            return
        self.refused = None
        self.query_one("#ref-path", Input).value = ""
        status.update(Text(added.note or f"Added {added.reference}: {finding(added.check)}."))
        self.notify(f"Added a reference image to {name}.", markup=False)
        self.reload()

    def action_focus_add(self) -> None:
        self.query_one("#ref-path", Input).focus()

    def action_remove_reference(self) -> None:
        character = self.current()
        refs = self.query_one("#refs", DataTable)
        if character is None or refs.row_count == 0:
            return
        ref = character.references[refs.cursor_row]
        def removed(_character: Any) -> None:
            self.notify(f"Removed {ref} from {character.name}.", markup=False)
            if self.is_mounted:
                self.reload()

        self.app.write(self.app.project.remove_reference, character.name, ref, done=removed)

    def action_back(self) -> None:
        self.save()
        self.app.pop_screen()
