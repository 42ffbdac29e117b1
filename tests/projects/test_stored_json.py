"""Stored JSON carries its schema version; old versions are upgraded on read, new ones refused."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing

import pytest
from sqlalchemy import update

from shotcraft.projects import Project, stored_json
from shotcraft.projects.db import ShotRow, TakeRow
from shotcraft.projects.stored_json import (
    CURRENT,
    VersionedJSON,
    stored_text,
    unwrap,
    upgrader,
    wrap,
)
from shotcraft.shots.errors import ProjectError


def raw(project: Project, sql: str) -> list[tuple]:
    with closing(sqlite3.connect(project.layout.db)) as conn:
        return conn.execute(sql).fetchall()


def test_new_rows_store_the_envelope_with_the_current_version(project: Project) -> None:
    ((settings,),) = raw(project, "SELECT settings FROM project")
    assert json.loads(settings) == {"schema": "project.settings", "version": CURRENT["project.settings"],
                                    "data": {}}
    dialogue = json.loads(raw(project, "SELECT dialogue FROM shot WHERE dialogue LIKE '%speaker%'")[0][0])
    assert dialogue["schema"] == "shot.dialogue" and dialogue["data"][0]["speaker"] in {"顾言", "林晚"}


def test_the_bulk_import_writes_exactly_what_the_column_type_writes(project: Project) -> None:
    shot = next(s for s in project.shots() if s.dialogue)
    (before,) = raw(project, f"SELECT dialogue, budget, first_keyframe, characters FROM shot WHERE id = '{shot.id}'")
    with project.db.write() as session:
        row = session.get(ShotRow, shot.id)
        assert row is not None
        session.execute(update(ShotRow).where(ShotRow.id == shot.id).values(
            dialogue=list(row.dialogue), budget=row.budget, first_keyframe=row.first_keyframe,
            characters=list(row.characters)))
    (after,) = raw(project, f"SELECT dialogue, budget, first_keyframe, characters FROM shot WHERE id = '{shot.id}'")
    assert before == after
    assert before[1] == "null"  # no budget: JSON null, never an envelope around nothing


def test_stored_text_matches_json_dumps_of_the_envelope() -> None:
    for value in ({}, [], {"a": [1, 2.5, None, "林"]}, [{"speaker": "x"}], None):
        column = VersionedJSON("shot.dialogue")
        expected = "null" if value is None else json.dumps(wrap("shot.dialogue", value))
        assert stored_text(column, value) == expected


def test_a_round1_bare_value_is_version_1_and_reads_upgraded() -> None:
    assert unwrap("take.scores", {"motion": 1, "sharpness": 0.25}) == {"motion": 1.0, "sharpness": 0.25}
    assert isinstance(unwrap("take.scores", {"motion": 1})["motion"], float)
    assert unwrap("take.explanations", {"motion": 7}) == {"motion": "7"}
    assert unwrap("take.params", wrap("take.params", {"seed": 3})) == {"seed": 3}
    assert unwrap("shot.budget", None) is None


def test_a_damaged_round1_value_is_refused_in_one_sentence() -> None:
    with pytest.raises(ProjectError, match="take.scores value is list, not the shape round 1 wrote"):
        unwrap("take.scores", [1, 2])


def test_upgrade_steps_run_in_order_up_to_the_current_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(CURRENT, "test.clip", 3)
    monkeypatch.setattr(stored_json, "_UPGRADERS", dict(stored_json._UPGRADERS))

    @upgrader("test.clip", 1)
    def seconds_to_frames(data: dict) -> dict:
        return {"frames": round(data["seconds"] * 30)}

    @upgrader("test.clip", 2)
    def name_the_rate(data: dict) -> dict:
        return {**data, "rate": 30}

    assert unwrap("test.clip", {"seconds": 1.5}) == {"frames": 45, "rate": 30}
    assert unwrap("test.clip", {"schema": "test.clip", "version": 2, "data": {"frames": 9}}) == {
        "frames": 9, "rate": 30}
    with pytest.raises(ValueError, match="already has an upgrade"):
        upgrader("test.clip", 1)(seconds_to_frames)


def test_a_value_from_a_newer_shotcraft_is_refused_on_read(project: Project) -> None:
    shot_id = project.shots()[0].id
    with project.db.write() as session:
        session.add(TakeRow(shot_id=shot_id, number=1, status="done", scores={"motion": 0.5}))
    assert project.takes(shot_id)[0].take.scores == {"motion": 0.5}
    future = json.dumps({"schema": "take.scores", "version": 99, "data": {"motion": 0.5}})
    with closing(sqlite3.connect(project.layout.db)) as conn, conn:
        conn.execute("UPDATE take SET scores = ?", (future,))
    with pytest.raises(ProjectError, match=r"take.scores value is version 99, newer than this shotcraft"):
        project.takes(shot_id)


def test_the_bulk_encoder_writes_what_stored_text_writes() -> None:
    from sqlalchemy import JSON

    from shotcraft.projects.stored_json import json_text_encoder

    for column_type in (JSON(), VersionedJSON("take.params")):
        encode = json_text_encoder(column_type)
        for value in (None, [], {}, [1], {"k": "林"}, 0, ""):
            assert encode(value) == stored_text(column_type, value)
