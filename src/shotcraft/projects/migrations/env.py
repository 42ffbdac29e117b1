"""Alembic environment for a shotcraft project database.

At run time `projects/schema.py` passes an open connection (inside its write transaction) in
`config.attributes["connection"]`; a developer's `scripts/new_migration.py` passes a URL in
`sqlalchemy.url` instead. SQLite gets batch mode so later revisions can alter columns.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import create_engine
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

import shotcraft.projects.db  # noqa: F401  (registers the tables on SQLModel.metadata)
from shotcraft.projects.stored_json import CheckedJSON, VersionedJSON

config = context.config


def _render_item(kind: str, obj: Any, autogen_context: Any) -> Any:
    # a versioned or checked column is plain JSON in DDL; revisions never import the column type
    if kind == "type" and isinstance(obj, VersionedJSON | CheckedJSON):
        return "sa.JSON()"
    if kind == "type" and isinstance(obj, AutoString):  # sqlmodel's str column is VARCHAR
        return "sa.String()"
    return False


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=SQLModel.metadata,
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")
    with engine.connect() as fresh:
        _run(fresh)
        fresh.commit()
    engine.dispose()
