"""Builders for detection tests: pings, tracks, static data, satellite detections, and a runner.

Times are seconds after ``T0`` (2024-03-12T20:00:00Z). Places used throughout:
* ``ALBORAN`` (36.0 N, 3.5 W): Strait of Gibraltar and Alboran Sea zone (dark threshold 1 h), > 5 km from
  any port;
* ``OFFSHORE`` (38.5 N, 14.0 W): MAOC-N Atlantic approaches, 390 km from land (satellite regime: dark
  threshold 2 h), far from ports;
* ``COASTAL`` (38.6 N, 9.6 W): MAOC-N Atlantic approaches 15 km off Lisbon (shore reception: 3 h);
* ``ALGECIRAS_ANCHORAGE`` (36.105 N, 5.395 W): inside the curated anchorage;
* ``NOWHERE`` (10 N, 60 E): outside every zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from geo.geodesy import MPS_PER_KN, destination_point
from geo.ports import PortIndex, load_ports
from geo.zones import ZoneIndex, load_zones, zones_from_geojson
from msa.domain import (
    AisClass,
    Alert,
    PositionReport,
    Record,
    SatelliteDetection,
    StaticVesselData,
    parse_ts,
)
from services.detect.engine import Engine
from services.detect.offline import final_alerts, record_sort_key
from services.detect.params import ParamSet

T0 = parse_ts("2024-03-12T20:00:00Z")
ALBORAN = (36.0, -3.5)
OFFSHORE = (38.5, -14.0)
COASTAL = (38.6, -9.6)
ALGECIRAS_ANCHORAGE = (36.105, -5.395)
NOWHERE = (10.0, 60.0)


@cache
def zones() -> ZoneIndex:
    return load_zones()


@cache
def ports() -> PortIndex:
    return load_ports()


def ping(mmsi: int, t: float, lat: float, lon: float, sog_kn: float | None = None, cog_deg: float | None = None,
         *, ais_class: AisClass = AisClass.A, nav_status: int | None = None) -> PositionReport:
    return PositionReport(mmsi=mmsi, ts_ms=T0 + round(t * 1000), lat=lat, lon=lon, sog_kn=sog_kn,
                          cog_deg=cog_deg, nav_status=nav_status, ais_class=ais_class,
                          msg_type=18 if ais_class == AisClass.B else 1)


def track(mmsi: int, t0: float, t1: float, step_s: float, lat: float, lon: float, *, sog_kn: float,
          cog_deg: float = 0.0, report_sog: bool = True, ais_class: AisClass = AisClass.A,
          nav_status: int | None = None) -> list[PositionReport]:
    """A vessel moving at constant speed and course, one report every ``step_s``."""
    out: list[PositionReport] = []
    t = t0
    while t <= t1 + 1e-9:
        x, y = destination_point(lon, lat, cog_deg, sog_kn * MPS_PER_KN * (t - t0))
        out.append(ping(mmsi, t, y, x, sog_kn if report_sog else None, cog_deg if report_sog else None,
                        ais_class=ais_class, nav_status=nav_status))
        t += step_s
    return out


def end_of(reports: list[PositionReport]) -> tuple[float, float]:
    """(lat, lon) of a track's last report."""
    last = reports[-1]
    assert last.lat is not None and last.lon is not None
    return last.lat, last.lon


def static(mmsi: int, t: float, *, ship_type: int | None = None, length_m: float | None = None,
           name: str | None = None) -> StaticVesselData:
    return StaticVesselData(mmsi=mmsi, ts_ms=T0 + int(t * 1000), ship_type=ship_type, length_m=length_m,
                            name=name)


def detection(det_id: str, t: float, lat: float, lon: float, confidence: float = 0.9,
              scene: str = "scene-1") -> SatelliteDetection:
    return SatelliteDetection(detection_id=det_id, ts_ms=T0 + int(t * 1000), lat=lat, lon=lon,
                              confidence=confidence, sensor="SAR", scene_id=scene, length_m=12.0)


def make_engine(params: dict[str, object] | None = None, grace_s: float = 60.0,
                zone_index: ZoneIndex | None = None) -> Engine:
    z = zone_index or zones()
    return Engine(z, ports(), ParamSet.build(z, params), int(grace_s * 1000))


def box_zones(*boxes: tuple[float, float, float, float], name: str = "Box") -> ZoneIndex:
    """One zone made of (lon0, lat0, lon1, lat1) boxes (e.g. both sides of the antimeridian)."""
    polys = [[[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]] for x0, y0, x1, y1 in boxes]
    return zones_from_geojson({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": name},
         "geometry": {"type": "MultiPolygon", "coordinates": polys}}]})


WORLD = (-180.0, -90.0, 180.0, 90.0)


def run(records: Iterable[Record], params: dict[str, object] | None = None, *, sort: bool = True,
        engine: Engine | None = None) -> list[Alert]:
    """Final state of every alert after feeding ``records`` (sorted by event time unless told not to)."""
    recs = sorted(records, key=record_sort_key) if sort else list(records)
    eng = engine or make_engine(params)
    versions: list[Alert] = []
    for r in recs:
        versions += eng.process(r)
    versions += eng.finish()
    return final_alerts(versions)


def live(alerts: list[Alert], kind: str | None = None) -> list[Alert]:
    return [a for a in alerts if a.status != "retracted" and (kind is None or a.kind == kind)]


def satellite_passes(t0: float, t1: float, revisit_s: float, pass_s: float = 600.0,
                     phase_s: float = 0.0) -> list[tuple[float, float]]:
    """Satellite passes (start, end) in seconds after ``T0``: ``pass_s`` long, every ``revisit_s``."""
    out = []
    t = t0 + phase_s
    while t < t1:
        out.append((t, t + pass_s))
        t += revisit_s
    return out


def heard_in(reports: list[PositionReport], passes: list[tuple[float, float]], every: int = 1,
             skip_passes: int = 1) -> list[PositionReport]:
    """What a satellite hears of ``reports``: those inside a pass (every ``skip_passes``-th pass), one in
    ``every``."""
    kept = [(a * 1000 + T0, b * 1000 + T0) for i, (a, b) in enumerate(passes) if i % skip_passes == 0]
    inside = [r for r in reports if any(a <= r.ts_ms < b for a, b in kept)]
    return inside[::every]
