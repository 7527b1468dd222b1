"""Reading recordings for the offline run: JSON lines of ``msa decode``, raw NMEA/CSV (plain or gzip) through
the decoder of ``msa decode`` and ``msa ingest`` (:mod:`msa.ais`, in process), satellite GeoJSON through the
parser of ``msa ingest sat`` (:mod:`msa.formats.satellite`), and the decoded JSON lines of Global Fishing
Watch's pipelines (``ssvid``/``timestamp``/``lon``/``lat``/``speed``…, as in the gpsdio-segment regression
files).

Bad lines and features are counted with a reason, never raised; raw lines the decoder rejects are left out,
as ``msa decode`` leaves them out of its output. A file that cannot be read at all is an :class:`InputError`.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from msa.ais.decoder import Decoder
from msa.ais.fastline import Encoded
from msa.contracts.codec import loads, record_from_dict
from msa.domain import AisClass, PositionReport, Record, Reject, StaticVesselData, TimeSource, parse_ts
from msa.formats.recordings import read_records
from msa.formats.satellite import parse_geojson_bytes

__all__ = ["InputError", "read_input", "read_raw", "read_satellite_geojson", "sniff"]


class InputError(RuntimeError):
    """An input file could not be read at all (missing, unreadable, not the format it claims)."""

DEDUP_WINDOW_MS = 30_000  # as ``msa decode``: the same message heard by several receivers is one record


def _bump(counters: dict[str, int], key: str) -> None:
    counters[key] = counters.get(key, 0) + 1


def sniff(path: Path) -> str:
    """``"jsonl"`` (decoded records), ``"gfw"`` (GFW decoded messages), ``"geojson"`` (satellite) or ``"raw"``
    (NMEA/CSV for the AIS decoder)."""
    if path.suffix.lower() == ".geojson":
        return "geojson"
    if path.suffix.lower() == ".gz":
        return "raw"
    try:
        with path.open("rb") as fh:
            head = fh.read(65536)
    except OSError as exc:
        raise InputError(f"{path}: {exc}") from exc
    text = head.decode("utf-8", errors="replace").lstrip()
    if not text.startswith("{"):
        return "raw"
    first = text.splitlines()[0]
    try:
        obj = json.loads(first)
        if isinstance(obj, dict) and "kind" in obj:
            return "jsonl"
        if isinstance(obj, dict) and "ssvid" in obj and "timestamp" in obj:
            return "gfw"
        if isinstance(obj, dict) and obj.get("type") == "FeatureCollection":
            return "geojson"
    except json.JSONDecodeError:
        pass
    return "geojson" if '"FeatureCollection"' in text else "jsonl"


def _records_from_lines(lines: Iterator[bytes | str], counters: dict[str, int]) -> Iterator[Record]:
    for line in lines:
        if not line.strip():
            continue
        try:
            d = loads(line)
        except ValueError:  # orjson.JSONDecodeError is a ValueError
            _bump(counters, "input_bad_json")
            continue
        if not isinstance(d, dict):
            _bump(counters, "input_bad_json")
            continue
        if d.get("kind") == "reject":
            _bump(counters, "input_rejects")
            continue
        try:
            yield record_from_dict(d)
        except (KeyError, ValueError, TypeError) as exc:
            _bump(counters, f"input_bad_record:{type(exc).__name__}")


def read_input(path: Path, counters: dict[str, int]) -> Iterator[Record]:
    kind = sniff(path)
    if kind == "geojson":
        yield from read_satellite_geojson(path, counters)
        return
    if kind == "jsonl":
        with path.open("rb") as fh:
            yield from _records_from_lines(iter(fh), counters)
        return
    if kind == "gfw":
        with path.open("rb") as fh:
            yield from _gfw_records(iter(fh), path.name, counters)
        return
    yield from read_raw(path, counters)


def read_raw(path: Path, counters: dict[str, int], receipt_ms: int | None = None) -> Iterator[Record]:
    """Raw NMEA (plain or gzip) or DMA/NOAA CSV through the AIS decoder, exactly as ``msa decode``: the same
    records, the same duplicates dropped; rejects are left out. Lines without any time take ``receipt_ms``
    (default: the wall clock now, as ``msa decode``)."""
    receipt = int(time.time() * 1000) if receipt_ms is None else receipt_ms
    decoder = Decoder(path.name, dedup_window_ms=DEDUP_WINDOW_MS)
    try:
        for _, items in read_records(path, "auto", decoder, receipt):
            for item in items:
                if not isinstance(item, Reject | Encoded):  # no Encoded: the decoder was not asked for them
                    yield item
    except (OSError, EOFError, ValueError) as exc:  # gzip: OSError/EOFError on a corrupt or truncated file
        raise InputError(f"{path}: {exc}") from exc


def _num(v: Any) -> float | None:
    return None if v is None or isinstance(v, bool) or not isinstance(v, int | float) or math.isnan(v) else float(v)


def _gfw_records(lines: Iterator[bytes], source: str, counters: dict[str, int]) -> Iterator[Record]:
    """GFW decoded AIS (``type`` AIS.1/2/3/18/19/27 positions, AIS.5/24 static). ``speed`` is knots,
    ``length`` metres; NaN means absent. Everything else is counted and skipped."""
    for line in lines:
        try:
            d = json.loads(line)  # the stdlib parser accepts the files' NaN
            mmsi = int(d["ssvid"])
            ts = parse_ts(str(d["timestamp"]))
            msg_type = int(str(d.get("type", "")).rpartition(".")[2])
        except (ValueError, KeyError, TypeError):
            _bump(counters, "input_bad_gfw_line")
            continue
        ais_class = AisClass.B if msg_type in (18, 19, 24) else AisClass.A
        if msg_type in (1, 2, 3, 18, 19, 27):
            lat, lon = _num(d.get("lat")), _num(d.get("lon"))
            status = _num(d.get("status"))
            yield PositionReport(mmsi=mmsi, ts_ms=ts, lat=lat, lon=lon, sog_kn=_num(d.get("speed")),
                                 cog_deg=_num(d.get("course")), msg_type=msg_type, ais_class=ais_class,
                                 nav_status=None if status is None else int(status),
                                 source=f"{source}:{d.get('receiver', '')}", time_source=TimeSource.CSV)
        elif msg_type in (5, 24):
            yield StaticVesselData(mmsi=mmsi, ts_ms=ts, msg_type=msg_type, source=source, ais_class=ais_class,
                                   time_source=TimeSource.CSV, name=d.get("shipname"), call_sign=d.get("callsign"),
                                   length_m=_num(d.get("length")))
        else:
            _bump(counters, "input_other_gfw_type")


def read_satellite_geojson(path: Path, counters: dict[str, int]) -> Iterator[Record]:
    """Detections and scene footprints, by the one satellite parser (:mod:`msa.formats.satellite`, as
    ``msa ingest sat``): a bad feature is counted (``sat_bad_feature`` and ``sat_bad_feature:<reason>``),
    a file that is not a GeoJSON FeatureCollection is an :class:`InputError`."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: {exc}") from exc
    records, rejects = parse_geojson_bytes(data, path.name)
    for r in rejects:
        if r.reason in ("bad_json", "not_a_feature_collection"):
            why = f"{r.reason}: {r.detail}" if r.detail else r.reason
            raise InputError(f"{path}: not a GeoJSON FeatureCollection ({why})")
        _bump(counters, "sat_bad_feature")
        _bump(counters, f"sat_bad_feature:{r.reason}")
    yield from records
