"""``msa detect``: input formats, determinism of the output file, real recordings."""

from __future__ import annotations

import json
from pathlib import Path

from msa.cli import main
from msa.contracts.codec import dumps, record_to_dict
from msa.domain import SatelliteDetection
from services.detect.offline import run_offline
from services.detect.reading import sniff
from tests.shared_data import require_shared
from tests.unit.detect.scenario import mini_scenario


def write_inputs(tmp_path: Path) -> tuple[Path, Path]:
    recs = mini_scenario()
    ais = tmp_path / "ais.jsonl"
    ais.write_bytes(b"".join(dumps(record_to_dict(r)) + b"\n" for r in recs
                             if not isinstance(r, SatelliteDetection)) + b"not json\n")
    feats: list[dict[str, object]] = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [r.lon, r.lat]},
              "properties": {"detection_id": r.detection_id, "detected_at": record_to_dict(r)["ts"],
                             "confidence": r.confidence, "sensor": r.sensor, "scene_id": r.scene_id,
                             "length_m": r.length_m}}
             for r in recs if isinstance(r, SatelliteDetection)]
    feats.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[-15, 38], [-13, 38],
                                                                                       [-13, 39], [-15, 38]]]},
                  "properties": {"kind": "scene", "scene_id": "scene-1", "acquired_at": "2024-03-12T20:20:00Z",
                                 "sensor": "SAR"}})
    feats.append({"type": "Feature", "geometry": None, "properties": {}})  # counted, not fatal
    sat = tmp_path / "sat.geojson"
    sat.write_text(json.dumps({"type": "FeatureCollection", "features": feats}, indent=1))
    return ais, sat


def test_detect_writes_the_final_alerts_deterministically(tmp_path: Path) -> None:
    ais, sat = write_inputs(tmp_path)
    out1, out2 = tmp_path / "a1.jsonl", tmp_path / "a2.jsonl"
    assert main(["detect", str(ais), "--sat", str(sat), "--out", str(out1)]) == 0
    assert main(["detect", str(sat), str(ais), "--out", str(out2)]) == 0  # file order does not matter
    assert out1.read_bytes() == out2.read_bytes()
    alerts = [json.loads(line) for line in out1.read_text().splitlines()]
    assert sorted(a["kind"] for a in alerts) == ["dark_period", "dark_vessel", "go_fast", "rendezvous"]
    for a in alerts:
        assert {"alert_id", "kind", "status", "mmsi", "start", "end", "zone", "severity", "geometry",
                "evidence"} <= set(a)


def test_sniffing_input_formats(tmp_path: Path) -> None:
    ais, sat = write_inputs(tmp_path)
    nmea = tmp_path / "x.nmea"
    nmea.write_text("!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23\n")
    assert (sniff(ais), sniff(sat), sniff(nmea)) == ("jsonl", "geojson", "raw")


def test_bad_zone_file_is_a_clean_error(tmp_path: Path) -> None:
    ais, _ = write_inputs(tmp_path)
    bad = tmp_path / "zones.geojson"
    bad.write_text("{}")
    assert main(["detect", str(ais), "--zones", str(bad), "--out", str(tmp_path / "o.jsonl")]) == 2


def test_real_recording_runs_through_msa_decode(tmp_path: Path) -> None:
    src = require_shared("dma-aislib/ais250.txt")
    result = run_offline([src])
    assert result.stats["positions"] > 100 and result.stats["vessels_tracked"] > 100
    assert result.alerts == []  # 30 s of Danish traffic, outside every zone: nothing to alert
    out = tmp_path / "alerts.jsonl"
    assert main(["detect", str(src), "--out", str(out)]) == 0
    assert out.read_text() == ""


def test_gfw_decoded_messages_are_read(tmp_path: Path) -> None:
    src = require_shared("gfw-gpsdio-segment/regr_229000611.json")
    assert sniff(src) == "gfw"
    result = run_offline([src])
    # one vessel alone in the Strait for days: any silence is a coverage gap by construction, no alert
    assert result.stats["positions"] > 500 and result.stats["static"] > 0
    assert result.alerts == []


def test_params_and_zones_files_change_the_outcome(tmp_path: Path) -> None:
    ais, sat = write_inputs(tmp_path)
    params = tmp_path / "params.json"
    params.write_text(json.dumps({"zones": {"Strait of Gibraltar and Alboran Sea": {"gofast_min_speed_kn": 50}}}))
    out = tmp_path / "a.jsonl"
    assert main(["detect", str(ais), "--params", str(params), "--out", str(out)]) == 0
    kinds = sorted(json.loads(line)["kind"] for line in out.read_text().splitlines())
    assert kinds == ["dark_period", "rendezvous"]  # no go-fast at 42 kn any more; no --sat: no dark vessel
    zones = tmp_path / "zones.geojson"
    ring = [[-15.0, 38.0], [-13.0, 38.0], [-13.0, 39.0], [-15.0, 39.0], [-15.0, 38.0]]
    zones.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "box"}, "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))
    assert main(["detect", str(ais), str(sat), "--zones", str(zones), "--out", str(out)]) == 0
    alerts = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(a["kind"] for a in alerts) == ["dark_vessel", "rendezvous"] and {a["zone"] for a in alerts} == {"box"}
