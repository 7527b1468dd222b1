"""Every statement that appends to the live-feed log notifies ``msa_feed`` (PostgreSQL LISTEN/NOTIFY, delivered
at commit): the API forwards new events at once instead of polling.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE FUNCTION alert_feed_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('msa_feed', '');  -- identical notifications of one transaction are sent once
            RETURN NULL;
        END $$;
    """)
    op.execute("""
        CREATE TRIGGER alert_feed_notify AFTER INSERT ON alert_feed
        FOR EACH STATEMENT EXECUTE FUNCTION alert_feed_notify();
    """)


def downgrade() -> None:
    op.execute("DROP TRIGGER alert_feed_notify ON alert_feed")
    op.execute("DROP FUNCTION alert_feed_notify()")
