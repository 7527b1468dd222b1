"""Identity anomaly: one MMSI heard from places no single vessel could connect.

The engine's track filter follows one *main* track per MMSI. A fix the main track cannot reach (implied
speed above ``gofast_max_plausible_kn``, 80 kn, over more than 250 m) goes to an *alternative segment*: the
one that can reach it from its last fix, else a new one (up to ``MAX_SEGMENTS``). A fix that comes straight
back — within ``id_same_place_m`` (300 m) of where the main track was before a hop of ≥ ``id_hop_min_kn``
(30 kn) over ≥ ``id_hop_min_m`` (500 m) — shows that hop was another transmitter: the hop becomes a segment
of its own, the main track resumes where it was, and later hops to that spot go straight to the segment.
Alternative segments' fixes never reach go-fast, dark-period or rendezvous detection: a shared MMSI is split,
never merged. When the main track falls silent and a segment goes on alone (two consistent fixes in a row),
the segment becomes the main track (a *track jump*, e.g. a corrected position); a lone fix that never
recurs was a glitch.

**Rule.** An ``identity_anomaly`` opens when a segment has ≥ ``id_min_segment_fixes`` (3) fixes and the MMSI
has switched between it and the main track ≥ ``id_min_transitions`` (4) times — each switch a jump no vessel
makes — with the two places ≥ ``id_min_separation_m`` (10 km) apart where it switched (median of the last
switches: *far_apart* — several transmitters, a placeholder MMSI such as 412000000 shared by ships hundreds
of km apart), or, for hops that came straight back, ≥ 500 m apart with the segment's fixes all within 600 m
of each other (*alternating* — two transmitters in two fixed spots, e.g. every 30 s between two spots 1 km
apart; not the scattered fixes of a ship whose satellite reports arrive out of order). A **placeholder**
MMSI (``MID`` followed by zeros, one repeated digit, a run of consecutive digits: a default no authority
assigns) is an anomaly as soon as it is heard in two places ≥ 10 km apart that no vessel could connect,
however few its fixes. The alert lists the
segments (fixes, time span, sample positions), the hops (distance, implied speed) and whether the MMSI
looks like a placeholder (``MID`` followed by zeros, one repeated digit, a run of consecutive digits). It
closes after ``id_quiet_s`` (6 h) without a switch. While an MMSI has an identity anomaly (for 24 h after
its last switch) it raises nothing else: its dark periods and go-fast runs are not judged, alerts of those
kinds already raised are retracted, and it is no rendezvous candidate.

Severity high for a placeholder MMSI or three or more segments, else medium. Score 0.5 + 0.1 per switch
beyond the fourth (max 1).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from geo.geodesy import haversine_m, speed_kn
from msa.domain import Alert, AlertKind, Severity, format_ts
from msa.evidence import EVIDENCE_VERSION
from services.detect.alerts import AlertDraft, track_fix
from services.detect.context import DetectContext
from services.detect.params import DetectionParams

__all__ = ["FLAG_MS", "MAX_SEGMENTS", "Identity", "Segment", "is_placeholder_mmsi"]

MAX_SEGMENTS = 4
FLAG_MS = 24 * 3_600_000  # an MMSI with an identity anomaly raises nothing else for this long after it
_SAMPLES = 10
_HOPS = 10


def is_placeholder_mmsi(mmsi: int) -> bool:
    """An MMSI that is a default or a made-up number rather than an assigned one: the MID followed by six
    zeros (412000000), one repeated digit (111111111), or a run of consecutive digits (123456789)."""
    s = f"{mmsi:09d}"
    if s[3:] == "000000" or len(set(s)) == 1:
        return True
    return s in "0123456789" or s in "9876543210"


@dataclass(slots=True)
class Segment:
    """An alternative track of one MMSI: another transmitter, or a glitch (one fix)."""

    first_ts: int
    last_ts: int
    lon: float
    lat: float
    n: int
    sum_x: float  # for the centroid (unit vectors: correct across the antimeridian)
    sum_y: float
    sum_lat: float
    samples: list[tuple[int, float, float]]
    switches: int = 0
    held: bool = False  # created from a hop that came straight back (alternating pattern)
    hop_m: list[float] | None = None  # distances of the last switches to or from this segment

    @classmethod
    def start(cls, ts: int, lon: float, lat: float, held: bool = False) -> Segment:
        seg = cls(ts, ts, lon, lat, 0, 0.0, 0.0, 0.0, [], held=held)
        seg.add(ts, lon, lat)
        return seg

    def add(self, ts: int, lon: float, lat: float) -> None:
        self.n += 1
        self.last_ts, self.lon, self.lat = ts, lon, lat
        self.sum_x += math.cos(math.radians(lon))
        self.sum_y += math.sin(math.radians(lon))
        self.sum_lat += lat
        if len(self.samples) < _SAMPLES or ts - self.samples[-1][0] >= 600_000:
            self.samples.append((ts, lon, lat))
            if len(self.samples) > 2 * _SAMPLES:
                self.samples = self.samples[::2]

    def spread_m(self) -> float:
        """How far the segment's sampled fixes lie from its first one (a fixed spot: small)."""
        _, x0, y0 = self.samples[0]
        return max(haversine_m(x0, y0, x, y) for _, x, y in self.samples)

    def centroid(self) -> tuple[float, float]:
        return math.degrees(math.atan2(self.sum_y, self.sum_x)), self.sum_lat / self.n

    def reaches(self, ts: int, lon: float, lat: float, plausible_kn: float) -> float | None:
        """Distance when this segment's last fix can reach (ts, lon, lat), else None."""
        d = haversine_m(self.lon, self.lat, lon, lat)
        if d <= 250.0 or speed_kn(d, abs(ts - self.last_ts) / 1000.0) <= plausible_kn:
            return d
        return None


class Identity:
    """Per-MMSI identity state, created at the first fix the main track cannot take (most vessels: None)."""

    __slots__ = ("alert_id", "alts", "flag_until", "hops", "last_seg", "last_switch_ts", "main", "placeholder",
                 "start_ts", "switches", "zone")

    def __init__(self, main: Segment, placeholder: bool = False) -> None:
        self.main = main  # the main track's fixes since this state exists (for evidence)
        self.placeholder = placeholder  # the MMSI is a placeholder (is_placeholder_mmsi)
        self.alts: list[Segment] = []
        self.last_seg: Segment | None = main
        self.hops: list[tuple[int, int, int, float, float]] = []  # ts, from, to, distance_m, implied_kn
        self.switches = 0
        self.last_switch_ts = -1
        self.start_ts = -1
        self.zone: str | None = None
        self.alert_id: str | None = None
        self.flag_until = -1

    def __getstate__(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__slots__}

    def __setstate__(self, state: dict[str, object]) -> None:
        for k, v in state.items():
            setattr(self, k, v)

    def flagged(self, ts: int) -> bool:
        return self.alert_id is not None and ts <= self.flag_until

    def _index(self, seg: Segment) -> int:
        return 0 if seg is self.main else 1 + self.alts.index(seg)

    def on_main(self, ts: int, lon: float, lat: float) -> None:
        """A fix the main track took."""
        self._switch(self.main, ts, lon, lat)
        self.main.add(ts, lon, lat)

    def nearest_alt(self, ts: int, lon: float, lat: float, plausible_kn: float,
                    within_m: float = math.inf) -> Segment | None:
        best: tuple[float, int] | None = None
        for i, seg in enumerate(self.alts):
            d = seg.reaches(ts, lon, lat, plausible_kn)
            if d is not None and d <= within_m and (best is None or d < best[0]):
                best = (d, i)
        return None if best is None else self.alts[best[1]]

    def on_alt(self, ts: int, lon: float, lat: float, plausible_kn: float, held: bool = False) -> Segment:
        """A fix the main track cannot take: to the segment that can, or a new one."""
        seg = self.nearest_alt(ts, lon, lat, plausible_kn)
        if seg is None:
            seg = Segment.start(ts, lon, lat, held)
            self.alts.append(seg)
            if len(self.alts) > MAX_SEGMENTS:  # forget the segment heard least recently
                self.alts.remove(min(self.alts, key=lambda s: (s.last_ts, s.first_ts)))
        else:
            seg.add(ts, lon, lat)
        self._switch(seg, ts, lon, lat, counted=False)
        return seg

    def _switch(self, seg: Segment, ts: int, lon: float, lat: float, counted: bool = True) -> None:
        prev = self.last_seg
        self.last_seg = seg
        if prev is None or prev is seg:
            return
        d = haversine_m(prev.lon, prev.lat, lon, lat)
        kn = speed_kn(d, max(1.0, (ts - prev.last_ts) / 1000.0))
        other = prev if seg is self.main else seg
        if other is not self.main and other in self.alts:
            other.switches += 1
            other.hop_m = [*(other.hop_m or [])[-(_HOPS - 1):], d]
        self.switches += 1
        self.last_switch_ts = ts
        self.hops.append((ts, self._index(prev) if prev in (self.main, *self.alts) else -1, self._index(seg),
                          round(d), round(min(kn, 99_999.0), 1)))
        if len(self.hops) > _HOPS:
            del self.hops[0]

    def swap(self, seg: Segment) -> None:
        """A track jump: the segment becomes the main track, the old main track a segment (with the switches
        and distances of the jump between them)."""
        i = self.alts.index(seg)
        old = self.main
        old.switches, old.hop_m = seg.switches, seg.hop_m
        self.alts[i] = old
        self.main = seg

    def anomalous(self, p: DetectionParams) -> Segment | None:
        """The segment that makes this MMSI an identity anomaly (most switches), or None."""
        best: Segment | None = None
        for seg in self.alts:
            if self.placeholder and seg.switches and seg.hop_m and \
                    statistics.median(seg.hop_m) >= p.id_min_separation_m:
                return seg  # a placeholder MMSI heard in places no vessel connects: shared, however few fixes
            if seg.n < p.id_min_segment_fixes or seg.switches < p.id_min_transitions:
                continue
            # how far apart the places are, measured where the MMSI switched between them (segments move)
            sep = statistics.median(seg.hop_m) if seg.hop_m else 0.0
            if seg.held:  # alternating: two transmitters in two fixed spots, not one track's scattered fixes
                if sep < p.id_hop_min_m or seg.spread_m() > 2 * p.id_same_place_m:
                    continue
            elif sep < p.id_min_separation_m:
                continue
            if best is None or seg.switches > best.switches:
                best = seg
        return best

    def draft(self, mmsi: int, ctx: DetectContext, p: DetectionParams, now: int, *, closed: bool) -> AlertDraft:
        assert self.zone is not None
        segs = [self.main, *(s for s in self.alts
                             if s.n >= p.id_min_segment_fixes or (self.placeholder and s.switches))]
        placeholder = is_placeholder_mmsi(mmsi)
        pattern = "alternating" if any(s.held for s in segs[1:]) else "far_apart"
        severity = Severity.HIGH if placeholder or len(segs) >= 3 else Severity.MEDIUM
        evidence: dict[str, object] = {
            "kind": "identity_anomaly", "evidence_version": EVIDENCE_VERSION,
            "pattern": pattern, "placeholder_mmsi": placeholder, "segments_count": len(segs),
            "thresholds": p.subset("id_"),
        }
        if not closed:  # the first fixes of each place, as the open alert's geometry
            evidence["track"] = sorted((track_fix(mmsi, *s.samples[0]) for s in segs), key=lambda f: str(f["ts"]))
        if closed:
            evidence.update({
                "clusters": [{"segment": i, "fixes": s.n, "first": format_ts(s.first_ts), "last": format_ts(s.last_ts),
                              "centroid": [round(c, 6) for c in s.centroid()],
                              "positions": [track_fix(mmsi, t, x, y) for t, x, y in s.samples]}
                             for i, s in enumerate(segs)],
                "track": sorted((track_fix(mmsi, t, x, y) for s in segs for t, x, y in s.samples),
                                key=lambda f: str(f["ts"])),
                "hops": [{"ts": format_ts(t), "from_segment": a, "to_segment": b, "distance_m": d,
                          "implied_speed_kn": k} for t, a, b, d, k in self.hops],
                "transitions": self.switches,
                "max_implied_speed_kn": max((h[4] for h in self.hops), default=0.0),
            })
        anchor = self.main.samples[0]
        coords = [[round(anchor[1], 6), round(anchor[2], 6)]]
        if closed:
            coords += [[round(c, 6) for c in s.centroid()] for s in segs[1:]]
        else:  # first positions only: an open alert changes when its segments do, not with every fix
            coords += [[round(s.samples[0][1], 6), round(s.samples[0][2], 6)] for s in segs[1:]]
        far = max((haversine_m(self.main.lon, self.main.lat, s.lon, s.lat) for s in segs[1:]), default=0.0)
        return AlertDraft(
            kind=AlertKind.IDENTITY_ANOMALY, mmsi=(mmsi,), start_ms=self.start_ts, zone=self.zone, closed=closed,
            end_ms=self.last_switch_ts if closed else None, updated_ms=now, severity=severity,
            score=min(1.0, 0.5 + 0.1 * max(0, self.switches - p.id_min_transitions)) if closed else 0.5,
            geometry={"type": "MultiPoint", "coordinates": coords}, vessels=(ctx.identities.identity(mmsi),),
            summary=(f"MMSI {mmsi} heard from {len(segs)} places up to {far / 1000:.0f} km apart"
                     f"{' (placeholder MMSI)' if placeholder else ''}"),
            evidence=evidence)



def publish(mmsi: int, ident: Identity, ctx: DetectContext, now: int, *, closed: bool = False) -> list[Alert]:
    """Open, update or close the MMSI's identity anomaly when its rule holds (see the module docstring)."""
    if ident.alert_id is None:
        p = ctx.params.default
        if ident.anomalous(p) is None:
            return []
        zone = ident.zone
        if zone is None:
            for seg in (ident.main, *ident.alts):
                for _, lon, lat in seg.samples:
                    z = ctx.zones.zone_at(lon, lat)
                    if z is not None:
                        zone = z.name
                        break
                if zone is not None:
                    break
            if zone is None:
                return []
            ident.zone = zone
        ident.start_ts = ident.hops[0][0] if ident.hops else now
    p = ctx.params.for_zone(ident.zone)
    ident.flag_until = (ident.last_switch_ts if ident.last_switch_ts >= 0 else now) + FLAG_MS
    draft = ident.draft(mmsi, ctx, p, now, closed=closed)
    ident.alert_id = draft.alert_id
    a = ctx.book.publish(draft)
    return [] if a is None else [a]


def on_scan(mmsi: int, ident: Identity, ctx: DetectContext, now: int) -> tuple[list[Alert], int]:
    """Close the anomaly after ``id_quiet_s`` without a switch. Returns alerts and the next time it is due."""
    if ident.alert_id is None:
        return [], -1
    a = ctx.book.get(ident.alert_id)
    if a is None or a.status in ("closed", "retracted"):
        return [], -1
    due = ident.last_switch_ts + int(ctx.params.for_zone(ident.zone).id_quiet_s * 1000)
    if now < due:
        return [], due
    return publish(mmsi, ident, ctx, now, closed=True), -1
