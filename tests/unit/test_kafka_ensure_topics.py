"""``msa.kafka.ensure_topics`` retries a transient broker error (a metadata request sent to a broker that is not up
yet: ``NodeNotReadyError``) a bounded number of times, and raises a lasting one at once.

The admin client is a fake here, on purpose: this tests the retry policy only. Topic creation on the real broker
is ``tests/integration/test_platform_kafka.py``."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from aiokafka.errors import NodeNotReadyError, TopicAuthorizationFailedError

import msa.kafka
from msa.contracts.topics import TopicSpec

SPEC = TopicSpec("t.v1", 3, "mmsi", "position", "test")


class FakeAdmin:
    """Answers like one broker, except that ``list_topics`` raises the errors left in ``failures`` (shared by
    every client made), one per call."""

    made: ClassVar[list[FakeAdmin]] = []

    def __init__(self, failures: list[Exception]) -> None:
        self.failures, self.closed = failures, False
        self.created: list[str] = []
        FakeAdmin.made.append(self)

    async def start(self) -> None:
        pass

    async def list_topics(self) -> list[str]:
        if self.failures:
            raise self.failures.pop(0)
        return ["existing.v1"]

    async def describe_cluster(self) -> dict[str, Any]:
        return {"brokers": [{"node_id": 1}]}

    async def create_topics(self, new: list[Any]) -> None:
        self.created.extend(t.name for t in new)

    async def close(self) -> None:
        self.closed = True


@pytest.fixture
def failures(monkeypatch: pytest.MonkeyPatch) -> list[Exception]:
    errors: list[Exception] = []
    FakeAdmin.made = []
    monkeypatch.setattr(msa.kafka, "admin_client", lambda bootstrap, **_: FakeAdmin(errors))
    return errors


async def test_a_broker_not_ready_yet_is_retried_with_a_fresh_client(failures: list[Exception]) -> None:
    failures.extend([NodeNotReadyError("node 2 not ready"), NodeNotReadyError("node 3 not ready")])
    assert await msa.kafka.ensure_topics("b:9092", [SPEC], backoff_s=0.001) == ["t.v1"]
    assert len(FakeAdmin.made) == 3 and all(a.closed for a in FakeAdmin.made)
    assert FakeAdmin.made[-1].created == ["t.v1"]


async def test_the_attempts_are_bounded(failures: list[Exception]) -> None:
    failures.extend(NodeNotReadyError(f"attempt {i}") for i in range(10))
    with pytest.raises(NodeNotReadyError, match="attempt 3"):
        await msa.kafka.ensure_topics("b:9092", [SPEC], attempts=4, backoff_s=0.001)
    assert len(FakeAdmin.made) == 4


async def test_a_lasting_error_is_raised_at_once(failures: list[Exception]) -> None:
    failures.append(TopicAuthorizationFailedError("not allowed"))
    with pytest.raises(TopicAuthorizationFailedError):
        await msa.kafka.ensure_topics("b:9092", [SPEC], backoff_s=0.001)
    assert len(FakeAdmin.made) == 1


async def test_waiting_for_a_broker_just_started_retries_a_node_not_ready(failures: list[Exception],
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # `msa infra up` on a fresh machine: the broker's first metadata answer may not list itself yet
    monkeypatch.setattr(msa.kafka.asyncio, "sleep", _no_sleep)
    failures.extend([NodeNotReadyError("node None not ready"), NodeNotReadyError("node None not ready")])
    await msa.kafka.wait_for_broker("b:9092", timeout_s=60)
    assert len(FakeAdmin.made) == 3 and all(a.closed for a in FakeAdmin.made)


async def test_waiting_for_a_broker_raises_a_lasting_error_at_once(failures: list[Exception]) -> None:
    failures.append(TopicAuthorizationFailedError("not allowed"))
    with pytest.raises(TopicAuthorizationFailedError):
        await msa.kafka.wait_for_broker("b:9092", timeout_s=60)
    assert len(FakeAdmin.made) == 1


async def _no_sleep(_s: float) -> None:
    return None
