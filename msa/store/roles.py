"""``msa db grant-app-role ROLE``: a least-privilege role for the services, separate from the role that owns the
schema (the one ``msa db upgrade`` runs as).

The services need to read and write their tables, but the audit trail (``alert_events``) is append-only: the
application role may INSERT and SELECT it, never UPDATE, DELETE or TRUNCATE it (the triggers refuse those to
everyone; this refuses them before the triggers, and the application role, not owning the table, cannot drop
the triggers). Run the migrations as the owner, the services as this role (``MSA_DATABASE_URL``).
"""

from __future__ import annotations

import re

from sqlalchemy import create_engine, text

__all__ = ["APPEND_ONLY_TABLES", "grant_app_role"]

APPEND_ONLY_TABLES = ("alert_events",)
_ROLE = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def grant_app_role(database_url: str, role: str, password: str | None = None) -> list[str]:
    """Create ``role`` (LOGIN, no other attribute) if missing and grant it what the services need, in the
    database of ``database_url`` (connected as the schema's owner). Idempotent; returns the statements run."""
    if not _ROLE.fullmatch(role):
        raise ValueError(f"role name {role!r}: use [a-z_][a-z0-9_]*")
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    done: list[str] = []
    try:
        with engine.connect() as conn:
            database = conn.execute(text("SELECT current_database()")).scalar_one()
            owner = conn.execute(text("SELECT current_user")).scalar_one()
            exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
            stmts = [] if exists else [f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE']
            stmts += [
                f'GRANT CONNECT ON DATABASE "{database}" TO "{role}"',
                f'GRANT USAGE ON SCHEMA public TO "{role}"',
                f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"',
                f'GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO "{role}"',
                f'ALTER DEFAULT PRIVILEGES FOR ROLE "{owner}" IN SCHEMA public '
                f'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "{role}"',
                f'ALTER DEFAULT PRIVILEGES FOR ROLE "{owner}" IN SCHEMA public '
                f'GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO "{role}"',
                *(f'REVOKE UPDATE, DELETE, TRUNCATE ON "{t}" FROM "{role}"' for t in APPEND_ONLY_TABLES),
            ]
            for stmt in stmts:
                conn.execute(text(stmt))
                done.append(stmt)
            if password is not None:
                conn.exec_driver_sql(f'ALTER ROLE "{role}" PASSWORD {_literal(password)}')  # no bind: raw SQL
                done.append(f'ALTER ROLE "{role}" PASSWORD ***')
    finally:
        engine.dispose()
    return done


def _literal(value: str) -> str:
    """A SQL string literal (ALTER ROLE takes no bind parameter)."""
    return "'" + value.replace("'", "''") + "'"
