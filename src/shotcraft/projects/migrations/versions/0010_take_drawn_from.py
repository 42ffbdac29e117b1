"""Takes know what they were drawn from; shots have an angle; characters keep appearance apart
from biography.

- `take.spec_hash` and `take.drawn_from` (JSON): the shot's spec and the in-frame characters'
  reference images a take was drawn from (shots.spec.drawn_from), so a take whose shot or
  faces changed since is outdated. Every take drawn before gets NULL in both and is never
  called outdated (there is nothing to compare).
- `shot.angle`: the camera angle a writer's note or the director set (high, low, overhead, pov,
  dutch); NULL, eye level, for every existing shot.
- `character.description` becomes `character.appearance` (what a camera sees, the only words
  prompts use) and `character.biography` (who they are). An existing description is split by
  the same rule the bible uses (storyboard.appearance.split_description); a description the
  director wrote by hand ("description" in `edited`) is kept whole as the appearance, and the
  edit mark follows it ("appearance").

Revision ID: 0010_take_drawn_from
Revises: 0009_provider_state
Create Date: 2026-12-12
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from shotcraft.storyboard.appearance import split_description

revision = "0010_take_drawn_from"
down_revision = "0009_provider_state"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("take") as batch:
        batch.add_column(sa.Column("spec_hash", sa.String(), nullable=True))
        batch.add_column(sa.Column("drawn_from", sa.JSON(), nullable=True))
    with op.batch_alter_table("shot") as batch:
        batch.add_column(sa.Column("angle", sa.String(), nullable=True))
    connection = op.get_bind()
    kept = connection.execute(sa.text(
        "SELECT name, description, edited FROM character")).all()
    with op.batch_alter_table("character") as batch:
        batch.add_column(sa.Column("appearance", sa.String(), nullable=True))
        batch.add_column(sa.Column("biography", sa.String(), nullable=True))
        batch.drop_column("description")
    for name, description, edited in kept:
        marks = json.loads(edited) if isinstance(edited, str) else list(edited or [])
        if "description" in marks:
            appearance, biography = description, None  # the director's words, kept whole
            marks = sorted({*(m for m in marks if m != "description"), "appearance"})
        else:
            appearance, biography = split_description(description)
        connection.execute(
            sa.text("UPDATE character SET appearance = :appearance, biography = :biography, "
                    "edited = :edited WHERE name = :name"),
            {"appearance": appearance, "biography": biography, "edited": json.dumps(marks),
             "name": name})


def downgrade() -> None:
    raise NotImplementedError("shotcraft upgrades only; restore the backup file to go back.")
