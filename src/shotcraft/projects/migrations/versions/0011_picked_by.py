"""Picks and rejects say who made them: the director, `pick --auto`, or an edit read back.

`shot.picked_by` and `take.rejected_by` (nullable text, a `shots.models.MadeBy` value:
director, auto, import-edit). Only the director's teach the ranker. A pick made before this
revision could have come from any of the three, so it stays NULL (not recorded) and teaches
nothing until the director picks again; a take rejected before it can only have been rejected
by hand (nothing else rejects), so it is recorded as the director's.

Revision ID: 0011_picked_by
Revises: 0010_take_drawn_from
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_picked_by"
down_revision = "0010_take_drawn_from"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("shot") as batch:
        batch.add_column(sa.Column("picked_by", sa.String(), nullable=True))
    with op.batch_alter_table("take") as batch:
        batch.add_column(sa.Column("rejected_by", sa.String(), nullable=True))
    op.execute("UPDATE take SET rejected_by = 'director' WHERE status = 'rejected'")


def downgrade() -> None:
    raise NotImplementedError("shotcraft upgrades only; restore the backup file to go back.")
