"""Precision, recall, detection delay and decoys flagged, per alert kind.

An alert that matches a truth event of its kind is a true positive; one that matches nothing is a false
positive (and, if it matches a decoy, that decoy is *flagged*). Retracted alerts do not count. A
``dark_vessel`` alert on the no-AIS boat of a ``dark_rendezvous`` event is *implied* (neither right nor
wrong). Delay is alert start − event start; for dark periods also the open delay (when the alert could
first be raised: ``evidence.opened_at`` if the detector records it, else start + its threshold).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from statistics import median
from typing import Any

from msa.domain import parse_ts
from services.simulate.matching import AlertView, MatchRules, matches
from services.simulate.model import TruthItem

__all__ = ["KINDS", "EvalResult", "KindStats", "evaluate", "open_time_ms"]

KINDS = ("go_fast", "dark_period", "rendezvous", "dark_vessel", "dark_rendezvous")


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


@dataclass(slots=True)
class EvalResult:
    kinds: dict[str, KindStats] = field(default_factory=lambda: {k: KindStats() for k in KINDS})
    decoys: int = 0
    decoys_flagged: list[dict[str, Any]] = field(default_factory=list)
    missed: list[dict[str, Any]] = field(default_factory=list)
    false_positives: list[dict[str, Any]] = field(default_factory=list)

    def add(self, other: EvalResult, label: str = "") -> None:
        for k, s in other.kinds.items():
            self.kinds.setdefault(k, KindStats()).add(s)
        self.decoys += other.decoys
        for mine, theirs in ((self.decoys_flagged, other.decoys_flagged), (self.missed, other.missed),
                             (self.false_positives, other.false_positives)):
            mine.extend({**x, "run": label} if label else x for x in theirs)

    def meets(self, min_recall: float = 0.95, min_precision: float = 0.90) -> bool:
        ok = not self.decoys_flagged
        for s in self.kinds.values():
            ok = ok and (s.recall is None or s.recall >= min_recall)
            ok = ok and (s.precision is None or s.precision >= min_precision)
        return ok

    def to_dict(self) -> dict[str, Any]:
        return {"kinds": {k: s.to_dict() for k, s in self.kinds.items()}, "decoys": self.decoys,
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
             rules: MatchRules = MatchRules()) -> EvalResult:
    res = EvalResult(decoys=len(decoys))
    live = [a for a in alerts if a.status != "retracted"]
    for a in alerts:
        if a.status == "retracted":
            res.kinds.setdefault(a.kind, KindStats()).retracted += 1
    for e in events:
        stats = res.kinds.setdefault(e.kind, KindStats())
        stats.events += 1
        hits = [a for a in live if matches(a, e, rules)]
        if not hits:
            res.missed.append({"event": e.item_id, "kind": e.kind, "mmsi": list(e.mmsi)})
            continue
        stats.detected += 1
        stats.delays_s.append(min(a.start_ms - e.start_ms for a in hits) / 1000)
        opens = [t for a in hits if (t := open_time_ms(a)) is not None]
        if e.kind == "dark_period" and opens:
            stats.open_delays_s.append((min(opens) - e.start_ms) / 1000)
    implied_by = [e for e in events if e.kind == "dark_rendezvous"]
    for a in live:
        stats = res.kinds.setdefault(a.kind, KindStats())
        stats.alerts += 1
        if any(matches(a, e, rules) for e in events):
            stats.true_positives += 1
            continue
        if a.kind == "dark_vessel" and any(matches(a, replace(e, mmsi=()), rules, "dark_vessel") for e in implied_by):
            stats.implied += 1
            continue
        stats.false_positives += 1
        flagged = [d for d in decoys if matches(a, d, rules)]
        res.false_positives.append({**_brief(a), "decoys": [d.item_id for d in flagged]})
        for d in flagged:
            res.decoys_flagged.append({"decoy": d.item_id, "kind": d.kind, "alert_id": a.alert_id})
    return res
