"""Bearer tokens (JWT) and partner API keys: issue and verify. No database access here."""

from __future__ import annotations

import functools
import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt

from services.api.principal import Principal, Role

__all__ = ["AuthError", "TokenVerifier", "generate_api_key", "hash_api_key", "issue_token"]

API_KEY_PREFIX = "msa_"


class AuthError(Exception):
    """The credentials are missing, malformed, expired or not valid."""


def issue_token(secret: str, *, name: str, role: Role, zones: list[str], ttl_s: int, now_s: int | None = None,
                issuer: str = "msa", audience: str = "msa-api") -> str:
    """An HS256 bearer token for local use (``msa tokens create``)."""
    iat = int(time.time()) if now_s is None else now_s
    claims = {"sub": name, "role": str(role), "zones": sorted(zones), "iat": iat, "exp": iat + ttl_s,
              "iss": issuer, "aud": audience, "jti": secrets.token_hex(8)}
    return jwt.encode(claims, secret, algorithm="HS256")


@functools.lru_cache(maxsize=8)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    """One client per JWKS URL: keys are cached (5 min) instead of fetched per request."""
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=5)


@dataclass(frozen=True, slots=True)
class TokenVerifier:
    """Verifies HS256 tokens with the secret, RS256 with a PEM key or a JWKS URL (agency IdP)."""

    secret: str | None
    public_key: str | None = None
    jwks_url: str | None = None
    issuer: str = "msa"
    audience: str = "msa-api"

    def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise AuthError("malformed token") from exc
        alg = header.get("alg")
        key: Any
        if alg == "HS256" and self.secret:
            key = self.secret
        elif alg == "RS256" and self.public_key:
            key = self.public_key
        elif alg == "RS256" and self.jwks_url:
            try:
                key = _jwks_client(self.jwks_url).get_signing_key_from_jwt(token).key
            except (jwt.PyJWTError, OSError) as exc:
                raise AuthError("no signing key") from exc
        else:
            raise AuthError("unsupported algorithm")
        try:
            claims = jwt.decode(token, key, algorithms=[alg], audience=self.audience, issuer=self.issuer,
                                options={"require": ["exp", "sub", "role"]})
        except jwt.PyJWTError as exc:
            raise AuthError(f"invalid token: {type(exc).__name__}") from exc
        return principal_from_claims(claims, kind="token")


def jwt_id(token: str) -> str | None:
    """The ``jti`` of a token (read without verifying it)."""
    jti = jwt.decode(token, options={"verify_signature": False}).get("jti")
    return jti if isinstance(jti, str) else None


def principal_from_claims(claims: dict[str, Any], *, kind: str) -> Principal:
    try:
        role = Role(str(claims["role"]))
    except ValueError as exc:
        raise AuthError("unknown role") from exc
    zones = claims.get("zones", [])
    if isinstance(zones, str):
        sep = ";" if ";" in zones else ","
        zones = [z.strip() for z in zones.split(sep) if z.strip()]
    if not isinstance(zones, list) or not all(isinstance(z, str) for z in zones):
        raise AuthError("bad zones claim")
    exp, jti = claims.get("exp"), claims.get("jti")
    return Principal(name=str(claims["sub"]), role=role, zones=frozenset(zones), kind=kind,
                     expires_at_s=float(exp) if isinstance(exp, int | float) else None,
                     token_id=jti if isinstance(jti, str) and jti else None)


def generate_api_key() -> tuple[str, str, str]:
    """A new partner key: (plaintext shown once, lookup prefix, sha256 hash stored)."""
    body = secrets.token_urlsafe(32)
    key = f"{API_KEY_PREFIX}{body}"
    return key, key[:12], hash_api_key(key)


def hash_api_key(key: str) -> str:
    """Keys are 256-bit random: a plain SHA-256 is enough (no dictionary to attack)."""
    return hashlib.sha256(key.encode()).hexdigest()
