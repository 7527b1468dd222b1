"""The real-data tests read the public recordings through ``tests.shared_data.require_shared``: ``../shared/data``
beside the repository, or ``MSA_SHARED_DATA``. A recording that is absent skips its test locally and fails it in
CI (``CI=true``), which always has them: ``MSA_SHARED_DATA=/nonexistent CI=true pytest tests/realdata`` fails."""
