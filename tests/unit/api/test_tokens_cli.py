"""``msa tokens create``: a token that would silently see nothing is refused, or made on purpose and said so."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest

from msa.cli import main
from services.api.cli import token_zones

KNOWN = {"Strait of Gibraltar and Alboran Sea", "Gulf of Cadiz, Guadalquivir mouth and Algarve", "mediterranean"}
SECRET = "a-test-secret-that-is-long-enough-for-hs256-x"


@pytest.mark.parametrize("role", ["officer", "supervisor", "partner"])
def test_roles_that_need_zones_are_refused_without_them(role: str) -> None:
    zones, error = token_zones(role, None, KNOWN)
    assert zones == [] and error is not None
    assert "--zones" in error and "'*'" in error and "none" in error


@pytest.mark.parametrize("role", ["admin", "tester"])
def test_admin_and_tester_see_every_zone_by_default(role: str) -> None:
    assert token_zones(role, None, KNOWN) == (["*"], None)


def test_none_is_a_token_without_zones_on_purpose() -> None:
    assert token_zones("officer", "none", KNOWN) == ([], None)
    assert token_zones("partner", " NONE ", KNOWN) == ([], None)


def test_names_are_checked_against_the_known_zones_and_regions() -> None:
    assert token_zones("officer", "*", KNOWN) == (["*"], None)
    assert token_zones("officer", "mediterranean;Gulf of Cadiz, Guadalquivir mouth and Algarve", KNOWN) == (
        ["mediterranean", "Gulf of Cadiz, Guadalquivir mouth and Algarve"], None)
    # a name with a comma given without ';' splits into two names that exist nowhere: refused, not silent
    zones, error = token_zones("officer", "Gulf of Cadiz, Guadalquivir mouth and Algarve", KNOWN)
    assert zones == [] and error is not None and "'Gulf of Cadiz'" in error and "';'" in error
    assert token_zones("officer", "anything", set()) == (["anything"], None)  # no zone file: nothing to check


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["tokens", "create", "--name", "bob", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MSA_HOME", str(tmp_path))
    monkeypatch.setenv("MSA_JWT_SECRET", SECRET)


@pytest.mark.usefixtures("secret_env")
def test_cli_refuses_an_officer_token_without_zones(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "--role", "officer")
    assert code == 2 and out == ""
    assert "an officer token needs --zones" in err


@pytest.mark.usefixtures("secret_env")
def test_cli_says_plainly_that_a_none_token_sees_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "--role", "partner", "--zones", "none")
    assert code == 0 and "NO ZONES" in err and "sees no alert" in err
    claims = jwt.decode(out.strip().splitlines()[-1], SECRET, algorithms=["HS256"], audience="msa-api")
    assert claims["role"] == "partner" and not claims.get("zones")


@pytest.mark.usefixtures("secret_env")
def test_cli_token_carries_the_zones_given(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "--role", "officer", "--zones", "Strait of Gibraltar and Alboran Sea")
    assert code == 0 and "zones Strait of Gibraltar and Alboran Sea" in err
    claims = jwt.decode(out.strip().splitlines()[-1], SECRET, algorithms=["HS256"], audience="msa-api")
    assert "Strait of Gibraltar and Alboran Sea" in str(claims["zones"])
    code, _, err = _run(capsys, "--role", "officer", "--zones", "Atlantis")
    assert code == 2 and "unknown zone(s) 'Atlantis'" in err
