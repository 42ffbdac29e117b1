"""The cast: editing the character bible (descriptions, aliases, voices, reference images).

Edited fields are listed on the character's row, so re-import keeps them."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sqlmodel import select

from shotcraft.projects.convert import character_from_row
from shotcraft.projects.db import CharacterRow
from shotcraft.projects.store import Store
from shotcraft.shots.errors import ProjectError, SpecError
from shotcraft.storyboard.models import Character

EDITABLE_CHARACTER_FIELDS = ("description", "aliases", "voice", "ip_adapter_scale")


def update_character(store: Store, name: str, **changes: Any) -> Character:
    """Edit a character's description, aliases, voice or IP-Adapter scale; the edit survives
    re-import. `ip_adapter_scale=None` goes back to the engine's default."""
    allowed = set(EDITABLE_CHARACTER_FIELDS)
    if set(changes) - allowed:
        raise SpecError("cannot be edited", field=sorted(set(changes) - allowed)[0])
    if "ip_adapter_scale" in changes:
        changes["ip_adapter_scale"] = check_ip_adapter_scale(changes["ip_adapter_scale"])
    with store.db.write() as session:
        row = _character_row(session, name)
        for field, value in changes.items():
            setattr(row, field, value)
        row.edited = sorted(set(row.edited) | set(changes))
        session.add(row)
        return character_from_row(row)


def add_reference(store: Store, name: str, image: str | Path) -> Character:
    """Copy a reference image into refs/ and attach it to a character."""
    from shotcraft.shots.media import probe, sha256_file

    source = Path(image)
    info = probe(source)  # refuses missing or unreadable files
    if not info.is_image:
        raise SpecError(f"{source.name} is not an image (png, jpg, webp)", field="references")
    digest = sha256_file(source)[:16]
    target = store.layout.refs / f"{digest}{source.suffix.lower()}"
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        shutil.copyfile(source, target)
    relative = store.layout.relative(target)
    with store.db.write() as session:
        row = _character_row(session, name)
        if relative not in row.references:
            row.references = [*row.references, relative]
        row.edited = sorted(set(row.edited) | {"references"})
        session.add(row)
        return character_from_row(row)


def remove_reference(store: Store, name: str, reference: str) -> Character:
    """Detach a reference image from a character (the file stays in refs/)."""
    with store.db.write() as session:
        row = _character_row(session, name)
        if reference not in row.references:
            raise ProjectError(f"{name} has no reference {reference}.")
        row.references = [r for r in row.references if r != reference]
        row.edited = sorted(set(row.edited) | {"references"})
        session.add(row)
        return character_from_row(row)


def _character_row(session: Any, name: str) -> CharacterRow:
    row = session.get(CharacterRow, name)
    if row is None:
        for candidate in session.exec(select(CharacterRow)).all():
            if name in candidate.aliases:
                return candidate
        raise ProjectError(f"there is no character {name} in this project.")
    return row


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
