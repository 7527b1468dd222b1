"""Alert list filters, sort orders and opaque keyset cursors. Pure: parsed here, turned into SQL in queries."""

from __future__ import annotations

import base64
import math
import re
from dataclasses import dataclass, replace
from enum import StrEnum

import orjson

from msa.domain import parse_ts

__all__ = ["AlertFilter", "BBox", "Cursor", "CursorError", "SortKey", "parse_bbox", "parse_csv",
           "parse_interval"]


class SortKey(StrEnum):
    UPDATED_DESC = "-updated"
    UPDATED_ASC = "updated"
    START_DESC = "-start"
    START_ASC = "start"
    SCORE_DESC = "-score"
    SEVERITY_DESC = "-severity"

    @property
    def column(self) -> str:
        return {"updated": "updated_ts", "start": "start_ts", "score": "score",
                "severity": "severity_rank"}[self.value.lstrip("-")]

    @property
    def descending(self) -> bool:
        return self.value.startswith("-")


@dataclass(frozen=True, slots=True)
class BBox:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float


@dataclass(frozen=True, slots=True)
class AlertFilter:
    kinds: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    workflow: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    mmsi: int | None = None
    since_ms: int | None = None  # alert interval overlaps [since, until]
    until_ms: int | None = None
    bbox: BBox | None = None

    def without_workflow(self) -> AlertFilter:
        return replace(self, workflow=())


class CursorError(ValueError):
    """An opaque cursor that this server did not make (or made for another sort)."""


@dataclass(frozen=True, slots=True)
class Cursor:
    """Position after the last row of a page: (sort value, alert_id) of that row."""

    sort: SortKey
    value: float | int | str | None
    alert_id: str

    def encode(self) -> str:
        raw = orjson.dumps({"s": self.sort.value, "v": self.value, "i": self.alert_id})
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str, sort: SortKey) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            d = orjson.loads(raw)
            cur = cls(sort=SortKey(d["s"]), value=d["v"], alert_id=str(d["i"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise CursorError("cursor is not valid") from exc
        if cur.sort != sort:
            raise CursorError("cursor was made for another sort order")
        if not _ALERT_ID.fullmatch(cur.alert_id) or not _valid_value(sort, cur.value):
            raise CursorError("cursor is not valid")
        return cur


_ALERT_ID = re.compile(r"[0-9A-Za-z_.:-]{1,128}")
_MAX_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z


def _valid_value(sort: SortKey, v: object) -> bool:
    """The sort value a page of this order can end on (anything else is a crafted cursor: a 400, never a
    database error): epoch milliseconds for times, a finite number for the score, a small rank for severity."""
    if v is None:
        return True
    if isinstance(v, bool):
        return False
    col = sort.column
    if col in ("updated_ts", "start_ts"):
        return isinstance(v, int) and 0 <= v <= _MAX_MS
    if col == "score":
        return isinstance(v, int | float) and math.isfinite(v) and -1e6 <= v <= 1e6
    return isinstance(v, int) and 0 <= v <= 100  # severity rank


def parse_csv(values: list[str] | None) -> tuple[str, ...]:
    """Repeated and comma-separated query values: ``?kind=a,b&kind=c`` → (a, b, c)."""
    out: list[str] = []
    for v in values or []:
        out.extend(p.strip() for p in v.split(",") if p.strip())
    return tuple(dict.fromkeys(out))


def parse_bbox(text: str | None) -> BBox | None:
    """``minLon,minLat,maxLon,maxLat`` in WGS84 (OGC API order). Raises ValueError."""
    if text is None or text == "":
        return None
    parts = [float(p) for p in text.split(",")]
    if len(parts) == 6:  # 3D bbox: drop heights
        parts = [parts[0], parts[1], parts[3], parts[4]]
    if len(parts) != 4:
        raise ValueError("bbox needs 4 numbers: minLon,minLat,maxLon,maxLat")
    b = BBox(*parts)
    if not (-180 <= b.min_lon <= 180 and -180 <= b.max_lon <= 180 and -90 <= b.min_lat <= b.max_lat <= 90):
        raise ValueError("bbox is outside WGS84 bounds")
    if b.min_lon > b.max_lon:
        raise ValueError("bbox crossing the antimeridian is not supported")
    return b


def parse_interval(text: str | None) -> tuple[int | None, int | None]:
    """OGC ``datetime``: an instant, ``a/b``, ``../b``, ``a/..`` → (since_ms, until_ms). Raises ValueError."""
    if text is None or text == "":
        return None, None
    if "/" not in text:
        t = parse_ts(text)
        return t, t
    a, b = text.split("/", 1)
    since = None if a in ("", "..") else parse_ts(a)
    until = None if b in ("", "..") else parse_ts(b)
    if since is not None and until is not None and since > until:
        raise ValueError("interval start is after its end")
    return since, until
