"""`shotcraft doctor DIR`: what is wrong with a project, and the repair of what can be repaired.

It looks at (in order):

- the SQLite file itself (`PRAGMA integrity_check`): reported; a damaged file is restored
  from a backup by hand, never by guessing;
- every stored JSON value (projects/stored_json.py): one that is not JSON, has no readable
  envelope or the wrong shape is reset to its empty value (a take's scores to none: `rescore`
  scores it again);
- renders that died: jobs left `running` by a process that is gone go back to the queue;
- takes whose file is gone from media/: reported (draw or add the take again);
- leftovers of dead runs (projects/cleanup.py): removed.

Before the first repair the database is copied beside itself (`shotcraft.db.backup-doctor-…`),
so every repair can be undone by putting that file back.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlmodel import select

from shotcraft.projects.cleanup import sweep
from shotcraft.projects.db import DamagedValue, TakeRow
from shotcraft.projects.draw.queue import recover_stale_jobs
from shotcraft.projects.schema import backup_database
from shotcraft.projects.store import Store
from shotcraft.projects.stored_json import wrap


class Finding(BaseModel):
    """One thing the doctor found: a sentence, and what was done about it."""

    kind: str  # database | value | job | media | leftovers
    sentence: str
    repaired: bool = False
    fix: str | None = None  # what the director can do, where shotcraft cannot


class Checkup(BaseModel):
    findings: list[Finding] = Field(default_factory=list)
    backup: Path | None = None  # the copy made before the first repair

    @property
    def healthy(self) -> bool:
        return not self.findings

    @property
    def unrepaired(self) -> list[Finding]:
        return [finding for finding in self.findings if not finding.repaired]


def doctor(store: Store, *, repair: bool = True) -> Checkup:
    """Check the project and, unless `repair` is False, repair what can be repaired (after a
    backup of the database)."""
    checkup = Checkup()
    folder = store.root
    with store.db.engine.connect() as connection:
        problems = [row[0] for row in connection.execute(text("PRAGMA integrity_check")).all()]
    if problems != ["ok"]:
        checkup.findings.append(Finding(
            kind="database", sentence=f"{folder / 'shotcraft.db'} is damaged: "
            f"{'; '.join(str(p) for p in problems[:3])}.",
            fix="put back a backup of shotcraft.db (shotcraft.db.backup-*), or copy what reads "
                "into a new project."))
        return checkup  # nothing below is safe on a damaged file

    damaged = store.db.damaged_values()
    if repair and damaged:
        checkup.backup = backup_database(store.layout.db, "doctor")
    for value in damaged:
        finding = Finding(kind="value", sentence=(
            f"{value.where} has a damaged {value.column} value ({value.why})"),
            fix=f"shotcraft doctor {folder} resets it to empty (after a backup)")
        if repair:
            _reset(store, value)
            finding.repaired, finding.fix = True, None
            finding.sentence = (f"{value.where} had a damaged {value.column} value ({value.why}); "
                                "it was reset to empty")
            if value.table == "take" and value.column in ("scores", "explanations"):
                finding.fix = f"shotcraft rescore {folder} --shot {value.key.get('shot_id')}"
        finding.sentence += "."
        checkup.findings.append(finding)

    with store.db.read() as session:  # the columns alone: a damaged value cannot stop it
        takes = session.exec(select(TakeRow.number, TakeRow.shot_id, TakeRow.media_path).where(
            TakeRow.media_path != None)).all()  # noqa: E711
    for number, shot_id, media_path in takes:
        if not (store.layout.root / str(media_path)).is_file():
            checkup.findings.append(Finding(
                kind="media", sentence=f"take {number} of shot {shot_id} has no file: "
                f"{media_path} is gone.",
                fix=f"draw it again, or add the file with shotcraft add-take {folder} "
                    f"{shot_id} FILE"))

    if repair:
        recovered = recover_stale_jobs(store)
        if recovered:
            checkup.findings.append(Finding(
                kind="job", repaired=True, sentence=(
                    f"{recovered} takes were left drawing by a render that died; they went back "
                    "to the queue."),
                fix=f"shotcraft render {folder} draws them under their own numbers and seeds"))
        swept = sweep(store)
        if swept.total:
            checkup.findings.append(Finding(
                kind="leftovers", repaired=True, sentence=(
                    f"{swept.total} files left by runs that died were removed.")))
    return checkup


def _reset(store: Store, value: DamagedValue) -> None:
    """Write a damaged value's empty form (null where the column allows it), by raw SQL: the
    row cannot be read through the model while the value is damaged."""
    empty = None if value.nullable else value.empty
    stored = wrap(value.schema_name, empty) if value.schema_name else empty
    where = " AND ".join(f'"{name}" = :{name}' for name in value.key)
    with store.db.locked() as connection:
        connection.execute(text(f'UPDATE "{value.table}" SET "{value.column}" = :value WHERE {where}'),
                           {"value": json.dumps(stored), **value.key})
