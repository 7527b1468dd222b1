"""The evidence contract (msa.evidence): what it accepts and how it refuses. Its use by the real detector and
sink is tested end to end in tests/integration/test_evidence_e2e.py."""

from __future__ import annotations

import pytest

from msa.evidence import EVIDENCE_MODELS, EvidenceError, GoFastEvidence, parse_evidence

FIX = {"mmsi": 224000001, "ts": "2026-03-12T20:00:00Z", "lat": 36.0, "lon": -3.5, "sog_kn": 42.0}


def go_fast(**kw: object) -> dict[str, object]:
    return {"kind": "go_fast", "evidence_version": 2, "profile": "sustained_speed", "threshold_kn": 30.0,
            "track": [FIX], "thresholds": {"gofast_min_speed_kn": 30.0}, **kw}


def test_a_valid_go_fast_parses_into_its_class_and_keeps_extra_figures() -> None:
    ev = parse_evidence("go_fast", go_fast(mean_speed_kn=41.2))
    assert isinstance(ev, GoFastEvidence) and ev.track[0].sog_kn == 42.0
    assert ev.model_extra == {"thresholds": {"gofast_min_speed_kn": 30.0}, "mean_speed_kn": 41.2}


@pytest.mark.parametrize(("kind", "evidence", "where"), [
    ("go_fast", go_fast(track=[{**FIX, "lat": 95.0}]), "track.0.lat"),
    ("go_fast", go_fast(track=[{**FIX, "ts": "yesterday"}]), "track.0.ts"),
    ("go_fast", go_fast(track=[{**FIX, "speed": 3}]), "track.0.speed"),
    ("go_fast", {k: v for k, v in go_fast().items() if k != "threshold_kn"}, "threshold_kn"),
    ("rendezvous", go_fast(), "kind"),
    ("dark_vessel", {"kind": "dark_vessel", "evidence_version": 2}, "detection"),
    ("teleport", go_fast(), "unknown alert kind"),
])
def test_evidence_breaking_the_contract_is_refused_with_where(kind: str, evidence: dict[str, object],
                                                               where: str) -> None:
    with pytest.raises(EvidenceError) as err:
        parse_evidence(kind, evidence)
    assert where in err.value.detail


def test_evidence_written_before_the_contract_is_read_leniently() -> None:
    legacy = {"positions": [{"ts": "2026-03-12T20:00:00Z", "lat": 36.0, "lon": -3.5}], "profile": "x"}
    assert parse_evidence("go_fast", legacy).track == []


def test_every_kind_has_a_model_and_a_schema_naming_track_and_detections() -> None:
    from msa.evidence import evidence_json_schemas

    schemas = evidence_json_schemas()
    assert set(schemas) == set(EVIDENCE_MODELS) == {"go_fast", "dark_period", "rendezvous", "dark_vessel",
                                                    "dark_rendezvous", "identity_anomaly"}
    for kind, schema in schemas.items():
        assert {"track", "detections", "kind"} <= set(schema["properties"]), kind
