"""Engine elements (Kling's reusable subjects) of the bible's characters, kept in the project.

An element is made from a character's usable references (the face check passed) once, before a
render queues its takes, by the engine (`Engine.ensure_elements`); its id is kept as the
engine's own state in the project (`provider_state`: (engine, "element", character) → id,
region, references_hash, created_at; migration 0009) and put on the character in every request
(`CharacterRef.element_id`) for as long as the usable references are the same images (the hash
of their contents) and the engine works in the same region. When they change (a reference added
or removed), the next render makes a new element. Engines never see the database; the project
never talks to Kling.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from shotcraft.engine.protocol import CharacterRef, Engine, RenderRequest
from shotcraft.projects.cast import reference_checks
from shotcraft.projects.db import ProviderStateRow, utcnow
from shotcraft.projects.store import Store
from shotcraft.shots.errors import ShotcraftError
from shotcraft.shots.media import sha256_file

ELEMENT = "element"  # the provider_state kind of an engine's reusable subject


def kept_element(store: Store, engine: str, name: str) -> dict[str, Any] | None:
    """The element record `engine` keeps for the character `name`, or None."""
    with store.db.read() as session:
        row = session.get(ProviderStateRow, (engine, ELEMENT, name))
    return dict(row.value) if row is not None else None


def usable_refs(store: Store, name: str) -> CharacterRef:
    """The character with only its usable references (absolute paths, in the bible's order)."""
    character = store.character(name)
    paths = [store.layout.resolve(check.path, what="reference image")
             for check in reference_checks(store, character.name) if check.usable]
    return CharacterRef(name=character.name, description=character.description, references=paths,
                        reference_hashes=[sha256_file(p) for p in paths],
                        ip_adapter_scale=character.ip_adapter_scale)


def references_hash(character: CharacterRef) -> str:
    """One hash of the usable references' contents, in order."""
    return hashlib.sha256("\n".join(character.reference_hashes).encode()).hexdigest()


def _current(record: dict[str, Any] | None, digest: str, region: str | None) -> str | None:
    if not record or not record.get("id") or record.get("references_hash") != digest:
        return None
    return str(record["id"]) if record.get("region") == region else None


def ensure_elements(store: Store, engine: Engine, names: Iterable[str]) -> list[str]:
    """Make (or make again, when the references changed) the elements of these characters;
    the notes to tell the director (an element Kling would not make: those shots use the
    reference images instead)."""
    region = engine.element_region()
    wanted: list[CharacterRef] = []
    for name in sorted(set(names)):
        try:
            character = usable_refs(store, name)
        except ShotcraftError:
            continue  # a name in a shot that is not in the bible
        if not character.references:
            continue
        record = kept_element(store, engine.name, character.name)
        if _current(record, references_hash(character), region) is None:
            wanted.append(character)
    if not wanted:
        return []
    try:
        made = engine.ensure_elements(wanted)
    except ShotcraftError as exc:
        return [f"no {engine.name} elements made ({exc}); those shots use the reference images"]
    now = datetime.now(UTC).isoformat()
    with store.db.write() as session:
        for character in wanted:
            if character.name not in made:
                continue
            record = {"id": made[character.name], "region": region,
                      "references_hash": references_hash(character), "created_at": now}
            row = session.get(ProviderStateRow, (engine.name, ELEMENT, character.name))
            if row is None:
                row = ProviderStateRow(provider=engine.name, kind=ELEMENT,
                                       subject=character.name, value=record)
            row.value, row.updated_at = record, utcnow()
            session.add(row)
    return []


def with_elements(store: Store, engine: Engine, request: RenderRequest) -> RenderRequest:
    """The request with each character's element id, where a current one is kept."""
    if not request.characters or not engine.capabilities(request.kind).elements:
        return request
    region = engine.element_region()
    characters = []
    for ref in request.characters:
        record = kept_element(store, engine.name, ref.name)
        element = None
        if record:
            try:
                element = _current(record, references_hash(usable_refs(store, ref.name)), region)
            except ShotcraftError:
                element = None
        characters.append(ref.model_copy(update={"element_id": element}))
    return request.model_copy(update={"characters": characters})
