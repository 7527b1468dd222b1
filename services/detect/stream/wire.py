"""Records of the derived topic ``detect.positions-by-cell.v1``.

Two kinds of record, both JSON (``msa.contracts.codec``):

* data, key = cell id: ``{"src": "p3", "o": 1234, "i": 1, "r": <record_to_dict>}`` — the record, the source
  unit (``p<n>`` a positions partition, ``s<n>`` a satellite partition) and its position in that source
  (offset ``o`` in the source partition, sub-index ``i``), so a cell partition drops what a restarted source
  re-publishes (anything at or before the last ``(o, i)`` it processed from that source);
* watermark marker, key = ``~wm``: ``{"src": "p3", "wm": <event ms>, "idle": false}`` — the source has
  published everything earlier than ``wm`` to this partition; ``idle`` sources do not hold the cell clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from msa.contracts.codec import dumps, loads, record_from_dict, record_to_dict
from msa.domain import Record

__all__ = ["MARKER_KEY", "CellRecord", "Marker", "decode", "encode_marker", "encode_record"]

MARKER_KEY = b"~wm"


@dataclass(frozen=True, slots=True)
class CellRecord:
    src: str
    offset: int
    sub: int
    record: Record


@dataclass(frozen=True, slots=True)
class Marker:
    src: str
    wm_ms: int
    idle: bool


def encode_record(src: str, offset: int, sub: int, record: Record) -> bytes:
    return dumps({"src": src, "o": offset, "i": sub, "r": record_to_dict(record)})


def encode_marker(src: str, wm_ms: int, idle: bool) -> bytes:
    return dumps({"src": src, "wm": wm_ms, "idle": idle})


def decode(value: bytes) -> CellRecord | Marker:
    """Raises ``ValueError``/``KeyError``/``TypeError`` on a malformed value (the caller counts a reject)."""
    d: Any = loads(value)
    if not isinstance(d, dict):
        raise TypeError("not an object")
    if "wm" in d:
        return Marker(str(d["src"]), int(d["wm"]), bool(d.get("idle", False)))
    return CellRecord(str(d["src"]), int(d["o"]), int(d["i"]), record_from_dict(d["r"]))
