"""Bearer tokens can be revoked before they expire (``msa tokens revoke``): their ids (``jti``) are listed here
until their own expiry; the API refuses them and ends their live feeds.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "revoked_tokens",
        sa.Column("jti", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=True),  # the token's subject, for the operator's records
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("revoked_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.Column("expires_ts", TZ, nullable=True),  # the token's own exp: the row matters no longer after it
    )


def downgrade() -> None:
    op.drop_table("revoked_tokens")
