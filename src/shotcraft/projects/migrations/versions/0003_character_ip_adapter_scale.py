"""Characters carry their own IP-Adapter scale.

`character.ip_adapter_scale` (nullable float, 0-1): how strongly the diffusers keyframe stage
follows this character's reference images. NULL, which every existing character gets, means
the engine's default (SHOTCRAFT_DIFFUSERS_IP_ADAPTER_SCALE), so old projects draw as before.

Revision ID: 0003_character_ip_adapter_scale
Revises: 0002_versioned_json
Create Date: 2026-12-09
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_character_ip_adapter_scale"
down_revision = "0002_versioned_json"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("character") as batch:
        batch.add_column(sa.Column("ip_adapter_scale", sa.Float(), nullable=True))


def downgrade() -> None:
    raise NotImplementedError("shotcraft upgrades only; restore the backup file to go back.")
