"""Stored JSON that carries its schema and version, upgraded on read (OpenTimelineIO-style).

A versioned column stores an envelope, `{"schema": "take.scores", "version": 2, "data": ...}`.
Reading unwraps it and runs the registered upgrade steps from the stored version up to the
current one (`@upgrader("take.scores", 1)` turns version 1 into version 2); a version newer than
this program knows is refused with a `ProjectError`. A bare value — what round 1 (0.1.0) wrote,
before envelopes — is version 1. `None` is stored as JSON `null` and is never wrapped.

The Alembic revision that introduced envelopes rewrites every stored row through this same
registry, so on disk every value is at the version the database revision says; reading old
versions in memory is the safety net, not the normal path.

To change a stored shape: bump `CURRENT[schema]`, add an `@upgrader(schema, old_version)` step,
and add an Alembic revision that calls `rewrite_column` for that column (see README, Upgrades).

A stored value that is not JSON, has no valid envelope or the wrong shape (a damaged file, a
hand edit) raises `StoredValueError` on read, never a bare JSONDecodeError; `damage(...)` says
what is wrong with a stored text, for the doctor (`shotcraft doctor DIR`) and for the sentence
that names the row.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import JSON, bindparam, select
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table
from sqlalchemy.types import TypeDecorator

from shotcraft.shots.errors import ProjectError

# schema name → the version this program writes
CURRENT: dict[str, int] = {
    "project.settings": 2,
    "episode.budget": 2,
    "shot.dialogue": 2,
    "shot.first_keyframe": 2,
    "shot.last_keyframe": 2,
    "shot.budget": 2,
    "take.params": 2,
    "take.scores": 2,
    "take.explanations": 2,
    "take.provider": 2,
    "job.options": 2,
    "job.provider_state": 2,
    "character.voice": 2,
}

# the container each schema holds (what `damage` checks a value against)
SHAPES: dict[str, type] = {schema: list if schema == "shot.dialogue" else dict for schema in CURRENT}


class StoredValueError(ProjectError):
    """A stored JSON value that cannot be read; `why` says what is wrong with it."""

    title = "Damaged value"

    def __init__(self, message: str, *, schema: str | None = None, why: str = "") -> None:
        super().__init__(message)
        self.schema, self.why = schema, why


Upgrade = Callable[[Any], Any]
_UPGRADERS: dict[tuple[str, int], Upgrade] = {}
_ENVELOPE_KEYS = frozenset({"schema", "version", "data"})


def upgrader(schema: str, version: int) -> Callable[[Upgrade], Upgrade]:
    """Register the step that turns `schema` data at `version` into `version + 1`."""

    def register(function: Upgrade) -> Upgrade:
        key = (schema, version)
        if key in _UPGRADERS:
            raise ValueError(f"{schema} already has an upgrade from version {version}")
        _UPGRADERS[key] = function
        return function

    return register


def wrap(schema: str, data: Any) -> Any:
    """The stored form of `data` at the current version (None stays None)."""
    if data is None:
        return None
    return {"schema": schema, "version": CURRENT[schema], "data": data}


def unwrap(schema: str, stored: Any, *, current: int | None = None) -> Any:
    """The data of a stored value, upgraded to the current version of `schema`."""
    if stored is None:
        return None
    target = CURRENT[schema] if current is None else current
    if isinstance(stored, dict) and stored.keys() == _ENVELOPE_KEYS and stored["schema"] == schema:
        version, data = stored["version"], stored["data"]
    else:
        version, data = 1, stored  # round 1 wrote bare values
    if not isinstance(version, int) or version < 1:
        raise ProjectError(f"a stored {schema} value has no valid version ({version!r}).")
    if version > target:
        raise ProjectError(
            f"a stored {schema} value is version {version}, newer than this shotcraft knows "
            f"({target}); upgrade shotcraft to read it."
        )
    while version < target:
        step = _UPGRADERS.get((schema, version))
        if step is None:
            raise ProjectError(f"shotcraft has no upgrade for {schema} version {version}.")
        data = step(data)
        version += 1
    return data


def damage(text: Any, *, schema: str | None = None, shape: type | None = None) -> str | None:
    """What is wrong with a stored JSON text (a few words), or None when it reads: not JSON,
    an envelope or version that does not read, or not the `shape` (list or dict) the column
    holds. `schema` names a versioned column's schema."""
    if text is None:
        return None
    try:
        value = json.loads(text) if isinstance(text, str | bytes) else text
    except ValueError:
        return "not JSON"
    if value is None:
        return None
    if schema is not None:
        try:
            value = unwrap(schema, value)
        except ProjectError as exc:
            return str(exc).rstrip(".")
        shape = SHAPES[schema]
        if schema == "take.scores" and isinstance(value, dict) and not _all_numbers(value):
            return "a score that is not a number"
    if shape is not None and not isinstance(value, shape):
        return f"a {type(value).__name__}, not a {shape.__name__}"
    return None


def _all_numbers(scores: dict[str, Any]) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in scores.values())


class CheckedJSON(TypeDecorator[Any]):
    """A plain JSON column (a list or a dict) whose damaged values raise StoredValueError."""

    impl = JSON
    cache_ok = True

    def __init__(self, shape: type) -> None:
        super().__init__()
        self.shape = shape

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        return _checked(super().result_processor(dialect, coltype), None, self.shape)


def _checked(inner: Any, schema: str | None, shape: type | None) -> Any:
    """A result processor that turns any failure to read a value into StoredValueError."""
    what = f"stored {schema} value" if schema else "stored value"

    def process(value: Any) -> Any:
        try:
            result = inner(value) if inner is not None else value
        except (ValueError, TypeError, KeyError, ProjectError) as exc:
            why = damage(value, schema=schema, shape=shape) or str(exc)
            raise StoredValueError(f"a {what} is damaged ({why}).", schema=schema,
                                   why=why) from exc
        if result is not None and (shape is not None and not isinstance(result, shape) or (
                schema == "take.scores" and not _all_numbers(result))):
            why = damage(value, schema=schema, shape=shape) or "the wrong shape"
            raise StoredValueError(f"a {what} is damaged ({why}).", schema=schema, why=why)
        return result

    return process


class VersionedJSON(TypeDecorator[Any]):
    """A JSON column whose values carry `schema` and a version; see the module docstring."""

    impl = JSON
    cache_ok = True

    def __init__(self, schema: str) -> None:
        if schema not in CURRENT:
            raise ValueError(f"unknown stored JSON schema {schema!r}")
        super().__init__()
        self.schema = schema
        # the envelope around a value, as json.dumps writes it, split around the value
        head = json.dumps({"schema": schema, "version": CURRENT[schema], "data": 0})
        self._prefix = head[: -len("0}")]

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return wrap(self.schema, value)

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return unwrap(self.schema, value)

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        return _checked(super().result_processor(dialect, coltype), self.schema,
                        SHAPES[self.schema])

    def text(self, value: Any) -> str:
        """Exactly the text SQLAlchemy stores for `value` (the bulk insert writes it directly)."""
        if value is None:
            return "null"
        return self._prefix + json.dumps(value) + "}"


def stored_text(column_type: Any, value: Any) -> str:
    """The JSON text a plain or versioned JSON column stores for `value`."""
    if isinstance(column_type, VersionedJSON):
        return column_type.text(value)
    if value is None:
        return "null"
    return json.dumps(value)


def json_text_encoder(column_type: Any) -> Callable[[Any], str]:
    """A fast `stored_text` for one column: empty values are constants (bulk inserts)."""
    dumps = column_type.text if isinstance(column_type, VersionedJSON) else json.dumps
    empty_list, empty_dict = dumps([]), dumps({})

    def encode(value: Any) -> str:
        if value is None:
            return "null"
        if not value:
            if type(value) is list:
                return empty_list
            if type(value) is dict:
                return empty_dict
        return dumps(value)

    return encode


# -- upgrade steps ---------------------------------------------------------------------------
# Version 1 is what round 1 (0.1.0) stored: the bare value, no envelope. Version 2 is the same
# data inside the envelope. Round-1 values are read as written by today's code (checked against
# convert.py, ranking.py and render.py), so each 1 → 2 step keeps the data and only checks that
# it has the shape round 1 always wrote; anything else is a damaged row, said in one sentence.


def _expect(schema: str, data: Any, kind: type | tuple[type, ...]) -> Any:
    if not isinstance(data, kind):
        raise ProjectError(f"a stored {schema} value is {type(data).__name__}, not the shape round 1 wrote.")
    return data


@upgrader("take.scores", 1)
def _take_scores_1(data: Any) -> dict[str, float]:
    # round 1: metric name → value 0..1 (TakeScores.as_dict); JSON may hold 1 as an int
    scores = _expect("take.scores", data, dict)
    return {str(name): float(value) for name, value in scores.items()}


@upgrader("take.explanations", 1)
def _take_explanations_1(data: Any) -> dict[str, str]:
    # round 1: metric name → one sentence
    return {str(name): str(text) for name, text in _expect("take.explanations", data, dict).items()}


@upgrader("shot.dialogue", 1)
def _shot_dialogue_1(data: Any) -> list[dict[str, Any]]:
    return list(_expect("shot.dialogue", data, list))


def _dict_step(schema: str) -> Upgrade:
    def step(data: Any) -> dict[str, Any]:
        return dict(_expect(schema, data, dict))

    step.__name__ = f"_{schema.replace('.', '_')}_1"
    return step


for _schema in ("project.settings", "episode.budget", "shot.first_keyframe", "shot.last_keyframe",
                "shot.budget", "take.params", "take.provider", "job.options", "job.provider_state"):
    upgrader(_schema, 1)(_dict_step(_schema))


@upgrader("character.voice", 1)
def _character_voice_1(data: Any) -> dict[str, Any]:
    # before 0007 the column held an espeak-ng voice name as bare text (never set by the CLI)
    if isinstance(data, str):
        return {"engine": "espeak", "voice": data}
    return dict(_expect("character.voice", data, dict))


def rewrite_column(connection: Any, table: str, key: str, column: str) -> int:
    """Rewrite every value of `table.column` at the current version (for Alembic revisions).

    The schema name is "table.column". Values already current are written back unchanged, so
    a later revision can call this again after bumping the version. Returns the rows written.
    """
    schema = f"{table}.{column}"
    target = sql_table(table, sql_column(key), sql_column(column, JSON()))
    rows = connection.execute(select(target.c[key], target.c[column])).all()
    values = [{"_key": pk, "_value": wrap(schema, unwrap(schema, stored))} for pk, stored in rows]
    if values:
        statement = (target.update().where(target.c[key] == bindparam("_key"))
                     .values({column: bindparam("_value", type_=JSON())}))
        connection.execute(statement, values)
    return len(values)
