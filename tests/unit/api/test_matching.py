from __future__ import annotations

from msa.contracts.codec import alert_to_dict
from msa.domain import AlertKind
from services.api.filters import AlertFilter, BBox
from services.api.matching import alert_matches, geometry_bbox
from services.api.principal import Role
from tests.unit.api.builders import T0_MS, alert, identity_anomaly, principal


def as_dict(**kw: object) -> dict[str, object]:
    d = alert_to_dict(alert(**kw))  # type: ignore[arg-type]
    d["workflow"] = {"state": "new"}
    return d


def test_scope_hides_foreign_zones() -> None:
    a = as_dict(zone="algarve")
    assert not alert_matches(AlertFilter(), principal(zones=("alboran",)), a)
    assert alert_matches(AlertFilter(), principal(zones=("*",)), a)
    assert not alert_matches(AlertFilter(), principal(zones=()), a)


def test_filters() -> None:
    p = principal()
    a = as_dict(kind=AlertKind.RENDEZVOUS, mmsi=(1, 2), lon=-4.5, lat=36.0)
    assert alert_matches(AlertFilter(kinds=("rendezvous",), mmsi=2, severities=("high",)), p, a)
    assert not alert_matches(AlertFilter(kinds=("go_fast",)), p, a)
    assert not alert_matches(AlertFilter(mmsi=3), p, a)
    assert alert_matches(AlertFilter(bbox=BBox(-5, 35.5, -4, 36.5)), p, a)
    assert not alert_matches(AlertFilter(bbox=BBox(10, 35.5, 11, 36.5)), p, a)
    assert alert_matches(AlertFilter(since_ms=T0_MS - 1, until_ms=T0_MS + 1), p, a)
    assert not alert_matches(AlertFilter(until_ms=T0_MS - 1), p, a)
    assert not alert_matches(AlertFilter(workflow=("closed",)), p, a)


def test_live_feed_kind_filter_and_bbox_of_an_identity_anomaly() -> None:
    d = alert_to_dict(identity_anomaly(zone="alboran", places=((-4.5, 36.0), (-15.4, 28.1))))
    d["workflow"] = {"state": "new"}
    p = principal()
    assert alert_matches(AlertFilter(kinds=("identity_anomaly",)), p, d)
    assert alert_matches(AlertFilter(kinds=("go_fast", "identity_anomaly")), p, d)
    assert not alert_matches(AlertFilter(kinds=("go_fast",)), p, d)
    assert not alert_matches(AlertFilter(kinds=("identity_anomaly",)), p, as_dict())
    # the MultiPoint of segment centroids: a box round either place finds it
    assert alert_matches(AlertFilter(bbox=BBox(-16, 27.5, -15, 28.5)), p, d)
    assert not alert_matches(AlertFilter(bbox=BBox(-10, 30, -8, 32)), p, d)


def test_partners_cannot_filter_on_the_workflow() -> None:
    a = as_dict()
    assert alert_matches(AlertFilter(workflow=("closed",)), principal(Role.PARTNER), a)


def test_geometry_bbox() -> None:
    g = {"type": "MultiPoint", "coordinates": [[1, 2], [3, -4]]}
    assert geometry_bbox(g) == BBox(1, -4, 3, 2)
    assert geometry_bbox(None) is None


def test_regions_expand_to_their_zones_and_names_may_contain_commas() -> None:
    from services.api.zone_scope import expand_scope, regions_of, split_zones, zones_for

    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": None, "properties": {"name": "Strait", "region": "mediterranean"}},
        {"type": "Feature", "geometry": None, "properties": {"name": "Cadiz, Algarve", "region": "atlantic"}}]}
    regions = regions_of(fc)
    p = expand_scope(principal(zones=("mediterranean",)), regions)
    assert p.zones == {"mediterranean", "Strait"}
    assert [f["id"] for f in zones_for(fc, p)["features"]] == ["Strait"]
    assert split_zones("Cadiz, Algarve;Strait") == ["Cadiz, Algarve", "Strait"]
    assert split_zones("a,b") == ["a", "b"] and split_zones(None) == []
