"""Settings of the alert service (sink, API, partner router), read from ``MSA_*`` at start-up."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr

from msa.settings import Settings

__all__ = ["DEV_SECRET", "ApiSettings", "load_api_settings"]

DEV_SECRET = "dev-insecure-secret-change-me-in-production"


class ApiSettings(Settings):
    """Everything the API needs. ``jwt_secret`` (HS256) or ``jwt_public_key`` / ``jwks_url`` (RS256)."""

    jwt_secret: SecretStr = Field(SecretStr(DEV_SECRET),
                                  description="HS256 secret for bearer tokens (msa tokens create); unset: the "
                                              "installation's $MSA_HOME/secrets/jwt_secret written by `msa run`")
    jwt_public_key: str | None = Field(None, description="PEM public key: verify RS256 tokens of an IdP")
    jwks_url: str | None = Field(None, description="JWKS URL: verify RS256 tokens of an IdP")
    jwt_issuer: str = "msa"
    jwt_audience: str = "msa-api"
    token_ttl_s: int = 12 * 3600
    cors_origins: list[str] = Field(default_factory=list, description="explicit CORS origins")
    rate_limit_per_s: float = Field(50.0, description="token bucket refill rate per principal")
    rate_limit_burst: int = Field(200, description="token bucket size per principal")
    sse_queue_size: int = Field(1000, description="events buffered per SSE client before it is dropped")
    sse_keepalive_s: float = 15.0
    sse_poll_s: float = Field(0.2, description="how often the feed reads new events from the database")
    zones_path: Path | None = Field(None, description="zones GeoJSON (default geo/data/zones.geojson)")
    alerts_topic: str = "alerts.v1"
    sink_group: str = "msa-alert-sink"
    router_group: str = "msa-partner-router"
    track_limit: int = Field(500, description="positions kept per alert evidence track")
    api_host: str = "127.0.0.1"
    api_port: int = 8000


def load_api_settings() -> ApiSettings:
    settings = ApiSettings()
    if settings.jwt_secret.get_secret_value() == DEV_SECRET:
        # the per-installation secret of `msa run`, so that `msa tokens create` and `msa api` agree
        path = settings.home / "secrets" / "jwt_secret"
        if path.is_file():
            settings = settings.model_copy(update={"jwt_secret": SecretStr(path.read_text().strip())})
    return settings
