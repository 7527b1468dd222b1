"""No built-in key: the API and ``msa tokens create`` refuse to start without a key of adequate strength (and say
how to make one); HS256 is off when an identity provider's RS256 key is configured, unless asked for; the
compose file publishes only the API and has no working default secret or password."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import jwt
import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from msa.cli import main
from services.api.app import create_app
from services.api.settings import ApiSettings, SigningKeyError, load_api_settings
from tests.unit.api.builders import SECRET, token

NO_DB = "postgresql+psycopg://nobody:x@127.0.0.1:1/none"
ROOT = Path(__file__).resolve().parents[3]
# the constant earlier versions fell back to (published in their code): it must sign nothing today
OLD_DEFAULT = "dev-insecure-secret-change-me-in-production"


@pytest.fixture
def bare_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No key anywhere: an installation nobody configured."""
    for var in ("MSA_JWT_SECRET", "MSA_JWT_PUBLIC_KEY", "MSA_JWKS_URL", "MSA_JWT_ALLOW_HS256"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MSA_HOME", str(tmp_path))
    monkeypatch.setenv("MSA_DATABASE_URL", NO_DB)
    return tmp_path


def test_without_a_configured_key_there_is_none_and_the_api_refuses_to_start(bare_env: Path) -> None:
    settings = load_api_settings()
    assert settings.jwt_secret is None
    with pytest.raises(SigningKeyError, match="MSA_JWT_SECRET") as err:
        create_app(settings)
    assert "secrets.token_urlsafe" in str(err.value) and "msa run" in str(err.value)


def test_msa_api_and_msa_tokens_exit_2_saying_how_to_make_a_key(bare_env: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["api", "--port", "1"]) == 2
    assert "msa api: no key to verify tokens with" in capsys.readouterr().err
    assert main(["tokens", "create", "--name", "x", "--role", "admin"]) == 2
    out = capsys.readouterr()
    assert out.out == "" and "MSA_JWT_SECRET" in out.err


def test_the_installation_secret_written_by_msa_run_is_used(bare_env: Path) -> None:
    (bare_env / "secrets").mkdir()
    (bare_env / "secrets" / "jwt_secret").write_text(SECRET + "\n")
    settings = load_api_settings()
    assert settings.jwt_secret is not None and settings.jwt_secret.get_secret_value() == SECRET
    create_app(settings)


@pytest.mark.parametrize("secret", ["short", "x" * 31, "änderung-" * 3])
def test_a_short_secret_is_refused(secret: str) -> None:
    with pytest.raises(SigningKeyError, match="at least 32"):
        create_app(ApiSettings(database_url=NO_DB, jwt_secret=secret))  # type: ignore[arg-type]


def _rsa_pem() -> tuple[rsa.RSAPrivateKey, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return key, pem


async def _status(settings: ApiSettings, bearer_token: str) -> int:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(settings)), base_url="http://t") as c:
        return (await c.get("/zones", headers={"Authorization": f"Bearer {bearer_token}"})).status_code


async def test_hs256_is_off_when_an_identity_provider_is_configured_unless_asked_for() -> None:
    key, pem = _rsa_pem()
    now = int(time.time())
    idp = jwt.encode({"sub": "ana", "role": "officer", "zones": ["*"], "iss": "msa", "aud": "msa-api",
                      "iat": now, "exp": now + 600}, key, algorithm="RS256")
    local = token("admin", ("*",))
    both = ApiSettings(database_url=NO_DB, jwt_secret=SECRET, jwt_public_key=pem)  # type: ignore[arg-type]
    assert await _status(both, idp) == 200
    assert await _status(both, local) == 401  # a leaked or guessed HS256 secret signs nothing here
    allowed = both.model_copy(update={"jwt_allow_hs256": True})
    assert await _status(allowed, local) == 200 and await _status(allowed, idp) == 200
    only_idp = ApiSettings(database_url=NO_DB, jwt_public_key=pem)  # type: ignore[arg-type]
    assert await _status(only_idp, idp) == 200


async def test_a_token_signed_with_the_old_published_constant_is_refused(bare_env: Path) -> None:
    (bare_env / "secrets").mkdir()
    (bare_env / "secrets" / "jwt_secret").write_text(SECRET)
    forged = token("admin", ("*",), secret=OLD_DEFAULT)
    assert await _status(load_api_settings(), forged) == 401
    assert OLD_DEFAULT not in (ROOT / "services" / "api" / "settings.py").read_text()


def test_msa_tokens_refuses_to_issue_hs256_when_an_identity_provider_issues_them(
        bare_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MSA_JWT_SECRET", SECRET)
    monkeypatch.setenv("MSA_JWT_PUBLIC_KEY", _rsa_pem()[1])
    assert main(["tokens", "create", "--name", "x", "--role", "admin"]) == 2
    assert "MSA_JWT_ALLOW_HS256" in capsys.readouterr().err
    monkeypatch.setenv("MSA_JWT_ALLOW_HS256", "true")
    assert main(["tokens", "create", "--name", "x", "--role", "admin"]) == 0


def test_the_compose_file_has_no_working_default_secret_and_publishes_only_the_api() -> None:
    text = (ROOT / "deploy" / "compose.yaml").read_text()
    doc = yaml.safe_load(text)
    # every secret or password comes from the operator's environment, required (${VAR:?…}), never defaulted
    for m in re.finditer(r"\$\{(\w*(?:SECRET|PASSWORD|KEY)\w*)([^}]*)\}", text):
        assert m.group(2).startswith(":?"), m.group(0)
    assert not re.search(r"(?i)(password|secret)\s*[:=]\s*(msa|change-me\S*|secret|password)\s*$", text, re.M)
    published = {name: svc["ports"] for name, svc in doc["services"].items() if svc.get("ports")}
    assert set(published) == {"api"}, published
    assert all(p.startswith("127.0.0.1:") or p.startswith("${MSA_API_BIND") for p in published["api"])
    # Kafka asks every client for SCRAM, and every service is configured for it
    start = (ROOT / "deploy" / "kafka" / "start.sh").read_text()
    listeners = re.search(r"^listeners=(.*)$", start, re.M)
    assert listeners is not None and "PLAINTEXT://" not in listeners.group(1).replace("SASL_PLAINTEXT://", "")
    assert "sasl.enabled.mechanisms=SCRAM-SHA-512" in start and "--add-scram" in start
    env = doc["x-msa"]["environment"]
    assert env["MSA_KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT" and env["MSA_KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
    # the services run as the least-privilege role; only the migration runs as the schema's owner
    assert "msa_app:" in env["MSA_DATABASE_URL"] and "grant-app-role msa_app" in " ".join(
        doc["services"]["migrate"]["entrypoint"])
    # every long-running service is restarted when it dies and has a health check
    for name in ("kafka", "postgis", "detector", "sink", "partner-router", "api"):
        svc = doc["services"][name]
        assert svc.get("restart", doc["x-msa"].get("restart")) == "unless-stopped", name
        assert "healthcheck" in svc, name


def test_gen_env_writes_a_private_env_file_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen_env", ROOT / "deploy" / "gen_env.py")
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    monkeypatch.setattr(gen, "ENV", tmp_path / ".env")
    assert gen.main([]) == 0
    first = (tmp_path / ".env").read_text()
    values = dict(line.split("=", 1) for line in first.splitlines() if line and not line.startswith("#"))
    assert set(values) == {"MSA_JWT_SECRET", "MSA_DB_PASSWORD", "MSA_DB_APP_PASSWORD", "MSA_KAFKA_SASL_PASSWORD"}
    assert len(values["MSA_JWT_SECRET"]) >= 32
    assert re.fullmatch(r"[A-Za-z0-9_-]{24,}", values["MSA_KAFKA_SASL_PASSWORD"])  # what start.sh accepts
    assert (tmp_path / ".env").stat().st_mode & 0o777 == 0o600
    assert gen.main([]) == 0 and (tmp_path / ".env").read_text() == first  # kept
    assert gen.main(["--force"]) == 0 and (tmp_path / ".env").read_text() != first
