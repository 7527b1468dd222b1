"""``msa db upgrade|downgrade|current``: Alembic migrations of the PostGIS store; ``msa db grant-app-role``: the
services' least-privilege role (``msa.store.roles``)."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["alembic_config", "register", "upgrade"]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> object:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "heads") -> None:
    import logging

    from alembic import command

    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    command.upgrade(alembic_config(database_url), revision)  # type: ignore[arg-type]


def cmd_upgrade(args: argparse.Namespace) -> int:
    from msa.settings import load_settings

    upgrade(args.url or load_settings().database_url, args.revision)
    return 0


def cmd_downgrade(args: argparse.Namespace) -> int:
    from alembic import command

    from msa.settings import load_settings

    command.downgrade(alembic_config(args.url or load_settings().database_url), args.revision)  # type: ignore[arg-type]
    return 0


def cmd_current(args: argparse.Namespace) -> int:
    from alembic import command

    from msa.settings import load_settings

    command.current(alembic_config(args.url or load_settings().database_url))  # type: ignore[arg-type]
    return 0


def cmd_grant_app_role(args: argparse.Namespace) -> int:
    import os

    from msa.settings import load_settings
    from msa.store.roles import grant_app_role

    password = os.environ.get(args.password_env) if args.password_env else None
    if args.password_env and not password:
        raise SystemExit(f"${args.password_env} is empty")
    for stmt in grant_app_role(args.url or load_settings().database_url, args.role, password):
        print(stmt)
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("db", help="database migrations (Alembic)")
    dsub = p.add_subparsers(dest="db_command", required=True)
    for name, func, default in (("upgrade", cmd_upgrade, "heads"), ("downgrade", cmd_downgrade, "-1")):
        c = dsub.add_parser(name, help=f"{name} the schema (default {default})")
        c.add_argument("revision", nargs="?", default=default)
        c.add_argument("--url", help="database URL (default MSA_DATABASE_URL)")
        c.set_defaults(func=func)
    cur = dsub.add_parser("current", help="show the current revision")
    cur.add_argument("--url")
    cur.set_defaults(func=cmd_current)
    g = dsub.add_parser("grant-app-role", help="create/grant the services' least-privilege role (run as the "
                                               "schema's owner, after `msa db upgrade`)")
    g.add_argument("role")
    g.add_argument("--url", help="database URL of the schema's owner (default MSA_DATABASE_URL)")
    g.add_argument("--password-env", help="set the role's password from this environment variable")
    g.set_defaults(func=cmd_grant_app_role)
