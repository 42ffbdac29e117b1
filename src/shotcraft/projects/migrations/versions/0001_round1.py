"""Baseline: the schema shotcraft 0.1.0 (round 1) made with create_all().

A project made before recorded migrations has exactly these tables and no `alembic_version`;
opening it stamps it at this revision (see projects/schema.py). Written out by hand, not
generated from today's models, so it stays what round 1 wrote.

Revision ID: 0001_round1
Revises:
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_round1"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "project",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("fps", sa.Integer(), nullable=False),
        sa.Column("aspect", sa.String(), nullable=False),
        sa.Column("language", sa.String(), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column("script_path", sa.String(), nullable=True),
        sa.Column("script_format", sa.String(), nullable=True),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "episode",
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(), nullable=True),
        sa.Column("budget", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("number"),
    )
    op.create_table(
        "scene",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("episode", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("heading", sa.String(), nullable=False),
        sa.Column("location", sa.String(), nullable=False),
        sa.Column("time", sa.String(), nullable=True),
        sa.Column("interior", sa.Boolean(), nullable=True),
        sa.Column("characters", sa.JSON(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_scene_episode", "scene", ["episode"])
    op.create_table(
        "shot",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("episode", sa.Integer(), nullable=False),
        sa.Column("scene_id", sa.String(), nullable=False),
        sa.Column("order", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("size", sa.String(), nullable=False),
        sa.Column("camera_move", sa.String(), nullable=False),
        sa.Column("camera_intensity", sa.Float(), nullable=False),
        sa.Column("duration_frames", sa.Integer(), nullable=False),
        sa.Column("characters", sa.JSON(), nullable=False),
        sa.Column("action", sa.String(), nullable=True),
        sa.Column("dialogue", sa.JSON(), nullable=False),
        sa.Column("prompt", sa.String(), nullable=False),
        sa.Column("negative_prompt", sa.String(), nullable=False),
        sa.Column("first_keyframe", sa.JSON(), nullable=True),
        sa.Column("last_keyframe", sa.JSON(), nullable=True),
        sa.Column("takes_wanted", sa.Integer(), nullable=False),
        sa.Column("budget", sa.JSON(), nullable=True),
        sa.Column("picked_take", sa.Integer(), nullable=True),
        sa.Column("picked_keyframe", sa.Integer(), nullable=True),
        sa.Column("notes", sa.String(), nullable=True),
        sa.Column("source_lines", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(), nullable=False),
        sa.Column("edited", sa.JSON(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_shot_order", "shot", ["order"])
    op.create_index("ix_shot_content_hash", "shot", ["content_hash"])
    op.create_index("ix_shot_episode", "shot", ["episode"])
    op.create_index("ix_shot_scene_id", "shot", ["scene_id"])
    op.create_table(
        "character",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("description", sa.String(), nullable=True),
        sa.Column("references", sa.JSON(), nullable=False),
        sa.Column("first_scene", sa.String(), nullable=True),
        sa.Column("first_line", sa.Integer(), nullable=True),
        sa.Column("voice", sa.String(), nullable=True),
        sa.Column("order", sa.Integer(), nullable=False),
        sa.Column("edited", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "take",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shot_id", sa.String(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("origin", sa.String(), nullable=False),
        sa.Column("engine", sa.String(), nullable=False),
        sa.Column("engine_version", sa.String(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("reference_hashes", sa.JSON(), nullable=False),
        sa.Column("downgrades", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("media_path", sa.String(), nullable=True),
        sa.Column("thumbnail_path", sa.String(), nullable=True),
        sa.Column("duration_frames", sa.Integer(), nullable=True),
        sa.Column("fps", sa.Float(), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("explanations", sa.JSON(), nullable=False),
        sa.Column("cost_seconds", sa.Float(), nullable=False),
        sa.Column("cost_credits", sa.Float(), nullable=True),
        sa.Column("provider", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("shot_id", "number", name="uq_take_shot_number"),
    )
    op.create_index("ix_take_shot_id", "take", ["shot_id"])
    op.create_index("ix_take_status", "take", ["status"])
    op.create_table(
        "job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("take_id", sa.Integer(), nullable=False),
        sa.Column("shot_id", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("engine", sa.String(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("worker", sa.String(), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("provider_state", sa.JSON(), nullable=False),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_job_state", "job", ["state"])
    op.create_index("ix_job_shot_id", "job", ["shot_id"])
    op.create_index("ix_job_take_id", "job", ["take_id"], unique=True)


def downgrade() -> None:
    raise NotImplementedError("shotcraft upgrades only; restore the backup file to go back.")
