"""What ``render`` writes: valid tagged NMEA at ITU rates, duplicates, late satellite lines, SAR GeoJSON with
delivery times, truth with regimes and stations, two transponders on one MMSI, byte-identical for a seed."""

from __future__ import annotations

import itertools
import json
import statistics
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import pyais
import pytest
from pyais.messages import NMEASentenceFactory

from msa.ais.bits import SOG_NOT_AVAILABLE_KN
from msa.domain import parse_ts
from msa.formats.satellite import parse_feature_collection
from services.detect.reading import read_satellite_geojson
from services.simulate.model import VesselSpec, check_mmsis, merge_worlds
from services.simulate.places import STATIONS
from services.simulate.sar import delivery_delay_s, detection_id
from services.simulate.scenario_context import ScenarioContext
from services.simulate.trajectory import TrackBuilder
from services.simulate.truth import load_truth
from services.simulate.world_files import render


def mini_world(seed: int) -> ScenarioContext:
    """Near Tarifa (heard by two shore stations) plus one ship 300 km offshore (satellite only), and two boats
    sharing one MMSI at anchor off Huelva, each reporting every 60 s without SOG, half a minute apart."""
    ctx = ScenarioContext("mini", 99, seed, duration_h=2.0)
    t = ctx.start_ms - 60_000
    ctx.add("cargo", VesselSpec(224099001, "A", "CARGO", "EA1", 70, 150.0),
            TrackBuilder(t, 35.95, -5.70).sail_to(35.95, -5.20, 12.0).build())
    ctx.add("anchored", VesselSpec(224099002, "A", "ANCHOR", "EA2", 80, 200.0),
            TrackBuilder(t, 36.12, -5.40).hold(3 * 3600).build())
    ctx.add("rib", VesselSpec(224099003, "B", "RIB", "EB3", 37, 9.0),
            TrackBuilder(t, 35.90, -5.50).sail_to(36.10, -5.30, 35.0).hold(3 * 3600).build())
    ctx.add("offshore", VesselSpec(224099004, "A", "FAR", "EA4", 70, 100.0),
            TrackBuilder(t, 31.0, -15.5).sail_for(0.0, 12.0, 3 * 3600).build())
    ctx.add("noais", VesselSpec(0, "A", length_m=20.0), TrackBuilder(t, 35.97, -5.45).hold(3 * 3600).build(),
            transmits=False, sar_detect_p=1.0)
    ctx.scene(ctx.at(1.0), 35.8, 36.2, -5.8, -5.1)
    for i, lat in enumerate((37.08, 37.09)):
        ctx.add(f"clone-{i}", VesselSpec(224099009, "B", f"CLONE {i}", "EB9", 30, 10.0),
                TrackBuilder(t + i * 30_000, lat, -6.88).hold(3 * 3600).build(), shares_mmsi=True,
                report_interval_s=60.0, reports_sog=False)
    ctx.event("go_fast", (224099003,), ctx.at(0.1), ctx.at(0.5), 36.0, -5.4)
    ctx.event("dark_period", (224099004,), ctx.at(0.5), ctx.at(1.5), 31.0, -15.5)
    return ctx


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("mini")
    render(mini_world(1).world, d)
    return d


def _parse(line: str) -> tuple[str, int, str]:
    s = NMEASentenceFactory.produce(line.encode())
    assert s.is_valid, line
    assert s.tag_block is not None
    s.tag_block.init()
    assert s.tag_block.is_valid, line
    return str(s.tag_block.source_station), int(str(s.tag_block.receiver_timestamp)), line.split("\\")[-1]


def test_every_line_has_valid_checksums_and_tag_block(out: Path) -> None:
    lines = out.joinpath("ais.nmea").read_text().splitlines()
    assert len(lines) > 500
    parsed = [_parse(line) for line in lines]
    assert all(p[2].startswith("!AIVDM,") for p in parsed)


def _times_by(out: Path) -> dict[tuple[int, str], list[int]]:
    times: dict[tuple[int, str], list[int]] = defaultdict(list)
    for line in out.joinpath("ais.nmea").read_text().splitlines():
        src, c, nmea = _parse(line)
        if nmea.startswith("!AIVDM,1,1"):
            msg = pyais.decode(nmea)
            if msg.msg_type in (1, 3, 18):
                times[(msg.mmsi, src)].append(c)
    return times


@pytest.mark.parametrize(("mmsi", "expected_s"), [(224099001, 10), (224099002, 180), (224099003, 30)])
def test_reporting_intervals_follow_itu(out: Path, mmsi: int, expected_s: float) -> None:
    times = _times_by(out)
    gaps = [b - a for key, ts in times.items() if key[0] == mmsi and key[1] == "rx-tarifa"
            for a, b in zip(sorted(ts), sorted(ts)[1:], strict=False)]
    assert len(gaps) > 10
    assert statistics.median(gaps) == pytest.approx(expected_s, rel=0.25, abs=1)


def test_duplicates_from_two_receivers(out: Path) -> None:
    sources = {src for (mmsi, src) in _times_by(out) if mmsi == 224099001}
    assert {"rx-tarifa", "rx-ceuta"} <= sources


def test_offshore_only_by_satellite_and_late(out: Path) -> None:
    lines = out.joinpath("ais.nmea").read_text().splitlines()
    sat = [i for i, line in enumerate(lines) if "s:sat-ais" in line]
    assert sat
    assert {src for (mmsi, src) in _times_by(out) if mmsi == 224099004} == {"sat-ais"}
    stamps = [_parse(line)[1] for line in lines]
    assert any(stamps[i] < stamps[i - 1] for i in sat if i > 0)  # delivered after newer lines


def test_type5_parts_are_consecutive_and_assemble(out: Path) -> None:
    lines = [line.split("\\")[-1] for line in out.joinpath("ais.nmea").read_text().splitlines()]
    firsts = [i for i, line in enumerate(lines) if line.startswith("!AIVDM,2,1,")]
    assert firsts
    for i in firsts[:20]:
        assert lines[i + 1].startswith("!AIVDM,2,2,")
        assert pyais.decode(lines[i], lines[i + 1]).msg_type == 5


def test_sar_scene_and_detections(out: Path) -> None:
    doc = json.loads(out.joinpath("sat.geojson").read_text())
    kinds = [f["properties"].get("kind") for f in doc["features"]]
    assert kinds.count("scene") == 1
    ids = {f["properties"].get("detection_id") for f in doc["features"]}
    assert detection_id("mini-scene1", "mini/noais") in ids
    for f in doc["features"]:
        if f["geometry"]["type"] == "Point":
            p = f["properties"]
            assert {"detection_id", "detected_at", "length_m", "confidence", "sensor", "scene_id"} <= set(p)
            assert 0 < p["confidence"] <= 1


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path, out: Path) -> None:
    render(mini_world(1).world, tmp_path / "again")
    render(mini_world(2).world, tmp_path / "other")
    for name in ("ais.nmea", "sat.geojson", "truth.json"):
        assert (tmp_path / "again" / name).read_bytes() == (out / name).read_bytes()
    assert (tmp_path / "other" / "ais.nmea").read_bytes() != (out / "ais.nmea").read_bytes()


def test_sar_products_are_delivered_30_min_to_6_h_after_acquisition(out: Path) -> None:
    doc = json.loads(out.joinpath("sat.geojson").read_text())
    by_scene: dict[str, set[str]] = defaultdict(set)
    for f in doc["features"]:
        p = f["properties"]
        acquired = p.get("acquired_at") or p["detected_at"]
        delay_s = (parse_ts(p["delivered_at"]) - parse_ts(acquired)) / 1000
        assert 1800 <= delay_s <= 21_600
        by_scene[p["scene_id"]].add(p["delivered_at"])
    assert all(len(v) == 1 for v in by_scene.values())  # a scene's product arrives at once
    delays = {delivery_delay_s(seed, "s1") for seed in range(200)}
    assert min(delays) < 3600 and max(delays) > 4 * 3600


def test_sat_geojson_with_delivery_times_is_accepted_by_both_readers(out: Path) -> None:
    doc = json.loads(out.joinpath("sat.geojson").read_text())
    records, rejects = parse_feature_collection(doc)
    assert not rejects and len(records) == len(doc["features"])
    counters: dict[str, int] = {}
    assert len(list(read_satellite_geojson(out / "sat.geojson", counters))) == len(doc["features"])
    assert not counters


def test_truth_has_regimes_and_the_shore_stations(out: Path) -> None:
    doc = json.loads(out.joinpath("truth.json").read_text())
    assert doc["format"] == "msa-sim-truth/2"
    assert {s["name"] for s in doc["stations"]} >= {"rx-tarifa", "rx-funchal"}
    assert all({"name", "lat", "lon", "range_m"} == set(s) for s in doc["stations"])
    truth = load_truth(doc)
    assert [(s.name, s.lat, s.lon, s.range_m) for s in truth.stations] == [
        (s.name, s.lat, s.lon, s.range_m) for s in STATIONS]
    assert {e.kind: e.regime for e in truth.events} == {"go_fast": "coast", "dark_period": "offshore"}


def test_two_transponders_sharing_an_mmsi_alternate_without_sog(out: Path) -> None:
    stamps: list[tuple[int, float]] = []
    for line in out.joinpath("ais.nmea").read_text().splitlines():
        src, c, nmea = _parse(line)
        if src == "rx-huelva" and nmea.startswith("!AIVDM,1,1"):
            msg = pyais.decode(nmea).asdict()
            if msg["msg_type"] == 18 and msg["mmsi"] == 224099009:
                assert msg["speed"] == SOG_NOT_AVAILABLE_KN
                stamps.append((c, float(str(msg["lat"]))))
    stamps.sort()
    assert len(stamps) > 100
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(stamps)]
    assert 28 <= statistics.median(gaps) <= 32
    north = [lat > 37.085 for _, lat in stamps]
    flips = sum(x != y for x, y in itertools.pairwise(north))
    assert flips >= 0.8 * (len(north) - 1)  # consecutive reports from the two boats ~1 km apart


def test_merge_refuses_accidental_duplicate_mmsis() -> None:
    a, b = mini_world(1).world, mini_world(2).world
    with pytest.raises(ValueError, match="share MMSI"):
        merge_worlds("both", [a, b])
    clones = [x for x in a.actors if x.shares_mmsi]
    assert len(clones) == 2
    check_mmsis(clones)
    with pytest.raises(ValueError, match="share MMSI"):
        check_mmsis([clones[0], replace(clones[1], shares_mmsi=False)])
