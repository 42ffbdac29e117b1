"""Characters remember the Kling element made from their references.

`character.kling_element` (nullable JSON): `{"id", "region", "references_hash", "created_at"}`,
the Kling element (a reusable subject, POST /v1/general/advanced-custom-elements) built from
the character's usable reference images. It is not a secret: it names a subject in the
account's element library. NULL, which every existing character gets, means none has been made
yet; the next Kling render of a shot with the character makes one.

Revision ID: 0004_character_kling_element
Revises: 0003_character_ip_adapter_scale
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_character_kling_element"
down_revision = "0003_character_ip_adapter_scale"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("character") as batch:
        batch.add_column(sa.Column("kling_element", sa.JSON(), nullable=True))


def downgrade() -> None:
    raise NotImplementedError("shotcraft upgrades only; restore the backup file to go back.")
