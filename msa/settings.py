"""Settings read from the environment at start-up (never at import)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEFAULT_DATABASE_URL", "DEFAULT_KAFKA_BOOTSTRAP", "Settings", "load_settings"]

DEFAULT_KAFKA_BOOTSTRAP = "127.0.0.1:9092"
DEFAULT_DATABASE_URL = "postgresql+psycopg://msa:msa@127.0.0.1:55432/msa"


class Settings(BaseSettings):
    """Common settings. Every variable is prefixed ``MSA_``."""

    model_config = SettingsConfigDict(env_prefix="MSA_", extra="ignore")

    kafka_bootstrap: str = Field(DEFAULT_KAFKA_BOOTSTRAP, description="Kafka bootstrap servers")
    database_url: str = Field(DEFAULT_DATABASE_URL, description="SQLAlchemy URL of the PostGIS database")
    home: Path = Field(Path.home() / ".cache" / "msa",
                       description="cache and state of the local infrastructure (jars, data, logs, pids)")
    log_level: str = "INFO"
    topics_suffix: str = Field("", description="appended to every topic and consumer group `msa run` uses "
                                               "(sandboxes, tests)")
    detector_health_port: int = Field(8081, description="health/metrics port of the detector `msa run` starts; "
                                                        "0: none")
    udp_port: int = Field(10110, description="NMEA UDP listener `msa run` starts; 0: none")


def load_settings() -> Settings:
    return Settings()
