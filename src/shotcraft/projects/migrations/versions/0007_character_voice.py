"""Characters carry a voice: engine, voice id, speed, pitch, language.

`character.voice` becomes versioned JSON (schema "character.voice", version 2):
`{"engine", "voice", "speed", "pitch", "language"}` (storyboard.voices.Voice). Before, the column
was text that nothing set; any text found is kept as an espeak-ng voice id. NULL, which every
existing character gets, means the character speaks in a default voice no other has.

Revision ID: 0007_character_voice
Revises: 0006_shot_trim
Create Date: 2026-12-07
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from shotcraft.projects.stored_json import unwrap, wrap

revision = "0007_character_voice"
down_revision = "0006_shot_trim"
branch_labels = None
depends_on = None


def upgrade() -> None:
    connection = op.get_bind()
    # text cast to JSON in SQLite would become a number: carry the values across in Python
    kept = connection.execute(sa.text(
        "SELECT name, voice FROM character WHERE voice IS NOT NULL AND trim(voice) != ''")).all()
    connection.execute(sa.text("UPDATE character SET voice = NULL"))
    with op.batch_alter_table("character") as batch:
        batch.alter_column("voice", type_=sa.JSON(), existing_type=sa.String(),
                           existing_nullable=True)
    for name, text in kept:
        stored = wrap("character.voice", unwrap("character.voice", text.strip()))
        connection.execute(sa.text("UPDATE character SET voice = :voice WHERE name = :name"),
                           {"voice": json.dumps(stored), "name": name})


def downgrade() -> None:
    raise NotImplementedError("shotcraft upgrades only; restore the backup file to go back.")
