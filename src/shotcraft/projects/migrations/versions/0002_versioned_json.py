"""Stored JSON carries its schema version; drop project.schema_version.

Every versioned JSON value (projects/stored_json.py: take params/scores/explanations/provider,
project settings, episode and shot budgets, shot dialogue and keyframes, job options and
provider state) is rewritten from round 1's bare value to the current envelope through the
upgrade registry. `project.schema_version` (always 1) goes: the database's revision is in
`alembic_version` now, and two places to say it would drift.

Revision ID: 0002_versioned_json
Revises: 0001_round1
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

from shotcraft.projects.stored_json import rewrite_column

revision = "0002_versioned_json"
down_revision = "0001_round1"
branch_labels = None
depends_on = None

# table, primary key, column; the schema name is "table.column"
COLUMNS = [
    ("project", "id", "settings"),
    ("episode", "number", "budget"),
    ("shot", "id", "dialogue"),
    ("shot", "id", "first_keyframe"),
    ("shot", "id", "last_keyframe"),
    ("shot", "id", "budget"),
    ("take", "id", "params"),
    ("take", "id", "scores"),
    ("take", "id", "explanations"),
    ("take", "id", "provider"),
    ("job", "id", "options"),
    ("job", "id", "provider_state"),
]


def upgrade() -> None:
    connection = op.get_bind()
    for table, key, column in COLUMNS:
        rewrite_column(connection, table, key, column)
    with op.batch_alter_table("project") as batch:
        batch.drop_column("schema_version")


def downgrade() -> None:
    raise NotImplementedError("shotcraft upgrades only; restore the backup file to go back.")
