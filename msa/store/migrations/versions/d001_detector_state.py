"""Streaming detector state: per-partition engine state checkpointed with the partition's next offset.

One row per (consumer group, topic, partition). The detector writes the engine state of a partition and the
offset of the first record that state does not include in ONE transaction, so a restart resumes exactly
where the durable state says and replays the rest.

Revision ID: d001
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d001"
down_revision = "0001"
branch_labels = ("detector",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "detector_checkpoints",
        sa.Column("group_id", sa.String(255), nullable=False),
        sa.Column("topic", sa.String(255), nullable=False),
        sa.Column("partition", sa.Integer, nullable=False),
        sa.Column("next_offset", sa.BigInteger, nullable=False),
        sa.Column("state", sa.LargeBinary),
        sa.Column("instance_id", sa.String(255), nullable=False, server_default=""),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("group_id", "topic", "partition", name="pk_detector_checkpoints"),
    )


def downgrade() -> None:
    op.drop_table("detector_checkpoints")
