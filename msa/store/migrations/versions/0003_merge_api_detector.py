"""Merge the API (0002) and detector-state (d001) branches into one head.

Revision ID: 0003
Revises: 0002, d001
Create Date: 2026-11-25
"""

from __future__ import annotations

revision = "0003"
down_revision = ("0002", "d001")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
