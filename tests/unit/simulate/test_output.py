"""What ``render`` writes: valid tagged NMEA at ITU rates, duplicates, late satellite lines, SAR GeoJSON,
byte-identical for a seed."""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from pathlib import Path

import pyais
import pytest
from pyais.messages import NMEASentenceFactory

from services.simulate.context import ScenarioContext
from services.simulate.model import VesselSpec
from services.simulate.render import render
from services.simulate.sar import detection_id
from services.simulate.track import TrackBuilder


def mini_world(seed: int) -> ScenarioContext:
    """Near Tarifa (heard by two shore stations) plus one ship 300 km offshore (satellite only)."""
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
