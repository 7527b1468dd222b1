"""``msa db grant-app-role``: the services run as a role that can store alerts and append to the audit trail but
not rewrite it — UPDATE, DELETE and TRUNCATE of ``alert_events`` are refused by permission, and the role, not
owning the table, cannot drop its triggers."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from services.api.db import make_engine
from services.api.sinkstore import upsert_alert
from tests.unit.api.builders import alert

pytestmark = pytest.mark.integration


async def _store_one(url: str, zone: str) -> None:
    engine = make_engine(url, pool_size=1)
    try:
        async with engine.begin() as conn:  # what the sink does: an alert and its 'created' audit row
            await upsert_alert(conn, alert(zone=zone))
    finally:
        await engine.dispose()


def test_the_app_role_appends_to_the_audit_trail_and_cannot_rewrite_it(own_database_url: str) -> None:
    role = f"msa_app_{uuid.uuid4().hex[:8]}"
    done = subprocess.run([sys.executable, "-m", "msa.cli", "db", "grant-app-role", role, "--url", own_database_url],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "REVOKE UPDATE, DELETE, TRUNCATE" in done.stdout
    app_url = make_url(own_database_url).set(username=role, password=None).render_as_string(hide_password=False)
    try:
        asyncio.run(_store_one(app_url, f"z{role}"))
        sync = create_engine(app_url, isolation_level="AUTOCOMMIT")
        try:
            with sync.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM alert_events")).scalar_one() == 1
                for stmt in ("UPDATE alert_events SET actor = 'forger'", "DELETE FROM alert_events",
                             "TRUNCATE alert_events", "DROP TRIGGER alert_events_no_truncate ON alert_events",
                             "ALTER TABLE alert_events DISABLE TRIGGER ALL"):
                    with pytest.raises(ProgrammingError, match=r"permission denied|must be owner"):
                        conn.execute(text(stmt))
                assert conn.execute(text("SELECT count(*) FROM alert_events")).scalar_one() == 1
        finally:
            sync.dispose()
        again = subprocess.run([sys.executable, "-m", "msa.cli", "db", "grant-app-role", role, "--url",
                                own_database_url], capture_output=True, text=True, timeout=60, check=False)
        assert again.returncode == 0 and "CREATE ROLE" not in again.stdout  # idempotent
    finally:
        admin = create_engine(own_database_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()
