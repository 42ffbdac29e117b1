"""The cast: editing the character bible (descriptions, aliases, voices, reference images).

A reference image must show exactly one clear face (ranking.identity.check_reference): the
identity metric compares the faces of takes with it. Checks are cached in cache/faces/.

Edited fields are listed on the character's row, so re-import keeps them."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlmodel import select

from shotcraft.projects.convert import character_from_row
from shotcraft.projects.db import TakeRow
from shotcraft.projects.store import Store, character_row
from shotcraft.projects.voices import check_voice
from shotcraft.ranking.identity import MIN_REFERENCE_FACE, ReferenceCheck, check_reference
from shotcraft.shots.errors import ProjectError, SpecError
from shotcraft.shots.files import atomic_target
from shotcraft.shots.media import probe, sha256_file
from shotcraft.shots.models import TakeKind, TakeStatus
from shotcraft.shots.names import normalise_name
from shotcraft.storyboard.models import Character

EDITABLE_CHARACTER_FIELDS = ("description", "aliases", "voice", "ip_adapter_scale")


def update_character(store: Store, name: str, **changes: Any) -> Character:
    """Edit a character's description, aliases, voice or IP-Adapter scale; the edit survives
    re-import. `ip_adapter_scale=None` goes back to the engine's default."""
    allowed = set(EDITABLE_CHARACTER_FIELDS)
    if set(changes) - allowed:
        raise SpecError("cannot be edited", field=sorted(set(changes) - allowed)[0])
    if "aliases" in changes:  # one form per name, as the script's names are stored
        changes["aliases"] = list(dict.fromkeys(
            alias for alias in map(normalise_name, changes["aliases"] or []) if alias))
    if "ip_adapter_scale" in changes:
        changes["ip_adapter_scale"] = check_ip_adapter_scale(changes["ip_adapter_scale"])
    if "voice" in changes:
        voice = check_voice(changes["voice"])
        changes["voice"] = voice.model_dump(mode="json") if voice is not None else None
    with store.db.write() as session:
        row = character_row(session, name)
        for field, value in changes.items():
            setattr(row, field, value)
        row.edited = sorted(set(row.edited) | set(changes))
        session.add(row)
        return character_from_row(row)


class ReferenceRefused(ProjectError):
    """A reference image the face check refused (no face, several, or too small); `check` says
    what was found. Adding it again with `force=True` keeps it, without identity use."""

    title = "Reference refused"

    def __init__(self, check: ReferenceCheck) -> None:
        self.check = check
        super().__init__(check.reason or f"{check.path} cannot be used as a reference.")


class ReferenceAdded(BaseModel):
    """What adding a reference did: the character as it is now and the new image's face check."""

    character: Character
    reference: str  # project-relative path of the copy in refs/
    check: ReferenceCheck

    @property
    def note(self) -> str | None:
        """One line for the director when the image was kept but identity cannot use it."""
        if self.check.faces is None:
            why = (self.check.reason or "").removeprefix("identity is left out: ").rstrip(".")
            if "shotcraft[identity]" not in why:
                why += "; install it with pip install 'shotcraft[identity]'"
            return (f"{Path(self.reference).name} was added without a face check, so identity "
                    f"cannot use it yet: {why}.")
        if not self.check.usable:
            return (f"{Path(self.reference).name} was kept (forced) but is not used for "
                    f"identity: {finding(self.check)}.")
        return None


def finding(check: ReferenceCheck) -> str:
    """What the face check found, in a few words ("1 face, usable", "2 faces", …)."""
    if check.faces is None:
        return "not checked (no face model)" if check.reason and "identity is left out" in check.reason \
            else (check.reason or "not checked").rstrip(".")
    if check.usable:
        return f"1 face of {check.face_size} px, usable"
    if check.faces == 0:
        return "no face found"
    if check.faces > 1:
        return f"{check.faces} faces, one needed"
    return f"face of {check.face_size} px, under {MIN_REFERENCE_FACE} px"


def faces_cache(store: Store) -> Path:
    """Where reference face checks are kept, by the image's content (cache/faces/)."""
    return store.layout.cache / "faces"


def add_reference(store: Store, name: str, image: str | Path, *, force: bool = False,
                  label: str | None = None) -> ReferenceAdded:
    """Check a reference image's face, copy it into refs/ and attach it to a character.

    A reference must show exactly one clear face: an image with none, several or a face too
    small is refused (`ReferenceRefused`, nothing copied or attached) unless `force`, which
    keeps it without identity use. Without the face model the image is kept unchecked.
    `label` is how the image is named in sentences (default: its file name).
    """
    source = Path(image)
    label = label or source.name
    character = store.character(name)  # an unknown name is refused before the image is read
    info = probe(source)  # refuses missing or unreadable files
    if not info.is_image:
        raise SpecError(f"{label} is not an image (png, jpg, webp)", field="references")
    check = check_reference(source, cache_dir=faces_cache(store), label=label)
    if check.faces is not None and not check.usable and not force:
        raise ReferenceRefused(check)
    digest = sha256_file(source)[:16]
    target = store.layout.refs / f"{digest}{source.suffix.lower()}"
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        with atomic_target(target) as temp:
            shutil.copyfile(source, temp)
    relative = store.layout.relative(target)
    with store.db.write() as session:
        row = character_row(session, character.name)
        if relative not in row.references:
            row.references = [*row.references, relative]
        row.edited = sorted(set(row.edited) | {"references"})
        session.add(row)
        updated = character_from_row(row)
    return ReferenceAdded(character=updated, reference=relative,
                          check=check.model_copy(update={"path": relative, "embedding": None}))


def add_reference_from_take(store: Store, name: str, take_number: int, *, sheet: str,
                            force: bool = False) -> ReferenceAdded:
    """Make take `take_number` of the character's sheet (the shot `sheet`: projects/draw/
    sheets.py names it) a reference, through the same face check."""
    character = store.character(name)
    shot_id = sheet
    with store.db.read() as session:
        row = session.exec(select(TakeRow).where(
            TakeRow.shot_id == shot_id, TakeRow.number == take_number)).first()
    if row is None:
        raise ProjectError(
            f"{character.name}'s sheet ({shot_id}) has no take {take_number}; draw it with "
            f"`shotcraft render DIR --character {character.name}`.")
    if row.kind != TakeKind.KEYFRAME.value or row.status != TakeStatus.DONE.value or not row.media_path:
        raise ProjectError(f"take {take_number} of {shot_id} is {row.status}, not a done still; "
                           "only a drawn portrait can become a reference.")
    path = store.layout.resolve(row.media_path, what="take")
    return add_reference(store, character.name, path, force=force,
                         label=f"take {take_number} of {shot_id}")


def reference_checks(store: Store, name: str) -> list[ReferenceCheck]:
    """The face check of each of a character's references, in order (cached by content)."""
    character = store.character(name)
    return [_check_stored(store, ref) for ref in character.references]


def character_faces(store: Store) -> dict[str, list[ReferenceCheck]]:
    """The face checks of every character's references, by character name."""
    return {c.name: [_check_stored(store, ref) for ref in c.references]
            for c in store.characters()}


def _check_stored(store: Store, reference: str) -> ReferenceCheck:
    try:
        path = store.layout.resolve(reference, what="reference image")
    except ProjectError as exc:
        return ReferenceCheck(path=reference, faces=None, usable=False, reason=str(exc))
    if not path.is_file():
        return ReferenceCheck(path=reference, faces=None, usable=False,
                              reason=f"{reference} is missing from the project folder.")
    check = check_reference(path, cache_dir=faces_cache(store), label=reference)
    return check.model_copy(update={"path": reference, "embedding": None})


def remove_reference(store: Store, name: str, reference: str) -> Character:
    """Detach a reference image from a character (the file stays in refs/)."""
    with store.db.write() as session:
        row = character_row(session, name)
        if reference not in row.references:
            raise ProjectError(f"{name} has no reference {reference}.")
        row.references = [r for r in row.references if r != reference]
        row.edited = sorted(set(row.edited) | {"references"})
        session.add(row)
        return character_from_row(row)




def check_ip_adapter_scale(value: Any) -> float | None:
    """`value` as a scale in 0-1 (None stays None); SpecError naming the field otherwise."""
    if value is None:
        return None
    try:
        scale = float(value)
    except (TypeError, ValueError):
        scale = float("nan")
    if isinstance(value, bool) or not 0.0 <= scale <= 1.0:  # NaN fails the comparison too
        raise SpecError(f"{value} is not a number from 0 to 1 (0 ignores the references, "
                        "1 follows them closely).", field="ip_adapter_scale")
    return scale
