"""The evaluation as a fixed-width table (stdout): one row per kind overall, then per regime."""

from __future__ import annotations

from services.simulate.evaluate import EvalResult, KindStats

__all__ = ["format_table"]


def _f(v: float | None, pct: bool = False) -> str:
    if v is None:
        return "—"
    return f"{v:.2f}" if pct else f"{v:.0f}"


def _row(kind: str, regime: str, s: KindStats) -> str:
    d = s.to_dict()
    return (f"{kind:<17}{regime:<10}{s.events:>7}{s.detected:>7}{_f(s.recall, True):>8}{s.alerts:>8}"
            f"{s.true_positives:>5}{s.false_positives:>5}{s.implied:>6}{_f(s.precision, True):>10}"
            f"{_f(d['delay_median_s']):>13}{_f(d['delay_max_s']):>13}{_f(d['open_delay_median_s']):>12}")


def _run(x: dict[str, object]) -> str:
    return f" ({x['run']})" if "run" in x else ""


def format_table(res: EvalResult, title: str = "") -> str:
    head = (f"{'kind':<17}{'regime':<10}{'events':>7}{'found':>7}{'recall':>8}{'alerts':>8}{'TP':>5}{'FP':>5}"
            f"{'impl':>6}{'precision':>10}{'delay_med_s':>13}{'delay_max_s':>13}{'open_med_s':>12}")
    lines = [title] if title else []
    lines += [head, "-" * len(head)]
    for kind, s in res.kinds.items():
        lines.append(_row(kind, "all", s))
        for regime, table in res.regimes.items():
            rs = table.get(kind)
            if rs is not None and (rs.events or rs.alerts or rs.retracted):
                lines.append(_row(kind, regime, rs))
    per_regime = ", ".join(
        f"{r} {sum(1 for x in res.decoys_flagged if x.get('regime') == r)} of {n}"
        for r, n in res.decoys_by_regime.items())
    lines.append(f"decoys flagged: {len(res.decoys_flagged)} of {res.decoys} ({per_regime})")
    for x in res.decoys_flagged:
        lines.append(f"  decoy {x['decoy']} ({x.get('regime', '?')}) flagged by {x['kind']} alert {x['alert_id']}"
                     + _run(x))
    for x in res.missed:
        lines.append(f"  missed {x['event']} ({x.get('regime', '?')}) mmsi={x['mmsi']}" + _run(x))
    for x in res.false_positives:
        if not x["decoys"]:
            lines.append(f"  false positive {x['kind']} ({x.get('regime') or 'no geometry'}) mmsi={x['mmsi']} "
                         f"zone={x['zone']!r} {x['alert_id']}" + _run(x))
    lines.append("targets (recall ≥ 0.95, precision ≥ 0.90 per kind, overall and per regime; no decoy flagged): "
                 f"{'MET' if res.meets() else 'NOT MET'}")
    return "\n".join(lines)
