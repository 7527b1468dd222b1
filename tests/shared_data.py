"""Where the public real recordings are (``../shared/data`` beside the repository, or ``MSA_SHARED_DATA``), and the
rule for tests that read them: **skipped when absent locally, failed when absent in CI** (``CI=true``), because
CI always has them and a silent skip there would hide the tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

__all__ = ["in_ci", "require_shared", "shared_data_dir"]

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """``MSA_SHARED_DATA`` when set (another copy, or a missing folder to check the rule), else
    ``../shared/data``."""
    override = os.environ.get("MSA_SHARED_DATA")
    return Path(override) if override else REPO.parent / "shared" / "data"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require_shared(rel: str = "") -> Path:
    """``shared_data_dir() / rel``; when it does not exist, the calling test is skipped — or failed in CI."""
    path = shared_data_dir() / rel if rel else shared_data_dir()
    if not path.exists():
        message = f"{path} is absent (the public recordings beside the repository; MSA_SHARED_DATA overrides)"
        if in_ci():
            pytest.fail(f"{message}: CI always has them")
        pytest.skip(message)
    return path
