"""Scoring handmade alerts against a handmade truth: TP, FP, decoys, retracted, implied, delays, regimes, CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from msa.cli import main
from msa.domain import format_ts, parse_ts
from services.simulate.evaluate import evaluate
from services.simulate.model import TruthItem
from services.simulate.places import STATIONS
from services.simulate.report import format_table
from services.simulate.shore import Station, station_to_dict
from services.simulate.truth import item_to_dict
from services.simulate.truth_matching import alert_view, representative_point

T = parse_ts("2024-03-12T21:00:00Z")
H = 3_600_000


def truth(kind: str, mmsi: tuple[int, ...], start: int, end: int, lat: float = 36.0, lon: float = -5.0,
          det: str | None = None, item_id: str = "") -> TruthItem:
    return TruthItem(item_id or f"t/{kind}/{mmsi}", kind, mmsi, start, end, lat, lon, "hand", "", det)


def alert(kind: str, mmsi: list[int], start: int, end: int | None = None, status: str = "closed",
          lat: float = 36.0, lon: float = -5.0, det: list[str] | None = None, **evidence: Any) -> dict[str, Any]:
    return {"alert_id": f"{kind}-{mmsi}-{start}-{status}", "kind": kind, "status": status, "mmsi": mmsi,
            "start": format_ts(start), "end": None if end is None else format_ts(end), "zone": "Z",
            "severity": "high", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "detection_ids": det or [], "evidence": evidence}


EVENTS = [
    truth("go_fast", (1,), T, T + H),
    truth("dark_period", (2,), T, T + 4 * H),
    truth("rendezvous", (3, 4), T, T + 2 * H),
    truth("dark_vessel", (), T, T, 36.5, -7.5, det="scene1-abc"),
    truth("dark_rendezvous", (5,), T, T + H, 36.4, -4.0, det="scene2-def"),
    truth("identity_anomaly", (6,), T, T + 4 * H, 41.0, -13.0),
]
DECOYS = [truth("go_fast", (9,), T - H, T + 5 * H), truth("rendezvous", (7, 8), T - H, T + 5 * H)]


def test_perfect_alerts_give_full_scores_and_delays() -> None:
    alerts = [alert("go_fast", [1], T + 60_000, T + H), alert("dark_period", [2], T, T + 4 * H,
                                                                evidence={"dark_threshold_s": 10800}),
              alert("rendezvous", [3, 4], T + 10 * 60_000, T + 2 * H),
              alert("dark_vessel", [], T, T, lat=36.51, lon=-7.49),
              alert("dark_rendezvous", [5], T + 30 * 60_000, T + 30 * 60_000, det=["scene2-def"]),
              alert("identity_anomaly", [6], T, T + 4 * H, lat=41.0, lon=-13.0)]
    res = evaluate(EVENTS, DECOYS, [alert_view(a) for a in alerts])
    for kind, s in res.kinds.items():
        assert (s.recall, s.precision) == (1.0, 1.0), kind
    assert res.kinds["go_fast"].delays_s == [60.0]
    assert res.kinds["dark_period"].open_delays_s == [10800.0]
    assert res.meets() and not res.decoys_flagged


def test_false_positive_on_decoy_is_flagged() -> None:
    alerts = [alert("go_fast", [1], T, T + H), alert("go_fast", [9], T + H, T + H + 600_000)]
    res = evaluate(EVENTS, DECOYS, [alert_view(a) for a in alerts])
    assert res.kinds["go_fast"].precision == 0.5
    assert [d["decoy"] for d in res.decoys_flagged] == [DECOYS[0].item_id]
    assert not res.meets()


def test_wrong_time_or_wrong_vessel_is_not_a_match() -> None:
    alerts = [alert("go_fast", [1], T + 5 * H, T + 6 * H), alert("rendezvous", [3, 99], T, T + H),
              alert("rendezvous", [98, 99], T, T + H)]
    res = evaluate(EVENTS, DECOYS, [alert_view(a) for a in alerts])
    assert res.kinds["go_fast"].recall == 0.0 and res.kinds["go_fast"].false_positives == 1
    assert res.kinds["rendezvous"].true_positives == 1 and res.kinds["rendezvous"].false_positives == 1
    assert {m["event"] for m in res.missed} >= {EVENTS[0].item_id, EVENTS[1].item_id}


def test_retracted_alerts_do_not_count() -> None:
    res = evaluate(EVENTS, DECOYS, [alert_view(alert("go_fast", [9], T, T + H, status="retracted"))])
    assert res.kinds["go_fast"].alerts == 0 and res.kinds["go_fast"].retracted == 1
    assert not res.decoys_flagged


def test_dark_vessel_matches_by_place_and_time() -> None:
    near_late = alert("dark_vessel", [], T + 2 * H, None, lat=36.5, lon=-7.5)
    far = alert("dark_vessel", [], T, None, lat=36.9, lon=-7.5)
    res = evaluate(EVENTS, [], [alert_view(near_late), alert_view(far)])
    assert res.kinds["dark_vessel"].true_positives == 0 and res.kinds["dark_vessel"].false_positives == 2


def test_dark_vessel_on_the_dark_rendezvous_boat_is_implied() -> None:
    res = evaluate(EVENTS, [], [alert_view(alert("dark_vessel", [], T + 1000, None, det=["scene2-def"],
                                                 lat=36.405, lon=-4.0))])
    assert res.kinds["dark_vessel"].implied == 1 and res.kinds["dark_vessel"].false_positives == 0


def test_representative_point_of_lines() -> None:
    assert representative_point({"type": "LineString", "coordinates": [[-5, 36], [-4, 37]]}) == (36.5, -4.5)
    assert representative_point({"type": "Point", "coordinates": []}) is None


def test_table_lists_every_kind() -> None:
    text = format_table(evaluate(EVENTS, DECOYS, []))
    for kind in ("go_fast", "dark_period", "rendezvous", "dark_vessel", "dark_rendezvous", "identity_anomaly"):
        assert kind in text
    assert "NOT MET" in text


def test_eval_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "truth.json").write_text(json.dumps({
        "format": "msa-sim-truth/1", "events": [item_to_dict(e) for e in EVENTS],
        "decoys": [item_to_dict(d) for d in DECOYS]}))
    (tmp_path / "alerts.jsonl").write_text(json.dumps(alert("go_fast", [1], T, T + H)) + "\n")
    rc = main(["eval", "--truth", str(tmp_path / "truth.json"), "--alerts", str(tmp_path / "alerts.jsonl"),
               "--json", str(tmp_path / "eval.json"), "--check"])
    assert rc == 1
    assert "go_fast" in capsys.readouterr().out
    doc = json.loads((tmp_path / "eval.json").read_text())
    assert doc["kinds"]["go_fast"]["recall"] == 1.0 and doc["kinds"]["rendezvous"]["recall"] == 0.0


COAST_PT = (36.0, -5.5)  # the Strait: shore receivers
SEA_PT = (41.0, -13.0)  # 300 km west of Portugal: satellite AIS only
REGIONAL = [
    truth("go_fast", (11,), T, T + H, *COAST_PT),
    truth("go_fast", (12,), T, T + H, *SEA_PT),
    truth("go_fast", (13,), T, T + H, *SEA_PT),
    truth("dark_period", (14,), T, T + 3 * H, *SEA_PT),
]
REGIONAL_DECOYS = [truth("rendezvous", (21, 22), T, T + 5 * H, *SEA_PT), truth("go_fast", (23,), T, T + H, *COAST_PT)]


def test_events_and_matched_alerts_count_in_the_event_regime() -> None:
    alerts = [alert("go_fast", [11], T, T + H, lat=SEA_PT[0], lon=SEA_PT[1]),  # placed offshore, its event is not
              alert("go_fast", [12], T + 600_000, T + H, lat=SEA_PT[0], lon=SEA_PT[1])]
    res = evaluate(REGIONAL, REGIONAL_DECOYS, [alert_view(a) for a in alerts])
    coast, sea = res.regimes["coast"]["go_fast"], res.regimes["offshore"]["go_fast"]
    assert (coast.events, coast.detected, coast.true_positives, coast.recall) == (1, 1, 1, 1.0)
    assert (sea.events, sea.detected, sea.true_positives, sea.recall) == (2, 1, 1, 0.5)
    assert sea.delays_s == [600.0] and coast.delays_s == [0.0]
    assert res.kinds["go_fast"].recall == pytest.approx(2 / 3)
    assert res.regimes["offshore"]["dark_period"].recall == 0.0
    assert {m["event"]: m["regime"] for m in res.missed} == {REGIONAL[2].item_id: "offshore",
                                                             REGIONAL[3].item_id: "offshore"}
    assert res.decoys_by_regime == {"coast": 1, "offshore": 1}


def test_false_positives_take_the_regime_of_their_location() -> None:
    alerts = [alert("rendezvous", [21, 22], T, T + H, lat=SEA_PT[0], lon=SEA_PT[1]),  # flags the offshore decoy
              alert("go_fast", [99], T, T + H, lat=COAST_PT[0], lon=COAST_PT[1]),
              {**alert("go_fast", [98], T, T + H), "geometry": None}]  # no geometry: overall only
    res = evaluate(REGIONAL, REGIONAL_DECOYS, [alert_view(a) for a in alerts])
    assert res.regimes["offshore"]["rendezvous"].false_positives == 1
    assert res.regimes["coast"]["rendezvous"].false_positives == 0
    assert res.regimes["coast"]["go_fast"].false_positives == 1
    assert res.regimes["offshore"]["go_fast"].false_positives == 0
    assert res.kinds["go_fast"].false_positives == 2
    assert [(d["decoy"], d["regime"]) for d in res.decoys_flagged] == [(REGIONAL_DECOYS[0].item_id, "offshore")]
    assert [fp["regime"] for fp in res.false_positives] == ["offshore", "coast", None]
    text = format_table(res)
    assert "decoys flagged: 1 of 2 (coast 0 of 1, offshore 1 of 1)" in text


def test_regimes_follow_the_stations_given() -> None:
    far_station = (Station("rx-far", 41.0, -13.2),)
    res = evaluate([truth("go_fast", (12,), T, T + H, *SEA_PT)], [], [], stations=far_station)
    assert res.regimes["coast"]["go_fast"].events == 1 and res.regimes["offshore"]["go_fast"].events == 0
    with_regime = [TruthItem("x", "go_fast", (12,), T, T + H, *SEA_PT, "hand", regime="coast")]
    assert evaluate(with_regime, [], []).regimes["coast"]["go_fast"].events == 1  # the truth's own regime wins


def test_targets_hold_in_every_regime_with_events() -> None:
    events = [truth("go_fast", (i,), T, T + H, *COAST_PT) for i in range(1, 20)]
    events.append(truth("go_fast", (20,), T, T + H, *SEA_PT))
    alerts = [alert_view(alert("go_fast", [i], T, T + H)) for i in range(1, 20)]
    res = evaluate(events, [], alerts)
    assert res.kinds["go_fast"].recall == 0.95  # overall met...
    assert res.regimes["offshore"]["go_fast"].recall == 0.0 and not res.meets()  # ...but not offshore
    stray = alert_view(alert("go_fast", [77], T, T + H, lat=SEA_PT[0], lon=SEA_PT[1]))
    res = evaluate(events[:-1], [], [*alerts, stray])
    assert res.regimes["offshore"]["go_fast"].events == 0 and res.meets()  # an FP where no event exists: overall


def test_eval_json_has_regimes(tmp_path: Path) -> None:
    (tmp_path / "truth.json").write_text(json.dumps({
        "format": "msa-sim-truth/2", "stations": [station_to_dict(s) for s in STATIONS],
        "events": [item_to_dict(e) for e in REGIONAL], "decoys": [item_to_dict(d) for d in REGIONAL_DECOYS]}))
    (tmp_path / "alerts.jsonl").write_text(json.dumps(alert("go_fast", [12], T, T + H)) + "\n")
    rc = main(["eval", "--truth", str(tmp_path / "truth.json"), "--alerts", str(tmp_path / "alerts.jsonl"),
               "--json", str(tmp_path / "eval.json")])
    assert rc == 0
    doc = json.loads((tmp_path / "eval.json").read_text())
    assert doc["regimes"]["offshore"]["go_fast"]["recall"] == 0.5
    assert doc["regimes"]["coast"]["go_fast"]["recall"] == 0.0
    assert doc["decoys_by_regime"] == {"coast": 1, "offshore": 1}
