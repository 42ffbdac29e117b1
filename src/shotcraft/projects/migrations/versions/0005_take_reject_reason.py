"""Rejected takes remember why the director threw them away.

`take.reject_reason` (nullable text): one of face, hands, body, motion, continuity, artefact,
other (`shots.models.RejectReason`). NULL means none was given — which every take rejected
before this revision gets, so an upgraded project keeps its rejects, just without a reason.

Revision ID: 0005_take_reject_reason
Revises: 0004_character_kling_element
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_take_reject_reason"
down_revision = "0004_character_kling_element"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("take") as batch:
        batch.add_column(sa.Column("reject_reason", sa.String(), nullable=True))


def downgrade() -> None:
    raise NotImplementedError("shotcraft upgrades only; restore the backup file to go back.")
