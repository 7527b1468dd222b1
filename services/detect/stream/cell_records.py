"""Records of the derived topic ``detect.positions-by-cell.v3``: what stage 1 passes on to the rendezvous stage.

Two kinds of value, both JSON:

* batch, key = source unit (``p<n>``): ``{"src": "p3", "b": [item, …]}`` — what one stage-1 unit passed on to
  this partition in one step, in event-time order. An item is
  - a rendezvous input ``[ts_ms, mmsi, lon, lat, speed_kn | null, zone | null, prev | null]`` (``speed_kn``
    null: the vessel is no candidate any more; ``prev`` = ``[ts_ms, lon, lat]`` of the vessel's previous fix, to
    interpolate sparse fixes), with the vessel's identity ``{"name", "call_sign", "imo", "ship_type",
    "length_m"}`` as an 8th field on its first input to this partition;
  - an identity change ``[ts_ms, mmsi, {identity}]``, stamped with stage 1's front when it learnt it (everything
    earlier was passed on before, everything later after).
  Within a source, items are strictly ordered by their position ``(ts_ms, 0 change | 1 input, mmsi, 0 | 1)``:
  a cell unit drops anything at or before the last position it processed from that source, so a restarted
  stage-1 unit can re-publish without effect;
* watermark marker, key = ``~wm``: ``{"src": "p3", "wm": <event ms>, "idle": false}`` — the source has passed on
  everything earlier than ``wm``; ``idle`` sources do not hold the cell clock.

``v1`` of the topic carried every fix (14-field position rows); its stage 2 re-ran the track filter. ``v2`` had
no ``prev``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from services.detect.rendezvous import IdentityChange, RendezvousInput
from services.detect.track import VesselStatic

__all__ = ["MARKER_KEY", "MAX_BATCH", "CellItem", "Marker", "Position", "Row", "decode", "encode_batch",
           "encode_marker", "identity_row", "input_row"]

MARKER_KEY = b"~wm"
MAX_BATCH = 1000  # items per batch value (~60 kB, well under the 1 MB message limit)

CellItem = RendezvousInput | IdentityChange
Position = tuple[int, int, int, int]  # (ts_ms, 0 identity change | 1 input, mmsi, 0 identity | 1 input)
Row = tuple[Any, ...]  # one item, as it is serialised
_IDENTITY_FIELDS = ("name", "call_sign", "imo", "ship_type", "length_m")
_IDENTITY_TYPES: dict[str, tuple[type, ...]] = {"name": (str,), "call_sign": (str,), "imo": (int,),
                                               "ship_type": (int,), "length_m": (float, int)}


@dataclass(frozen=True, slots=True)
class Marker:
    src: str
    wm_ms: int
    idle: bool


def _identity(s: VesselStatic) -> dict[str, Any]:
    return {k: getattr(s, k) for k in _IDENTITY_FIELDS}


def input_row(r: RendezvousInput, with_identity: bool = False) -> Row:
    """A rendezvous input; ``with_identity``: the vessel's identity (``r.identity``) rides along."""
    if not with_identity or r.identity is None:
        return (r.ts_ms, r.mmsi, r.lon, r.lat, r.speed_kn, r.zone, r.prev)
    return (r.ts_ms, r.mmsi, r.lon, r.lat, r.speed_kn, r.zone, r.prev, _identity(r.identity))


def identity_row(c: IdentityChange) -> Row:
    return (c.ts_ms, c.mmsi, _identity(c.identity))


def encode_batch(src: str, rows: list[Row]) -> bytes:
    """One record value (serialised at once: far cheaper than item by item)."""
    return orjson.dumps({"src": src, "b": rows})


def encode_marker(src: str, wm_ms: int, idle: bool) -> bytes:
    return orjson.dumps({"src": src, "wm": wm_ms, "idle": idle})


def _num(x: Any) -> float:
    if type(x) is float:
        return x
    if type(x) is int:
        return float(x)
    raise TypeError(f"not a number: {x!r}")


def _static(ts: int, mmsi: int, ident: Any) -> IdentityChange:
    if type(ident) is not dict:
        raise TypeError("an identity is an object")
    fields = {k: ident.get(k) for k in _IDENTITY_FIELDS}
    for k, v in fields.items():
        if v is not None and type(v) not in _IDENTITY_TYPES[k]:
            raise TypeError(f"identity {k} of type {type(v).__name__}")
    if fields["length_m"] is not None:
        fields["length_m"] = float(fields["length_m"])
    return IdentityChange(mmsi, ts, VesselStatic(**fields))


def _items(row: Any, out: list[tuple[Position, CellItem]]) -> None:
    if type(row) is not list or len(row) not in (3, 7, 8):
        raise TypeError("an item is an array of 3, 7 or 8 fields")
    ts, mmsi = row[0], row[1]
    if type(ts) is not int or type(mmsi) is not int:
        raise TypeError("ts_ms and mmsi are integers")
    if len(row) == 3:
        out.append(((ts, 0, mmsi, 0), _static(ts, mmsi, row[2])))
        return
    lon, lat, speed, zone, prev = row[2:7]
    if zone is not None and type(zone) is not str:
        raise TypeError("zone is a string or null")
    if prev is not None:
        if type(prev) is not list or len(prev) != 3 or type(prev[0]) is not int:
            raise TypeError("prev is [ts_ms, lon, lat] or null")
        prev = (prev[0], _num(prev[1]), _num(prev[2]))
    r = RendezvousInput(mmsi, ts, _num(lon), _num(lat), None if speed is None else _num(speed), zone, None, prev)
    if len(row) == 8:
        out.append(((ts, 1, mmsi, 0), _static(ts, mmsi, row[7])))
    out.append(((ts, 1, mmsi, 1), r))


def decode(value: bytes) -> tuple[str, list[tuple[Position, CellItem]]] | Marker:
    """A batch as (source, [(position, item)]) — an input with an identity gives the identity first — or a
    marker. Raises ``ValueError``/``KeyError``/``TypeError`` on a malformed value (the caller counts a reject;
    a batch is taken or rejected whole)."""
    d: Any = orjson.loads(value)
    if type(d) is not dict:
        raise TypeError("not an object")
    src = d["src"]
    if type(src) is not str:
        raise TypeError("src is a string")
    if "wm" in d:
        wm = d["wm"]
        if type(wm) is not int:
            raise TypeError("wm is an integer")
        return Marker(src, wm, bool(d.get("idle", False)))
    items = d["b"]
    if type(items) is not list:
        raise TypeError("b is an array")
    out: list[tuple[Position, CellItem]] = []
    for row in items:
        _items(row, out)
    return src, out
