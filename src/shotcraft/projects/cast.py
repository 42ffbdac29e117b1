"""The cast: editing the character bible (appearance, biography, aliases, voices, references).

A reference image must show exactly one clear face (ranking.identity.check_reference): the
identity metric compares the faces of takes with it. Checks are cached in cache/faces/.

Edited fields are listed on the character's row, so re-import keeps them."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel
from sqlmodel import select

from shotcraft.projects.convert import character_from_row, shot_from_row
from shotcraft.projects.db import ShotRow, TakeRow
from shotcraft.projects.prompting import compose_in
from shotcraft.projects.store import Store, character_row
from shotcraft.projects.voices import check_voice
from shotcraft.ranking.faces import SAME_PERSON
from shotcraft.ranking.identity import MIN_REFERENCE_FACE, ReferenceCheck, check_reference
from shotcraft.shots.errors import ProjectError, SpecError
from shotcraft.shots.files import atomic_target
from shotcraft.shots.media import probe, sha256_file
from shotcraft.shots.models import TakeKind, TakeStatus
from shotcraft.shots.names import normalise_name
from shotcraft.storyboard.models import Character

EDITABLE_CHARACTER_FIELDS = ("appearance", "biography", "aliases", "voice", "ip_adapter_scale")


def update_character(store: Store, name: str, **changes: Any) -> Character:
    """Edit a character's appearance (the words prompts use), biography, aliases, voice or
    IP-Adapter scale; the edit survives re-import. `ip_adapter_scale=None` goes back to the
    engine's default. `description` is taken as the appearance (its name before the split)."""
    if "description" in changes:
        changes.setdefault("appearance", changes.pop("description"))
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
        looked = row.appearance
        for field, value in changes.items():
            setattr(row, field, value)
        row.edited = sorted(set(row.edited) | set(changes))
        session.add(row)
        if row.appearance != looked:
            session.flush()
            _compose_prompts_with(session, row.name)
        return character_from_row(row)


def _compose_prompts_with(session: Any, name: str) -> None:
    """A new appearance reaches the composed prompts of every live shot the character is in
    (hand-written prompts are the director's and stay as written)."""
    for shot_row in session.exec(select(ShotRow).where(ShotRow.archived == False)).all():  # noqa: E712
        if name not in shot_row.characters or "prompt" in shot_row.edited:
            continue
        shot_row.prompt = compose_in(session, shot_from_row(shot_row))
        session.add(shot_row)


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
    # one sentence when the new face looks more like another character than like this one
    lookalike: str | None = None

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


def _copy_stem(image: Path) -> str:
    """The name refs/ gives the copy of `image`: the start of its content's sha256."""
    return sha256_file(image)[:16]


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
    target = store.layout.refs / f"{_copy_stem(source)}{source.suffix.lower()}"
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        with atomic_target(target) as temp:
            shutil.copyfile(source, temp)
    relative = store.layout.relative(target)
    lookalike = _look_alike(store, character, check, label) if check.embedding else None
    with store.db.write() as session:
        row = character_row(session, character.name)
        if relative not in row.references:
            row.references = [*row.references, relative]
        row.edited = sorted(set(row.edited) | {"references"})
        session.add(row)
        updated = character_from_row(row)
    return ReferenceAdded(character=updated, reference=relative, lookalike=lookalike,
                          check=check.model_copy(update={"path": relative, "embedding": None}))


def _look_alike(store: Store, character: Character, check: ReferenceCheck,
                label: str) -> str | None:
    """A sentence when the new face is nearer another character's references than its own
    (or, as a first reference, within the same-person distance of another character's)."""
    face = np.asarray(check.embedding, dtype=float)

    def nearest(person: Character) -> float | None:
        found = []
        for reference in person.references:
            try:
                path = store.layout.resolve(reference, what="reference image")
            except ProjectError:
                continue
            if not path.is_file():
                continue
            other = check_reference(path, cache_dir=faces_cache(store), label=reference)
            if other.embedding:
                found.append(float(np.linalg.norm(np.asarray(other.embedding) - face)))
        return min(found) if found else None

    own = nearest(character)
    others = [(d, person.name) for person in store.characters() if person.name != character.name
              and (d := nearest(person)) is not None]
    if not others:
        return None
    distance, name = min(others)
    if distance >= SAME_PERSON or (own is not None and own <= distance):
        return None
    if own is None:
        return (f"the face in {label} looks like {name}'s references (distance {distance:.2f}, "
                f"the same person under {SAME_PERSON:g}); check that it is {character.name}.")
    return (f"the face in {label} looks more like {name} (distance {distance:.2f}) than like "
            f"{character.name}'s other references ({own:.2f}); check that it is {character.name}.")


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


def remove_reference(store: Store, name: str, reference: str | Path) -> Character:
    """Detach a reference image from a character (the file stays in refs/, and the takes drawn
    with it become outdated). `reference` is the path as the bible lists it (refs/…), its
    file name, or the original image it was copied from."""
    with store.db.write() as session:
        row = character_row(session, name)
        reference = _which_reference(store, list(row.references), reference)
        if reference not in row.references:
            listed = ", ".join(row.references) or "none"
            raise ProjectError(f"{row.name} has no reference {reference} (references: {listed}).")
        row.references = [r for r in row.references if r != reference]
        row.edited = sorted(set(row.edited) | {"references"})
        session.add(row)
        return character_from_row(row)


def _which_reference(store: Store, references: list[str], given: str | Path) -> str:
    """The listed reference `given` names: as listed, by file name, or by the content of the
    image it was copied from (refs/ names copies by their sha256)."""
    text = str(given)
    if text in references:
        return text
    by_name = [ref for ref in references if Path(ref).name == Path(text).name]
    if len(by_name) == 1:
        return by_name[0]
    source = Path(text).expanduser()
    if source.is_file():
        stem = _copy_stem(source)
        by_content = [ref for ref in references if Path(ref).stem == stem]
        if by_content:
            return by_content[0]
    return text


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
