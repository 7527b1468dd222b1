from __future__ import annotations

import csv
import io

import pytest

from msa.contracts.codec import alert_to_dict
from msa.domain import AlertKind, AlertStatus
from services.api.partners import Subscription, check_subscription, partner_feature, route
from services.api.render import alert_csv
from services.api.rows import OFFICER_ONLY_FIELDS, partner_view
from tests.unit.api.builders import alert, identity_anomaly


def officer_dict() -> dict[str, object]:
    d = alert_to_dict(alert(summary="=HYPERLINK(\"http://x\")"))
    d["workflow"] = {"state": "acknowledged", "assignee": "alice", "closed_reason": None, "version": 2}
    d["comments"] = [{"text": "secret"}]
    return d


def test_partner_view_drops_officer_only_fields() -> None:
    v = partner_view(officer_dict())
    assert not set(OFFICER_ONLY_FIELDS) & set(v)
    assert v["alert_id"] == officer_dict()["alert_id"]


def test_csv_for_officers_and_partners() -> None:
    officer = list(csv.DictReader(io.StringIO("".join(alert_csv([officer_dict()], officer=True)))))
    partner = list(csv.DictReader(io.StringIO("".join(alert_csv([officer_dict()], officer=False)))))
    assert officer[0]["assignee"] == "alice" and officer[0]["lon"] == "-4.5"
    assert "assignee" not in partner[0] and "workflow_state" not in partner[0]
    assert officer[0]["summary"].startswith("'=")  # no formula injection


def test_partner_routing_by_zone_and_kind() -> None:
    subs = [Subscription("b-coast", frozenset({"alboran"}), frozenset()),
            Subscription("a-navy", frozenset({"*"}), frozenset({"rendezvous"})),
            Subscription("off", frozenset({"*"}), frozenset(), enabled=False)]
    assert route(subs, alert(zone="alboran")) == ["b-coast"]
    assert route(subs, alert(zone="alboran", kind=AlertKind.RENDEZVOUS)) == ["a-navy", "b-coast"]
    assert route(subs, alert(zone="algarve")) == []
    feat = partner_feature(alert())
    assert feat["type"] == "Feature" and not set(OFFICER_ONLY_FIELDS) & set(feat["properties"])


def test_partner_routing_of_identity_anomalies() -> None:
    subs = [Subscription("all-kinds", frozenset({"alboran"}), frozenset()),
            Subscription("ident", frozenset({"*"}), frozenset({"identity_anomaly"})),
            Subscription("gofast-only", frozenset({"*"}), frozenset({"go_fast", "dark_rendezvous"})),
            Subscription("ident-elsewhere", frozenset({"algarve"}), frozenset({"identity_anomaly"}))]
    assert route(subs, identity_anomaly(zone="alboran")) == ["all-kinds", "ident"]
    assert route(subs, alert(zone="alboran")) == ["all-kinds", "gofast-only"]
    feat = partner_feature(identity_anomaly(status=AlertStatus.CLOSED))
    assert feat["geometry"]["type"] == "MultiPoint" and len(feat["properties"]["evidence"]["clusters"]) == 2
    assert not set(OFFICER_ONLY_FIELDS) & set(feat["properties"])


def test_a_subscription_to_an_unknown_kind_is_refused() -> None:
    check_subscription(Subscription("ok", frozenset({"*"}), frozenset({"identity_anomaly", "rendezvous"})))
    with pytest.raises(ValueError, match="identity_anomly") as exc:
        check_subscription(Subscription("typo", frozenset({"*"}), frozenset({"identity_anomly"})))
    assert "identity_anomaly" in str(exc.value)  # lists the kinds that exist
    with pytest.raises(ValueError, match="partner name"):
        check_subscription(Subscription("Bad Name", frozenset({"*"}), frozenset()))
