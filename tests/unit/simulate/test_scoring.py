"""Scoring plumbing without the detector: seeds parsing, the detect command line, score_dir on files."""

from __future__ import annotations

import json
from pathlib import Path

from services.simulate.cli import parse_seeds
from services.simulate.scenarios import build_world
from services.simulate.scoring import detect_command, score_dir
from services.simulate.split import CROSS, scenario_of
from services.simulate.truth import truth_to_dict
from services.simulate.truth_matching import AlertView


def test_parse_seeds() -> None:
    assert parse_seeds("3") == [3]
    assert parse_seeds("1-3") == [1, 2, 3]
    assert parse_seeds("1,4-5") == [1, 4, 5]


def test_detect_command_passes_sat_only_when_there_are_features(tmp_path: Path) -> None:
    (tmp_path / "sat.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    assert "--sat" not in detect_command(tmp_path)
    (tmp_path / "sat.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [{}]}))
    cmd = detect_command(tmp_path)
    assert cmd[cmd.index("--sat") + 1] == str(tmp_path / "sat.geojson")
    assert cmd[-2:] == ["--out", str(tmp_path / "alerts.jsonl")]


def test_score_dir_on_existing_alerts(tmp_path: Path) -> None:
    world = build_world("glitch", 1)
    (tmp_path / "truth.json").write_text(json.dumps(truth_to_dict(world)))
    (decoy,) = [d for d in world.decoys if d.kind == "go_fast"]
    alert = {"alert_id": "x", "kind": "go_fast", "status": "closed", "mmsi": list(decoy.mmsi),
             "start": "2024-03-12T22:00:00Z", "end": "2024-03-12T22:10:00Z", "zone": "Z", "geometry": None}
    (tmp_path / "alerts.jsonl").write_text(json.dumps(alert) + "\n")
    res = score_dir(tmp_path, detect=False)
    assert [d["decoy"] for d in res.decoys_flagged] == [decoy.item_id]


def test_all_scenarios_share_one_end_when_merged() -> None:
    world = build_world("all", 1)
    ends = {a.track.end_ms >= world.end_ms for a in world.actors if a.transmits and a.track.start_ms < world.start_ms}
    assert ends == {True}


def _view(mmsi: list[int], dets: list[str] | None = None) -> AlertView:
    return AlertView("a", "go_fast", "open", tuple(mmsi), 0, None, "Z", None, tuple(dets or ()), {})


def test_alerts_are_attributed_to_their_scenario_by_mmsi_block() -> None:
    assert scenario_of(_view([224001003])) == "alboran_gofast"
    assert scenario_of(_view([242005002, 613005001])) == "offshore_rendezvous"
    assert scenario_of(_view([], ["dark_vessel-scene1-abcd1234"])) == "dark_vessel"
    assert scenario_of(_view([224001003, 224002001])) == CROSS
    assert scenario_of(_view([224000000])) == "identity_shared"  # the placeholder MMSI, outside every block
    assert scenario_of(_view([224020001])) == "identity_shared"
    assert scenario_of(_view([], ["offshore_dark_vessel-scene1-abcd1234"])) == "offshore_dark_vessel"
