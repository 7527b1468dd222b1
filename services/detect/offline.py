"""``msa detect``: run the engine over recordings and write the final state of every alert.

Records from all inputs are merged in event-time order (ties broken by content, so the result does not
depend on file order), fed to the engine, and the final version of each alert is written as one JSON
object per line, sorted by (start, kind, alert_id): the same input gives byte-identical output.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geo.anchorages import infer_anchorages
from geo.ports import PortIndex, load_ports
from geo.zones import ZoneIndex, load_zones
from msa.contracts.codec import alert_to_dict, dumps, record_to_dict
from msa.domain import Alert, PositionReport, Record, StaticVesselData
from services.detect.engine import Engine
from services.detect.params import ParamSet, load_params_file
from services.detect.reading import read_input

__all__ = ["OfflineResult", "final_alerts", "record_sort_key", "run_offline", "write_alerts"]

DEFAULT_GRACE_MS = 60_000


@dataclass(slots=True)
class OfflineResult:
    alerts: list[Alert]
    versions: int
    stats: dict[str, Any] = field(default_factory=dict)


_NA = -999.0
SortKey = tuple[int, int, int, float, float, float, float, int, str | bytes]


def record_sort_key(rec: Record) -> SortKey:
    """Event time first, then content (never arrival order), so the merge does not depend on file order."""
    if type(rec) is PositionReport:
        return (rec.ts_ms, 0, rec.mmsi, _NA if rec.lat is None else rec.lat, _NA if rec.lon is None else rec.lon,
                _NA if rec.sog_kn is None else rec.sog_kn, _NA if rec.cog_deg is None else rec.cog_deg,
                rec.msg_type, rec.source)
    rank = 1 if isinstance(rec, StaticVesselData) else 2
    return (rec.ts_ms, rank, 0, 0.0, 0.0, 0.0, 0.0, 0, dumps(record_to_dict(rec)))


def final_alerts(versions: Iterable[Alert]) -> list[Alert]:
    last: dict[str, Alert] = {}
    for a in versions:
        prev = last.get(a.alert_id)
        if prev is None or a.version > prev.version:
            last[a.alert_id] = a
    return sorted(last.values(), key=lambda a: (a.start_ms, str(a.kind), a.alert_id))


def run_records(records: list[Record], zones: ZoneIndex, ports: PortIndex, params: ParamSet,
                grace_ms: int = DEFAULT_GRACE_MS,
                trace: list[dict[str, Any]] | None = None) -> tuple[list[Alert], Engine]:
    """Every record through one engine; ``trace``: collect the explained decisions (``msa review``)."""
    engine = Engine(zones, ports, params, grace_ms)
    engine.ctx.trace = trace
    versions: list[Alert] = []
    for rec in records:
        versions += engine.process(rec)
    versions += engine.finish()
    if trace is not None:
        engine.trace_open_silences()
    return versions, engine


def run_offline(inputs: Sequence[Path], sat_files: Sequence[Path] = (), zones_path: Path | None = None,
                params_path: Path | None = None, grace_ms: int = DEFAULT_GRACE_MS,
                infer_anchorage_vessels: int = 0, trace: list[dict[str, Any]] | None = None) -> OfflineResult:
    zones = load_zones(zones_path)
    ports = load_ports()
    params = ParamSet.build(zones, load_params_file(params_path) if params_path else None)
    counters: dict[str, int] = {}
    records: list[Record] = []
    for path in [*inputs, *sat_files]:
        records.extend(read_input(path, counters))
    records.sort(key=record_sort_key)
    if infer_anchorage_vessels > 0:
        fixes = ((r.mmsi, r.lon, r.lat, r.sog_kn) for r in records
                 if isinstance(r, PositionReport) and r.lon is not None and r.lat is not None)
        inferred = infer_anchorages(fixes, min_vessels=infer_anchorage_vessels)
        ports = ports.with_extra(inferred)
        counters["inferred_anchorages"] = len(inferred)
    versions, engine = run_records(records, zones, ports, params, grace_ms, trace)
    stats: dict[str, Any] = {**counters, **engine.stats(), "alert_versions": len(versions)}
    return OfflineResult(final_alerts(versions), len(versions), stats)


def write_alerts(alerts: Sequence[Alert], out: str) -> None:
    data = b"".join(dumps(alert_to_dict(a)) + b"\n" for a in alerts)
    if out == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        Path(out).write_bytes(data)
