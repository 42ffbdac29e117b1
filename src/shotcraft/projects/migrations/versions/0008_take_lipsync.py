"""Lip-sync takes: a take made from a video take of its shot plus that shot's dialogue audio.

`take.kind` gains the value "lipsync" (a string column: no change). Two nullable columns say
where a lip-sync take came from: `take.parent_take` (the number of the video take it re-animates)
and `take.audio_hash` (SHA-256 of the dialogue audio it was made to speak, so a changed line
shows which lip-sync takes are stale). Every take drawn before this revision is a video or a
still and gets NULL in both.

Revision ID: 0008_take_lipsync
Revises: 0007_character_voice
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_take_lipsync"
down_revision = "0007_character_voice"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("take") as batch:
        batch.add_column(sa.Column("parent_take", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("audio_hash", sa.String(), nullable=True))


def downgrade() -> None:
    raise NotImplementedError("shotcraft upgrades only; restore the backup file to go back.")
