"""Scope everywhere: one in-zone alert does not expose where its vessel is elsewhere, and partners (no track
permission) get no track anywhere — not in ``GET /alerts/{id}``, not in the evidence, not on their topics."""

from __future__ import annotations

import uuid

import httpx
import pytest

from msa.domain import AlertKind, AlertStatus
from services.api.partners import partner_feature
from services.api.principal import Role
from services.api.rows import TRACK_EVIDENCE_KEYS
from tests.unit.api.builders import T0_MS, alert, identity_anomaly, token
from tests.unit.api.live import api_settings, bearer, running_api, seed

pytestmark = pytest.mark.integration

M = 232000077


async def test_a_vessel_page_shows_only_what_the_callers_alerts_saw(migrated_database_url: str) -> None:
    mine, theirs = f"z{uuid.uuid4().hex[:8]}", f"z{uuid.uuid4().hex[:8]}"
    here = alert(zone=mine, mmsi=(M,), lon=-4.5, lat=36.0, start_ms=T0_MS)
    there = alert(zone=theirs, mmsi=(M,), lon=-15.0, lat=28.0, start_ms=T0_MS + 6 * 3_600_000)  # later, far
    await seed(migrated_database_url, [here, there])
    async with running_api(api_settings(migrated_database_url)) as base, httpx.AsyncClient(base_url=base) as c:
        v = (await c.get(f"/vessels/{M}", headers=bearer(token(Role.OFFICER, (mine,))))).json()
        assert v["track"] and all(p["lon"] > -6 for p in v["track"]), "a position of the other zone's alert"
        assert [a["alert_id"] for a in v["alerts"]] == [here.alert_id]
        assert v["last_position"]["lon"] > -6  # where this caller's alert last saw it, not the later position
        everywhere = (await c.get(f"/vessels/{M}", headers=bearer(token(Role.OFFICER, ("*",))))).json()
        assert any(p["lon"] < -14 for p in everywhere["track"]) and everywhere["last_position"]["lon"] < -14
        assert (await c.get(f"/vessels/{M}", headers=bearer(token(Role.OFFICER, ("elsewhere",))))).status_code == 404


@pytest.mark.parametrize("kind", [k for k in AlertKind if k != AlertKind.IDENTITY_ANOMALY])
async def test_partners_get_no_track_in_the_alert_detail(migrated_database_url: str, kind: AlertKind) -> None:
    zone = f"z{uuid.uuid4().hex[:8]}"
    a = alert(zone=zone, kind=kind, mmsi=() if kind == AlertKind.DARK_VESSEL else (233000001, 233000002)[
        : 2 if kind == AlertKind.RENDEZVOUS else 1], extra=kind.value, detection_ids=(f"d-{zone}",))
    await seed(migrated_database_url, [a])
    async with running_api(api_settings(migrated_database_url)) as base, httpx.AsyncClient(base_url=base) as c:
        officer = (await c.get(f"/alerts/{a.alert_id}", headers=bearer(token(Role.OFFICER, (zone,))))).json()
        assert officer["track"] and officer["evidence"]["track"]  # the officer's view has it
        for role in (Role.PARTNER,):
            d = (await c.get(f"/alerts/{a.alert_id}", headers=bearer(token(role, (zone,))))).json()
            assert d["track"] == [] and not TRACK_EVIDENCE_KEYS & set(d["evidence"]), (role, sorted(d["evidence"]))
            assert d["detections"] == officer["detections"]  # what the satellite saw is not a track
            fc = await c.get(f"/alerts/{a.alert_id}", params={"f": "geojson"}, headers=bearer(token(role, (zone,))))
            assert "track" not in fc.json()["properties"]["evidence"]


def test_a_partner_feature_carries_no_track_and_no_cluster_positions() -> None:
    ident = identity_anomaly(status=AlertStatus.CLOSED)
    ev = partner_feature(ident)["properties"]["evidence"]
    assert "track" not in ev and ev["clusters"] and all("positions" not in c for c in ev["clusters"])
    assert [c["centroid"] for c in ev["clusters"]] == [c["centroid"] for c in ident.evidence["clusters"]]
    dark = alert(kind=AlertKind.DARK_VESSEL, mmsi=())
    assert not TRACK_EVIDENCE_KEYS & set(partner_feature(dark)["properties"]["evidence"])
