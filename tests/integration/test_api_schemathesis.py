"""Property-based tests from the OpenAPI document (schemathesis): inputs generated from every operation's schema
(not only its examples), sent as each role — officer, supervisor, partner, tester, admin — to a live API on the
real database: no 5xx, and responses conform to the document. The live feed (an endless stream) is tested on
its own: generated queries and cursors, the answer's status and media type read, then the stream closed."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
import requests
import schemathesis
import uvicorn
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from services.api.app import create_app
from services.api.principal import Role
from services.api.settings import ApiSettings
from tests.unit.api.builders import SECRET, alert, identity_anomaly, token
from tests.unit.api.live import api_settings, free_port, seed

pytestmark = pytest.mark.integration

DOC = create_app(ApiSettings(jwt_secret=SECRET)).openapi()
schema = schemathesis.openapi.from_dict(DOC).exclude(path="/alerts/stream")
feed = schemathesis.openapi.from_dict(DOC).include(path="/alerts/stream")

ZONE = f"z{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def live_base(migrated_database_url: str) -> Iterator[str]:
    asyncio.run(seed(migrated_database_url, [*(alert(zone=ZONE, mmsi=(270000000 + i,)) for i in range(5)),
                                             identity_anomaly(zone=ZONE, mmsi=270000009)]))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(api_settings(migrated_database_url)), host="127.0.0.1",
                                           port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "API did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.mark.parametrize("role", list(Role))
@schema.parametrize()
@settings(max_examples=6, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_openapi_conformance(case: schemathesis.Case, live_base: str, role: Role) -> None:
    headers = {"Authorization": f"Bearer {token(role, (ZONE,), name=f'st-{role}')}"}
    case.call_and_validate(base_url=live_base, headers=headers, timeout=30,
                           checks=[not_a_server_error, status_code_conformance, content_type_conformance,
                                   response_schema_conformance])



@pytest.mark.parametrize("role", list(Role))
@feed.parametrize()
@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_the_live_feed_with_generated_queries(case: schemathesis.Case, live_base: str, role: Role) -> None:
    headers = {"Authorization": f"Bearer {token(role, (ZONE,), name=f'st-feed-{role}')}"}
    kwargs = case.as_transport_kwargs(base_url=live_base)
    kwargs.pop("timeout", None)
    kwargs["headers"].pop("X-API-Key", None)  # generated credentials replaced by the role's
    kwargs["headers"].update(headers)
    with requests.request(**kwargs, stream=True, timeout=15) as r:
        assert r.status_code < 500, (r.status_code, kwargs.get("params"), kwargs.get("headers"))
        media = r.headers.get("content-type", "")
        if r.status_code == 200:
            assert media.startswith("text/event-stream"), media
        else:
            assert r.status_code in {400, 401, 403, 404, 405, 406, 422, 429}, (r.status_code, kwargs)
            assert media == "application/problem+json" and r.json()["status"] == r.status_code
