"""The real-data tests read the public recordings from ``tests.shared_data.shared_data_dir()``: ``../shared/data``
beside the repository, or ``MSA_SHARED_DATA``. A recording that is absent skips its test locally and fails it in
CI (``CI=true``), which always has them: ``MSA_SHARED_DATA=/nonexistent CI=true pytest tests/realdata`` fails."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.shared_data import shared_data_dir


@pytest.fixture(autouse=True, scope="module")
def _shared_data_dir(request: pytest.FixtureRequest) -> Iterator[None]:
    """Point the module's ``SHARED`` folder (read by its ``_data``) at ``shared_data_dir()`` before its fixtures
    run (autouse: first in its scope)."""
    module = request.module
    if hasattr(module, "SHARED"):
        module.SHARED = shared_data_dir()
    yield
