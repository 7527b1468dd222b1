"""``msa schemas export|check``: the JSON Schemas and AsyncAPI document generated from the code."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["register"]


def cmd_export(args: argparse.Namespace) -> int:
    from msa.contracts.schemas import export_schemas

    for path in export_schemas(Path(args.dir)):
        print(path)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from msa.contracts.schemas import render_schemas

    stale = [name for name, text in render_schemas().items()
             if not (Path(args.dir) / name).exists() or (Path(args.dir) / name).read_text() != text]
    for name in stale:
        print(f"schema out of date: {name} (run `msa schemas export`)", file=sys.stderr)
    return 1 if stale else 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("schemas", help="JSON Schemas and AsyncAPI of the topics")
    ssub = p.add_subparsers(dest="schemas_command", required=True)
    e = ssub.add_parser("export", help="write schemas/*.json from the code")
    e.add_argument("--dir", default="schemas")
    e.set_defaults(func=cmd_export)
    c = ssub.add_parser("check", help="exit 1 if the checked-in schemas differ from the code")
    c.add_argument("--dir", default="schemas")
    c.set_defaults(func=cmd_check)
