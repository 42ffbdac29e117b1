"""Shots remember the trim an editor gave them.

`shot.trim_in` and `shot.trim_out` (nullable integers): the frames of the picked take, at the
episode's fps, that the shot plays — from `trim_in` (inclusive) to `trim_out` (exclusive) — as
set by `shotcraft import-edit` from an edit that trimmed the clip. NULL, which every existing
shot gets, means untrimmed: the take plays from its first frame for the shot's duration.

Revision ID: 0006_shot_trim
Revises: 0005_take_reject_reason
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_shot_trim"
down_revision = "0005_take_reject_reason"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("shot") as batch:
        batch.add_column(sa.Column("trim_in", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("trim_out", sa.Integer(), nullable=True))


def downgrade() -> None:
    raise NotImplementedError("shotcraft upgrades only; restore the backup file to go back.")
