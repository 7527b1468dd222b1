"""Commands: ``msa sink``, ``msa api``, ``msa partner-router``, ``msa tokens create``, ``msa apikeys create``,
``msa partners set|list``. Heavy imports happen inside the handlers."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from pathlib import Path
from typing import cast

__all__ = ["NO_ZONES", "register", "token_zones"]

ROLES = ("officer", "supervisor", "partner", "tester", "admin")


def _zones(text: str | None) -> list[str]:
    from services.api.zone_scope import split_zones

    return split_zones(text)


def _sink(args: argparse.Namespace) -> int:
    from services.api.metrics import SinkMetrics
    from services.api.settings import load_api_settings
    from services.api.sink import run_sink

    settings = load_api_settings()
    metrics = SinkMetrics()
    if args.metrics_port:
        from prometheus_client import start_http_server

        start_http_server(args.metrics_port, addr="127.0.0.1", registry=metrics.registry)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_sink(settings, topic=args.topic, group=args.group, metrics=metrics,
                             instance=args.instance))
    return 0


def _router(args: argparse.Namespace) -> int:
    from services.api.partner_router import run_partner_router
    from services.api.settings import load_api_settings

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_partner_router(load_api_settings(), topic=args.topic, group=args.group,
                                       instance=args.instance, alive_file=args.alive_file))
    return 0


def _api(args: argparse.Namespace) -> int:
    import uvicorn

    from geo.zones import ZoneFileError
    from services.api.app import create_app
    from services.api.settings import SigningKeyError, load_api_settings

    settings = load_api_settings()
    host = args.host or settings.api_host
    port = args.port or settings.api_port
    try:
        app = create_app(settings)
    except (SigningKeyError, ZoneFileError) as exc:
        print(f"msa api: {exc}", file=sys.stderr)
        return 2
    print(f"MSA API on http://{host}:{port}/ (map: /map, docs: /docs)", file=sys.stderr)
    uvicorn.run(app, host=host, port=port, log_level=args.log_level_uvicorn, proxy_headers=False,
                server_header=False)
    return 0


NO_ZONES = "none"  # --zones none: a token that deliberately sees no zone


def token_zones(role: str, text: str | None, known: set[str]) -> tuple[list[str], str | None]:
    """The zones of a new token, or an error saying how to give them. Admins and testers see every zone by
    default; officers, supervisors and partners must be given theirs (``*`` = all), or ``none`` on purpose.
    Names must be known zones or regions (``known``; not checked when empty)."""
    if text is None or not text.strip():
        if role in ("admin", "tester"):
            return ["*"], None
        article = "an" if role[0] in "aeiou" else "a"
        return [], (f"{article} {role} token needs --zones: '*' for every zone, or zone/region names "
                    "(comma-separated, ';' when a name has a comma), or 'none' for a token that sees nothing")
    if text.strip().lower() == NO_ZONES:
        return [], None
    zones = _zones(text)
    unknown = [z for z in zones if z != "*" and known and z not in known]
    if unknown:
        return [], (f"unknown zone(s) {', '.join(repr(z) for z in unknown)}: known zones and regions are "
                    f"{', '.join(sorted(known))} (separate names with ';' when one has a comma)")
    return zones, None


def _known_zones() -> set[str]:
    from services.api.settings import load_api_settings
    from services.api.zone_scope import load_zone_features, regions_of

    zones = load_zone_features(load_api_settings().zones_path)
    names = {str((f.get("properties") or {}).get("name", "")) for f in zones.get("features", [])}
    return (names | set(regions_of(zones))) - {""}


def _token(args: argparse.Namespace) -> int:
    from services.api.principal import Role
    from services.api.settings import SigningKeyError, check_signing_keys, hs256_secret, load_api_settings
    from services.api.tokens import issue_token, jwt_id

    s = load_api_settings()
    try:
        check_signing_keys(s, issuing=True)
    except SigningKeyError as exc:
        print(f"msa tokens create: {exc}", file=sys.stderr)
        return 2
    secret = hs256_secret(s)
    assert secret is not None  # checked
    zones, error = token_zones(args.role, args.zones, _known_zones())
    if error is not None:
        print(f"msa tokens create: {error}", file=sys.stderr)
        return 2
    token = issue_token(secret, name=args.name, role=Role(args.role), zones=zones,
                        ttl_s=int(args.ttl_hours * 3600), issuer=s.jwt_issuer, audience=s.jwt_audience)
    if zones:
        print(f"# {args.role} token for {args.name}, zones {', '.join(zones)}", file=sys.stderr)
    else:
        print(f"# {args.role} token for {args.name}: NO ZONES - it sees no alert, no vessel, no zone "
              "(--zones '*' or names to see some)", file=sys.stderr)
    print(f"# token id (jti) {jwt_id(token)}: msa tokens revoke --jti … refuses it before it expires",
          file=sys.stderr)
    print(token)
    return 0


def _token_revoke(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    import jwt

    from services.api.admin_store import revoke_token

    jti, name, expires = args.jti, None, None
    if args.token:  # read, not verified: the operator holds the token; only its id and expiry are taken
        try:
            claims = jwt.decode(args.token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            print(f"msa tokens revoke: not a token ({exc})", file=sys.stderr)
            return 2
        jti, name = claims.get("jti"), claims.get("sub")
        if isinstance(claims.get("exp"), int | float):
            expires = datetime.fromtimestamp(float(claims["exp"]), UTC)
    if not isinstance(jti, str) or not jti:
        print("msa tokens revoke: the token has no id (jti); give --jti or a token from msa tokens create",
              file=sys.stderr)
        return 2
    fresh = asyncio.run(_with_conn(lambda c: revoke_token(c, jti, name, expires, args.reason or "")))
    print(f"token {jti} {'revoked' if fresh else 'was already revoked'} (refused by the API within "
          "MSA_TOKEN_REVOCATION_REFRESH_S, 10 s; its live feeds end within 30 s)")
    return 0


async def _with_conn(fn: object) -> object:
    from services.api.db import make_engine
    from services.api.settings import load_api_settings

    engine = make_engine(load_api_settings().database_url, pool_size=1)
    try:
        async with engine.begin() as conn:
            return await fn(conn)  # type: ignore[operator]
    finally:
        await engine.dispose()


def _apikey(args: argparse.Namespace) -> int:
    from services.api.admin_store import create_api_key
    from services.api.principal import Role

    if args.ttl_days <= 0:
        print("msa apikeys create: --ttl-days must be positive", file=sys.stderr)
        return 2
    key = asyncio.run(_with_conn(lambda c: create_api_key(c, args.name, Role(args.role), _zones(args.zones),
                                                          args.ttl_days)))
    print(f"# API key for {args.name} ({args.role}), expires in {args.ttl_days:g} days; stored hashed, shown once",
          file=sys.stderr)
    print(key)
    return 0


def _apikey_revoke(args: argparse.Namespace) -> int:
    from services.api.admin_store import revoke_api_keys

    revoked = cast(list[str], asyncio.run(_with_conn(lambda c: revoke_api_keys(c, args.name))))
    if not revoked:
        print(f"msa apikeys revoke: no active key named or prefixed {args.name!r}", file=sys.stderr)
        return 1
    print(f"revoked {len(revoked)} key(s): {', '.join(revoked)} (refused by the API within 30 s)")
    return 0


def _apikey_list(args: argparse.Namespace) -> int:
    from services.api.admin_store import list_api_keys

    for r in asyncio.run(_with_conn(list_api_keys)):  # type: ignore[attr-defined]
        state = "revoked" if r.revoked else "active"
        expires = r.expires_ts.isoformat(timespec="seconds") if r.expires_ts else "-"
        print(f"{r.prefix}\t{r.name}\t{r.role}\tzones={','.join(r.zones) or 'none'}\texpires={expires}\t{state}")
    return 0


def _partner_set(args: argparse.Namespace) -> int:
    from services.api.admin_store import set_subscription
    from services.api.partners import Subscription

    sub = Subscription(args.name, frozenset(_zones(args.zones)), frozenset(_zones(args.kinds)),
                       enabled=not args.disable)
    try:
        asyncio.run(_with_conn(lambda c: set_subscription(c, sub)))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"partner {sub.partner}: zones={sorted(sub.zones)} kinds={sorted(sub.kinds) or 'all'} "
          f"enabled={sub.enabled}")
    return 0


def _partner_list(args: argparse.Namespace) -> int:
    from services.api.admin_store import load_subscriptions

    subs = asyncio.run(_with_conn(load_subscriptions))
    for s in subs:  # type: ignore[attr-defined]
        print(f"{s.partner}\tzones={','.join(sorted(s.zones))}\tkinds={','.join(sorted(s.kinds)) or '*'}"
              f"\tenabled={s.enabled}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from msa.domain import AlertKind

    p = sub.add_parser("sink", help="consume alerts.v1 into PostGIS (idempotent)")
    p.add_argument("--topic", default=None)
    p.add_argument("--group", default=None)
    p.add_argument("--metrics-port", type=int, default=None, help="serve Prometheus metrics on 127.0.0.1:PORT")
    p.add_argument("--instance", default=None,
                   help="this instance's name in its Kafka transactional id (default $MSA_INSTANCE, else the host "
                        "name); several instances of one group on one host need distinct names")
    p.set_defaults(func=_sink)

    p = sub.add_parser("api", help="serve the alert API and the live map (uvicorn)")
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--log-level-uvicorn", default="info")
    p.set_defaults(func=_api)

    p = sub.add_parser("partner-router", help="route alerts.v1 to partner topics per subscription")
    p.add_argument("--topic", default=None)
    p.add_argument("--group", default=None)
    p.add_argument("--alive-file", type=Path, default=None,
                   help="touch this file every 5 s while routing (for a container health check)")
    p.add_argument("--instance", default=None,
                   help="this instance's name in its Kafka transactional id (default $MSA_INSTANCE, else the host "
                        "name); several instances of one group on one host need distinct names")
    p.set_defaults(func=_router)

    tokens = sub.add_parser("tokens", help="bearer tokens for local use").add_subparsers(dest="tokens_cmd",
                                                                                          required=True)
    p = tokens.add_parser("create", help="print a new HS256 bearer token (last line)")
    p.add_argument("--role", required=True, choices=ROLES)
    p.add_argument("--zones", default=None,
                   help="zone or region names, comma-separated (';' when a name has a comma); '*' = all; "
                        "'none' = a token that sees nothing. Required for officer, supervisor and partner")
    p.add_argument("--name", required=True)
    p.add_argument("--ttl-hours", type=float, default=12.0)
    p.set_defaults(func=_token)
    p = tokens.add_parser("revoke", help="refuse a bearer token before it expires (by its id or the token)")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--jti", help="the token's id (printed by msa tokens create)")
    which.add_argument("--token", help="the token itself (its id and expiry are read from it)")
    p.add_argument("--reason", default="")
    p.set_defaults(func=_token_revoke)

    keys = sub.add_parser("apikeys", help="hashed API keys for partner systems").add_subparsers(
        dest="apikeys_cmd", required=True)
    p = keys.add_parser("create", help="store a new API key and print it (last line)")
    p.add_argument("--name", required=True)
    p.add_argument("--role", default="partner", choices=ROLES)
    p.add_argument("--zones", default=None)
    p.add_argument("--ttl-days", type=float, default=365.0, help="days until the key expires (default 365)")
    p.set_defaults(func=_apikey)
    p = keys.add_parser("revoke", help="revoke the keys of a name (or one key by its prefix)")
    p.add_argument("name", help="the name given at creation, or a key's 12-character prefix")
    p.set_defaults(func=_apikey_revoke)
    p = keys.add_parser("list", help="list keys (prefix, name, role, zones, expiry, state; never the key)")
    p.set_defaults(func=_apikey_list)

    partners = sub.add_parser("partners", help="partner subscriptions").add_subparsers(dest="partners_cmd",
                                                                                        required=True)
    p = partners.add_parser("set", help="create or change a subscription")
    p.add_argument("name")
    p.add_argument("--zones", required=True, help="comma-separated zones, '*' = all")
    p.add_argument("--kinds", default=None,
                   help=f"comma-separated alert kinds (default all): {', '.join(str(k) for k in AlertKind)}")
    p.add_argument("--disable", action="store_true")
    p.set_defaults(func=_partner_set)
    p = partners.add_parser("list", help="list subscriptions")
    p.set_defaults(func=_partner_list)
