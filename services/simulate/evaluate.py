"""Precision, recall, detection delay and decoys flagged, per alert kind and per reception regime.

An alert that matches a truth event of its kind is a true positive; one that matches nothing is a false
positive (and, if it matches a decoy, that decoy is *flagged*). Retracted alerts do not count. A
``dark_vessel`` alert on the no-AIS boat of a ``dark_rendezvous`` event is *implied* (neither right nor
wrong). Delay is alert start − event start; for dark periods also the open delay (when the alert could
first be raised: ``evidence.opened_at`` if the detector records it, else start + its threshold).

Every figure is also kept per regime (``coast``: within a shore station's range; ``offshore``: satellite
AIS only, :mod:`services.simulate.shore`). An event counts in its own regime; a matched (or implied)
alert takes the regime of the (first) event it matches; a false positive, or a retracted alert, the
regime of its location (the mean of its geometry) — an alert without geometry counts in the overall
figures only. The targets (:meth:`EvalResult.meets`) hold overall and in every regime that has events
of the kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from statistics import median
from typing import Any

from msa.domain import parse_ts
from services.simulate.model import TruthItem
from services.simulate.places import STATIONS
from services.simulate.shore import REGIMES, Station, regime_at
from services.simulate.truth_matching import AlertView, MatchRules, matches

__all__ = ["KINDS", "EvalResult", "KindStats", "evaluate", "open_time_ms"]

KINDS = ("go_fast", "dark_period", "rendezvous", "dark_vessel", "dark_rendezvous", "identity_anomaly")


@dataclass(slots=True)
class KindStats:
    events: int = 0
    detected: int = 0
    alerts: int = 0
    true_positives: int = 0
    false_positives: int = 0
    implied: int = 0
    retracted: int = 0
    delays_s: list[float] = field(default_factory=list)
    open_delays_s: list[float] = field(default_factory=list)

    @property
    def recall(self) -> float | None:
        return self.detected / self.events if self.events else None

    @property
    def precision(self) -> float | None:
        scored = self.true_positives + self.false_positives
        return self.true_positives / scored if scored else None

    def add(self, other: KindStats) -> None:
        for name in ("events", "detected", "alerts", "true_positives", "false_positives", "implied", "retracted"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.delays_s.extend(other.delays_s)
        self.open_delays_s.extend(other.open_delays_s)

    def to_dict(self) -> dict[str, Any]:
        return {
            "events": self.events, "detected": self.detected, "recall": self.recall, "alerts": self.alerts,
            "true_positives": self.true_positives, "false_positives": self.false_positives,
            "precision": self.precision, "implied": self.implied, "retracted": self.retracted,
            "delay_median_s": median(self.delays_s) if self.delays_s else None,
            "delay_max_s": max(self.delays_s) if self.delays_s else None,
            "open_delay_median_s": median(self.open_delays_s) if self.open_delays_s else None,
        }


def _kind_table() -> dict[str, KindStats]:
    return {k: KindStats() for k in KINDS}


@dataclass(slots=True)
class EvalResult:
    kinds: dict[str, KindStats] = field(default_factory=_kind_table)
    regimes: dict[str, dict[str, KindStats]] = field(default_factory=lambda: {r: _kind_table() for r in REGIMES})
    decoys: int = 0
    decoys_by_regime: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REGIMES, 0))
    decoys_flagged: list[dict[str, Any]] = field(default_factory=list)
    missed: list[dict[str, Any]] = field(default_factory=list)
    false_positives: list[dict[str, Any]] = field(default_factory=list)

    def stats(self, kind: str, regime: str | None) -> list[KindStats]:
        """The overall stats of ``kind`` and, when ``regime`` is known, its stats in that regime."""
        out = [self.kinds.setdefault(kind, KindStats())]
        if regime is not None:
            out.append(self.regimes.setdefault(regime, _kind_table()).setdefault(kind, KindStats()))
        return out

    def add(self, other: EvalResult, label: str = "") -> None:
        for k, s in other.kinds.items():
            self.kinds.setdefault(k, KindStats()).add(s)
        for r, table in other.regimes.items():
            mine = self.regimes.setdefault(r, _kind_table())
            for k, s in table.items():
                mine.setdefault(k, KindStats()).add(s)
        self.decoys += other.decoys
        for r, n in other.decoys_by_regime.items():
            self.decoys_by_regime[r] = self.decoys_by_regime.get(r, 0) + n
        for mine_l, theirs in ((self.decoys_flagged, other.decoys_flagged), (self.missed, other.missed),
                               (self.false_positives, other.false_positives)):
            mine_l.extend({**x, "run": label} if label else x for x in theirs)

    def meets(self, min_recall: float = 0.95, min_precision: float = 0.90) -> bool:
        """No decoy flagged, and every kind meets both targets overall and in each regime with events of it."""
        checked = list(self.kinds.values())
        checked += [s for table in self.regimes.values() for s in table.values() if s.events]
        return not self.decoys_flagged and all(
            (s.recall is None or s.recall >= min_recall) and (s.precision is None or s.precision >= min_precision)
            for s in checked)

    def to_dict(self) -> dict[str, Any]:
        return {"kinds": {k: s.to_dict() for k, s in self.kinds.items()},
                "regimes": {r: {k: s.to_dict() for k, s in t.items()} for r, t in self.regimes.items()},
                "decoys": self.decoys, "decoys_by_regime": dict(self.decoys_by_regime),
                "decoys_flagged": self.decoys_flagged, "missed": self.missed,
                "false_positives": self.false_positives, "meets_targets": self.meets()}


def _find(evidence: Any, key: str) -> Any:
    if isinstance(evidence, dict):
        if key in evidence:
            return evidence[key]
        for v in evidence.values():
            found = _find(v, key)
            if found is not None:
                return found
    return None


def open_time_ms(alert: AlertView) -> int | None:
    opened = _find(alert.evidence, "opened_at")
    if isinstance(opened, str):
        return parse_ts(opened)
    threshold = _find(alert.evidence, "dark_threshold_s")
    if isinstance(threshold, (int, float)):
        return alert.start_ms + int(threshold * 1000)
    return None


def _brief(a: AlertView) -> dict[str, Any]:
    return {"alert_id": a.alert_id, "kind": a.kind, "mmsi": list(a.mmsi), "start_ms": a.start_ms, "zone": a.zone}


def evaluate(events: list[TruthItem], decoys: list[TruthItem], alerts: list[AlertView],
             rules: MatchRules = MatchRules(), stations: Sequence[Station] | None = None) -> EvalResult:
    """Score ``alerts``; ``stations`` classify places into regimes (default: the simulator's network)."""
    net = tuple(stations) if stations else STATIONS

    def regime_of(item: TruthItem) -> str:
        return item.regime or regime_at(net, item.lat, item.lon)

    def located(a: AlertView) -> str | None:
        return None if a.point is None else regime_at(net, a.point[0], a.point[1])

    res = EvalResult(decoys=len(decoys))
    for d in decoys:
        r = regime_of(d)
        res.decoys_by_regime[r] = res.decoys_by_regime.get(r, 0) + 1
    live = [a for a in alerts if a.status != "retracted"]
    for a in alerts:
        if a.status == "retracted":
            for s in res.stats(a.kind, located(a)):
                s.retracted += 1
    for e in events:
        regime = regime_of(e)
        hits = [a for a in live if matches(a, e, rules)]
        opens = [t for a in hits if (t := open_time_ms(a)) is not None]
        for s in res.stats(e.kind, regime):
            s.events += 1
            if hits:
                s.detected += 1
                s.delays_s.append(min(a.start_ms - e.start_ms for a in hits) / 1000)
                if e.kind == "dark_period" and opens:
                    s.open_delays_s.append((min(opens) - e.start_ms) / 1000)
        if not hits:
            res.missed.append({"event": e.item_id, "kind": e.kind, "mmsi": list(e.mmsi), "regime": regime})
    implied_by = [e for e in events if e.kind == "dark_rendezvous"]
    for a in live:
        matched = next((e for e in events if matches(a, e, rules)), None)
        implied = None
        if matched is None and a.kind == "dark_vessel":
            implied = next((e for e in implied_by if matches(a, replace(e, mmsi=()), rules, "dark_vessel")), None)
        owner = matched or implied
        where = regime_of(owner) if owner is not None else located(a)
        for s in res.stats(a.kind, where):
            s.alerts += 1
            if matched is not None:
                s.true_positives += 1
            elif implied is not None:
                s.implied += 1
            else:
                s.false_positives += 1
        if owner is not None:
            continue
        flagged = [d for d in decoys if matches(a, d, rules)]
        res.false_positives.append({**_brief(a), "regime": where, "decoys": [d.item_id for d in flagged]})
        for d in flagged:
            res.decoys_flagged.append({"decoy": d.item_id, "kind": d.kind, "alert_id": a.alert_id,
                                       "regime": regime_of(d)})
    return res
