"""The rule of the real-data tests (``tests/shared_data.py``): a missing recording skips locally, fails in CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.shared_data import require_shared, shared_data_dir


def test_present_data_is_returned(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "rec.nmea").write_text("x")
    monkeypatch.setenv("MSA_SHARED_DATA", str(tmp_path))
    monkeypatch.setenv("CI", "true")
    assert shared_data_dir() == tmp_path
    assert require_shared("rec.nmea") == tmp_path / "rec.nmea"


def test_missing_data_skips_locally(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MSA_SHARED_DATA", str(tmp_path / "absent"))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="absent"):
        require_shared("rec.nmea")


@pytest.mark.parametrize("ci", ["true", "1"])
def test_missing_data_fails_in_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, ci: str) -> None:
    monkeypatch.setenv("MSA_SHARED_DATA", str(tmp_path / "absent"))
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception, match="CI always has them"):
        require_shared()
