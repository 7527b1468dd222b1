"""Records of the derived topic ``detect.positions-by-cell.v1``.

Three kinds of value, all JSON:

* batch, key = source unit: ``{"src": "p3", "b": [[o, i, item], …]}`` — records re-published by one source
  unit (``p<n>`` a positions partition, ``s<n>`` a satellite partition) to this partition in one step, in
  order, each with its position in that source (offset ``o`` in the source partition, sub-index ``i``), so a
  cell partition drops what a restarted source re-publishes (anything at or before the last ``(o, i)`` it
  processed from that source). ``item`` is a position as a 14-field array (``fastcodec.position_row``) or any
  other record as an object (``record_to_dict``);
* single record (older form, still read): ``{"src": "p3", "o": 1234, "i": 1, "r": <record_to_dict>}``;
* watermark marker, key = ``~wm``: ``{"src": "p3", "wm": <event ms>, "idle": false}`` — the source has
  published everything earlier than ``wm`` to this partition; ``idle`` sources do not hold the cell clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from msa.contracts.codec import dumps, loads, record_from_dict, record_to_dict
from msa.domain import PositionReport, Record
from services.detect.stream.fastcodec import position_from_row, position_row

__all__ = ["MARKER_KEY", "MAX_BATCH", "CellRecord", "Marker", "decode", "decode_many", "encode_batch",
           "encode_item", "encode_marker", "encode_record"]

MARKER_KEY = b"~wm"
MAX_BATCH = 500  # items per batch value (~170 kB of positions, well under the 1 MB message limit)


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


def encode_item(offset: int, sub: int, record: Record) -> bytes:
    """One batch item (join items with ``encode_batch``)."""
    if type(record) is PositionReport:
        return orjson.dumps([offset, sub, position_row(record)])
    return orjson.dumps([offset, sub, record_to_dict(record)], option=orjson.OPT_SORT_KEYS)


def encode_batch(src: str, items: list[bytes]) -> bytes:
    return b'{"src":' + orjson.dumps(src) + b',"b":[' + b",".join(items) + b"]}"


def encode_marker(src: str, wm_ms: int, idle: bool) -> bytes:
    return dumps({"src": src, "wm": wm_ms, "idle": idle})


def _item_record(item: Any) -> Record:
    return position_from_row(item) if isinstance(item, list) else record_from_dict(item)


def decode_many(value: bytes) -> list[CellRecord] | Marker:
    """A batch (or a single record) as its records, or a marker. Raises ``ValueError``/``KeyError``/
    ``TypeError`` on a malformed value (the caller counts a reject)."""
    d: Any = loads(value)
    if not isinstance(d, dict):
        raise TypeError("not an object")
    src = str(d["src"])
    if "wm" in d:
        return Marker(src, int(d["wm"]), bool(d.get("idle", False)))
    if "b" in d:
        return [CellRecord(src, int(o), int(i), _item_record(item)) for o, i, item in d["b"]]
    return [CellRecord(src, int(d["o"]), int(d["i"]), record_from_dict(d["r"]))]


def decode(value: bytes) -> CellRecord | Marker:
    """A single record or a marker (a batch of one record also decodes to its record)."""
    got = decode_many(value)
    if isinstance(got, Marker):
        return got
    if len(got) != 1:
        raise ValueError(f"a batch of {len(got)} records")
    return got[0]
