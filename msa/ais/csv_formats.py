"""The two common CSV exports → records: Danish Maritime Authority and NOAA MarineCadastre.

DMA (``aisdata-YYYY-MM-DD.csv``, day-first timestamps)::

    # Timestamp,Type of mobile,MMSI,Latitude,Longitude,Navigational status,ROT,SOG,COG,Heading,IMO,Callsign,
    Name,Ship type,Cargo type,Width,Length,Type of position fixing device,Draught,Destination,ETA,
    Data source type,A,B,C,D

NOAA (``AIS_YYYY_MM_DD.csv``)::

    MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,Length,Width,Draft,
    Cargo,TransceiverClass

Each row gives a position report (when it has a position); a static record is emitted for a vessel the first
time its static fields are seen and whenever they change. Time source is ``csv``. A row whose timestamp is not
plausible (:mod:`msa.formats.time_bounds`) is rejected as ``time_too_old`` or ``time_in_future``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from msa.ais.normalise import MMSI_MAX, MMSI_MIN
from msa.domain import AisClass, AisOther, PositionReport, Record, Reject, StaticVesselData, TimeSource, parse_ts
from msa.formats.time_bounds import TimeBounds

__all__ = ["CsvFormat", "detect_format", "read_csv"]

CsvFormat = str  # "dma-csv" | "noaa-csv"

NAV_STATUS = {
    "under way using engine": 0, "at anchor": 1, "not under command": 2, "restricted maneuverability": 3,
    "restricted manoeuverability": 3, "constrained by her draught": 4, "moored": 5, "aground": 6,
    "engaged in fishing": 7, "under way sailing": 8, "reserved for future amendment of navigational status "
    "for ships carrying dg, hs, or mp, or imo hazard or pollutant category c, high-speed craft (hsc)": 9,
    "power-driven vessel towing astern": 11, "power-driven vessel pushing ahead or towing alongside": 12,
    "ais-sart": 14, "unknown value": None, "unknown": None,
}
SHIP_TYPE = {
    "wig": 20, "fishing": 30, "towing": 31, "towing long/wide": 32, "dredging": 33, "diving": 34,
    "military": 35, "sailing": 36, "pleasure": 37, "hsc": 40, "pilot": 50, "sar": 51, "tug": 52,
    "port tender": 53, "anti-pollution": 54, "law enforcement": 55, "medical": 58,
    "not party to conflict": 59, "passenger": 60, "cargo": 70, "tanker": 80, "other": 90,
}
_MOBILE_OTHER = {"base station": 4, "aton": 21, "sar airborne": 9}


def detect_format(first_line: str) -> CsvFormat | None:
    head = first_line.lstrip("\ufeff").strip().lower()
    if head.startswith("# timestamp,type of mobile,mmsi"):
        return "dma-csv"
    if head.startswith("mmsi,basedatetime,lat,lon"):
        return "noaa-csv"
    return None


def _f(text: str | None) -> float | None:
    if text is None or not text.strip():
        return None
    return float(text)


def _i(text: str | None) -> int | None:
    v = _f(text)
    return None if v is None else int(v)


def _txt(text: str | None) -> str | None:
    if text is None:
        return None
    t = text.strip()
    return None if not t or t.lower() in ("unknown", "undefined", "nan") else t


class _ImplausibleTimeError(Exception):
    def __init__(self, reason: str, ts_ms: int, detail: str) -> None:
        super().__init__(reason, ts_ms, detail)
        self.reason = reason
        self.ts_ms = ts_ms
        self.detail = detail


def read_csv(lines: Iterable[str], fmt: CsvFormat, source: str, bounds: TimeBounds | None = None,
             ) -> Iterator[Record | Reject]:
    """Rows → records or rejects (``bad_csv_row`` with the parse error, or an implausible time's reason). The
    header must be the first line. ``bounds``: plausible times (default: against the wall clock)."""
    bounds = bounds or TimeBounds()
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        return
    names = [h.lstrip("\ufeff# ").strip() for h in header]
    statics: dict[int, tuple[object, ...]] = {}
    for row in reader:
        if not row or not any(c.strip() for c in row):
            continue
        rec = dict(zip(names, row, strict=False))
        try:
            yield from (_dma_row(rec, source, statics, bounds) if fmt == "dma-csv"
                        else _noaa_row(rec, source, statics, bounds))
        except _ImplausibleTimeError as exc:
            yield Reject(exc.reason, ",".join(row), source, exc.ts_ms, f"csv time {exc.detail}")
        except (ValueError, KeyError, TypeError) as exc:
            yield Reject("bad_csv_row", ",".join(row), source, None, f"{type(exc).__name__}: {exc}")


def _plausible(ts_ms: int, bounds: TimeBounds) -> int:
    implausible = bounds.check(ts_ms)
    if implausible is not None:
        raise _ImplausibleTimeError(implausible[0], ts_ms, implausible[1])
    return ts_ms


def _mmsi(text: str) -> int:
    mmsi = int(text)
    if not MMSI_MIN <= mmsi <= MMSI_MAX:
        raise ValueError(f"invalid MMSI {mmsi}")
    return mmsi


def _pos(lat: float | None, lon: float | None) -> tuple[float | None, float | None]:
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None, None
    return lat, lon


def _static(st: StaticVesselData, statics: dict[int, tuple[object, ...]]) -> Iterator[StaticVesselData]:
    key = (st.name, st.call_sign, st.imo, st.ship_type, st.length_m, st.beam_m, st.draught_m, st.destination)
    if any(v is not None for v in key) and statics.get(st.mmsi) != key:
        statics[st.mmsi] = key
        yield st


def _dma_row(r: dict[str, str], source: str, statics: dict[int, tuple[object, ...]],
             bounds: TimeBounds) -> Iterator[Record]:
    ts_ms = _plausible(int(datetime.strptime(r["Timestamp"].strip(), "%d/%m/%Y %H:%M:%S").replace(tzinfo=UTC)
                           .timestamp() * 1000), bounds)
    mmsi = _mmsi(r["MMSI"])
    mobile = r.get("Type of mobile", "").strip().lower()
    lat, lon = _pos(_f(r.get("Latitude")), _f(r.get("Longitude")))
    if mobile in _MOBILE_OTHER:
        yield AisOther(mmsi, ts_ms, _MOBILE_OTHER[mobile], source, TimeSource.CSV,
                       {"lat": lat, "lon": lon, "type_of_mobile": r.get("Type of mobile")})
        return
    cls = AisClass.B if mobile == "class b" else AisClass.A
    if lat is not None:
        sog, cog, hdg = _f(r.get("SOG")), _f(r.get("COG")), _i(r.get("Heading"))
        yield PositionReport(mmsi, ts_ms, lat, lon, sog if sog is not None and sog < 102.3 else None,
                             cog if cog is not None and cog < 360 else None,
                             hdg if hdg is not None and hdg < 360 else None,
                             NAV_STATUS.get(r.get("Navigational status", "").strip().lower()),
                             18 if cls is AisClass.B else 1, cls, source, TimeSource.CSV)
    imo = r.get("IMO", "").strip()
    yield from _static(StaticVesselData(
        mmsi, ts_ms, 24 if cls is AisClass.B else 5, source, TimeSource.CSV, name=_txt(r.get("Name")),
        call_sign=_txt(r.get("Callsign")), imo=int(imo) if imo.isdigit() and int(imo) > 0 else None,
        ship_type=SHIP_TYPE.get(r.get("Ship type", "").strip().lower()), length_m=_f(r.get("Length")) or None,
        beam_m=_f(r.get("Width")) or None, draught_m=_f(r.get("Draught")) or None,
        destination=_txt(r.get("Destination")), ais_class=cls), statics)


def _noaa_row(r: dict[str, str], source: str, statics: dict[int, tuple[object, ...]],
              bounds: TimeBounds) -> Iterator[Record]:
    ts_ms = _plausible(parse_ts(r["BaseDateTime"]), bounds)
    mmsi = _mmsi(r["MMSI"])
    cls = AisClass.B if r.get("TransceiverClass", "").strip().upper() == "B" else AisClass.A
    lat, lon = _pos(_f(r.get("LAT")), _f(r.get("LON")))
    if lat is not None:
        sog, cog, hdg = _f(r.get("SOG")), _f(r.get("COG")), _i(r.get("Heading"))
        status = _i(r.get("Status"))
        yield PositionReport(mmsi, ts_ms, lat, lon, sog if sog is not None and 0 <= sog < 102.3 else None,
                             cog if cog is not None and 0 <= cog < 360 else None,
                             hdg if hdg is not None and 0 <= hdg < 360 else None,
                             status if status is not None and status != 15 else None,
                             18 if cls is AisClass.B else 1, cls, source, TimeSource.CSV)
    imo = r.get("IMO", "").strip().upper().removeprefix("IMO")
    yield from _static(StaticVesselData(
        mmsi, ts_ms, 24 if cls is AisClass.B else 5, source, TimeSource.CSV, name=_txt(r.get("VesselName")),
        call_sign=_txt(r.get("CallSign")), imo=int(imo) if imo.isdigit() and int(imo) > 0 else None,
        ship_type=_i(r.get("VesselType")) or None, length_m=_f(r.get("Length")) or None,
        beam_m=_f(r.get("Width")) or None, draught_m=_f(r.get("Draft")) or None, ais_class=cls), statics)
