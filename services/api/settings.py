"""Settings of the alert service (sink, API, partner router), read from ``MSA_*`` at start-up."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr

from msa.settings import Settings

__all__ = ["MIN_SECRET_BYTES", "ApiSettings", "SigningKeyError", "check_signing_keys", "hs256_secret",
           "load_api_settings"]

MIN_SECRET_BYTES = 32  # an HS256 key shorter than the hash is guessable offline from one token
HOW_TO_MAKE_A_SECRET = (
    "set MSA_JWT_SECRET to at least 32 random bytes, e.g. "
    "MSA_JWT_SECRET=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))'), "
    "or let `msa run` write one for this installation ($MSA_HOME/secrets/jwt_secret, mode 600)")


class SigningKeyError(ValueError):
    """No key of adequate strength to verify (or issue) tokens: the service refuses to start."""


class ApiSettings(Settings):
    """Everything the API needs. ``jwt_secret`` (HS256) or ``jwt_public_key`` / ``jwks_url`` (RS256)."""

    jwt_secret: SecretStr | None = Field(None, description="HS256 key of bearer tokens (msa tokens create), at "
                                         "least 32 bytes; unset: the installation's $MSA_HOME/secrets/jwt_secret "
                                         "written by `msa run`, else none (no built-in key)")
    jwt_public_key: str | None = Field(None, description="PEM public key: verify RS256 tokens of an IdP")
    jwks_url: str | None = Field(None, description="JWKS URL: verify RS256 tokens of an IdP")
    jwt_allow_hs256: bool = Field(False, description="with an RS256 key or JWKS URL configured, accept HS256 "
                                                     "tokens of MSA_JWT_SECRET too (off: the IdP's tokens only)")
    jwt_issuer: str = "msa"
    jwt_audience: str = "msa-api"
    token_ttl_s: int = 12 * 3600
    cors_origins: list[str] = Field(default_factory=list, description="explicit CORS origins")
    rate_limit_per_s: float = Field(50.0, description="token bucket refill rate per principal")
    rate_limit_burst: int = Field(200, description="token bucket size per principal")
    auth_failures_per_s: float = Field(1.0, description="failed authentications forgiven per second and client "
                                                        "address (pre-authentication limit)")
    auth_failures_burst: int = Field(20, description="failed authentications a client address may make before "
                                                     "it gets 429 (no token check, no database query)")
    metrics_from: list[str] = Field(default_factory=list, description="client addresses (besides loopback) "
                                    "that may read /metrics, e.g. the Prometheus host; '*' = any")
    max_body_bytes: int = Field(64 * 1024, description="largest request body accepted (413 above, before "
                                                       "authentication)")
    sse_queue_size: int = Field(1000, description="events buffered per SSE client before it is dropped")
    sse_keepalive_s: float = 15.0
    token_revocation_refresh_s: float = Field(10.0, description="how often the list of revoked bearer tokens "
                                                                "is re-read (a revoked token works at most this long)")
    sse_poll_s: float = Field(0.2, description="how often the feed reads new events while it cannot LISTEN to "
                                               "the database's notifications (it is told of each commit otherwise)")
    zones_path: Path | None = Field(None, description="zones GeoJSON (default geo/data/zones.geojson)")
    alerts_topic: str = "alerts.v1"
    sink_group: str = "msa-alert-sink"
    router_group: str = "msa-partner-router"
    track_limit: int = Field(500, description="positions kept per alert evidence track")
    api_host: str = "127.0.0.1"
    api_port: int = 8000


def load_api_settings() -> ApiSettings:
    settings = ApiSettings()
    if settings.jwt_secret is None:
        # the per-installation secret of `msa run`, so that `msa tokens create` and `msa api` agree
        path = settings.home / "secrets" / "jwt_secret"
        if path.is_file():
            settings = settings.model_copy(update={"jwt_secret": SecretStr(path.read_text().strip())})
    return settings


def _rs256(settings: ApiSettings) -> bool:
    return bool(settings.jwt_public_key or settings.jwks_url)


def hs256_secret(settings: ApiSettings) -> str | None:
    """The HS256 key tokens are verified (and issued) with, or None: HS256 is off without a secret, and off
    when an identity provider's RS256 key is configured unless ``jwt_allow_hs256``."""
    if settings.jwt_secret is None or not settings.jwt_secret.get_secret_value():
        return None
    if _rs256(settings) and not settings.jwt_allow_hs256:
        return None
    return settings.jwt_secret.get_secret_value()


def check_signing_keys(settings: ApiSettings, *, issuing: bool = False) -> None:
    """Refuse to start (``SigningKeyError``, saying how to fix it) without a key of adequate strength: the API
    needs an HS256 secret or an RS256 key / JWKS URL; issuing tokens (``msa tokens create``) needs HS256."""
    secret = settings.jwt_secret.get_secret_value() if settings.jwt_secret is not None else ""
    if secret and len(secret.encode()) < MIN_SECRET_BYTES:
        raise SigningKeyError(f"MSA_JWT_SECRET is {len(secret.encode())} bytes, at least {MIN_SECRET_BYTES} are "
                              f"needed: {HOW_TO_MAKE_A_SECRET}")
    if issuing:
        if hs256_secret(settings) is None:
            raise SigningKeyError(
                "no HS256 key to sign tokens with: " + (
                    "an identity provider is configured (MSA_JWT_PUBLIC_KEY / MSA_JWKS_URL), so tokens come from "
                    "it; set MSA_JWT_ALLOW_HS256=true to issue local ones too" if _rs256(settings) and secret
                    else HOW_TO_MAKE_A_SECRET))
        return
    if hs256_secret(settings) is None and not _rs256(settings):
        raise SigningKeyError("no key to verify tokens with (there is no built-in one): " + HOW_TO_MAKE_A_SECRET +
                              "; or configure MSA_JWT_PUBLIC_KEY / MSA_JWKS_URL for an identity provider (RS256)")
