"""Provider-owned state: what an engine keeps in the project moves out of the domain tables.

A new table `provider_state` (provider, kind, subject → JSON value) holds what an engine or a
provider remembers about a subject of the project. The Kling element each character had in
`character.kling_element` (migration 0004) becomes the row ("kling", "element", <name>) with
the same record, `{"id", "region", "references_hash", "created_at"}`; the column is dropped, so
the character table holds only the bible. A character without an element gets no row, as its
NULL meant none made yet.

Revision ID: 0009_provider_state
Revises: 0008_take_lipsync
Create Date: 2026-12-07
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0009_provider_state"
down_revision = "0008_take_lipsync"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "provider_state",
        sa.Column("provider", sa.String(), primary_key=True),
        sa.Column("kind", sa.String(), primary_key=True),
        sa.Column("subject", sa.String(), primary_key=True),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.text(
        "SELECT name, kling_element FROM character WHERE kling_element IS NOT NULL")).fetchall()
    now = datetime.now(UTC).replace(tzinfo=None)
    for name, stored in rows:
        record = json.loads(stored) if isinstance(stored, str) else stored
        if not isinstance(record, dict) or not record:
            continue  # JSON null, or an empty record: none was made
        connection.execute(
            sa.text("INSERT INTO provider_state (provider, kind, subject, value, updated_at) "
                    "VALUES ('kling', 'element', :name, :value, :now)"),
            {"name": name, "value": json.dumps(record, ensure_ascii=False), "now": now})
    with op.batch_alter_table("character") as batch:
        batch.drop_column("kling_element")


def downgrade() -> None:
    raise NotImplementedError("shotcraft upgrades only; restore the backup file to go back.")
