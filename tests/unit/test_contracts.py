"""Contracts: the checked-in JSON Schemas match the code; alerts as CloudEvents in binary mode."""

from __future__ import annotations

import pytest

from msa.contracts.cloudevents import CONTENT_TYPE, alert_from_cloudevent, alert_to_cloudevent
from msa.contracts.codec import loads
from msa.contracts.schemas import AlertFeature, asyncapi_document, render_schemas
from msa.contracts.topics import ALL_TOPICS, partner_topic
from tests.conftest import REPO
from tests.unit.test_domain_codec import make_alert


def test_checked_in_schemas_match_the_code() -> None:
    for name, text in render_schemas().items():
        path = REPO / "schemas" / name
        assert path.exists(), f"{name} missing: run `msa schemas export`"
        assert path.read_text() == text, f"{name} is stale: run `msa schemas export`"


def test_topic_names_are_versioned_and_unique() -> None:
    names = [t.name for t in ALL_TOPICS]
    assert len(set(names)) == len(names)
    assert all(n.rsplit(".", 1)[-1].startswith("v") for n in names)
    assert partner_topic("guardia-civil") == "alerts.v1.partner.guardia-civil"


def test_asyncapi_describes_every_topic_and_the_partner_channel() -> None:
    doc = asyncapi_document()
    assert set(doc["channels"]) == {t.name for t in ALL_TOPICS} | {"alerts.v1.partner.{partner}"}


def test_alert_cloudevent_binary_mode() -> None:
    alert = make_alert(version=2)
    key, headers, value = alert_to_cloudevent(alert)
    h = dict(headers)
    assert key == alert.alert_id.encode()
    assert h["ce_specversion"] == b"1.0"
    assert h["ce_id"] == f"{alert.alert_id}:2".encode()
    assert h["content-type"] == CONTENT_TYPE.encode()
    feature = loads(value)
    assert feature["type"] == "Feature" and feature["id"] == alert.alert_id
    assert "geometry" not in feature["properties"]
    AlertFeature.model_validate(feature)
    assert alert_from_cloudevent(headers, value) == alert


def test_cloudevent_without_specversion_is_refused() -> None:
    alert = make_alert()
    _, headers, value = alert_to_cloudevent(alert)
    with pytest.raises(ValueError, match="CloudEvents"):
        alert_from_cloudevent([h for h in headers if h[0] != "ce_specversion"], value)


def test_every_alert_kind_is_in_the_contract_and_the_api_schema() -> None:
    from typing import get_args

    from msa.contracts.schemas import AlertKindName
    from msa.domain import AlertKind
    from services.api.schemas import AlertOut

    assert set(get_args(AlertKindName)) == {str(k) for k in AlertKind}
    kinds = AlertFeature.model_json_schema()["$defs"]["AlertProperties"]["properties"]["kind"]["enum"]
    assert "identity_anomaly" in kinds and set(kinds) == {str(k) for k in AlertKind}
    assert AlertOut.model_json_schema()["properties"]["kind"]["enum"] == kinds


def test_identity_anomaly_cloudevent_is_valid_on_the_wire() -> None:
    from msa.domain import AlertStatus
    from tests.unit.api.builders import identity_anomaly

    alert = identity_anomaly(places=((-4.5, 36.0), (-15.4, 28.1), (-9.3, 38.6)), status=AlertStatus.CLOSED)
    _, headers, value = alert_to_cloudevent(alert)
    feature = loads(value)
    AlertFeature.model_validate(feature)
    assert feature["properties"]["kind"] == "identity_anomaly"
    assert feature["geometry"]["type"] == "MultiPoint" and len(feature["geometry"]["coordinates"]) == 3
    assert feature["geometry"]["coordinates"][2] == pytest.approx([-9.3, 38.6], abs=0.01)  # the detector's centroids
    assert [c["fixes"] for c in feature["properties"]["evidence"]["clusters"]][1:] == [4, 4]
    assert alert_from_cloudevent(headers, value) == alert
    bad = {**feature, "properties": {**feature["properties"], "kind": "identity_anomalies"}}
    with pytest.raises(ValueError, match="kind"):
        AlertFeature.model_validate(bad)
