"""The evaluation as a fixed-width table (stdout) and as JSON."""

from __future__ import annotations

from services.simulate.evaluate import EvalResult

__all__ = ["format_table"]


def _f(v: float | None, pct: bool = False) -> str:
    if v is None:
        return "—"
    return f"{v:.2f}" if pct else f"{v:.0f}"


def format_table(res: EvalResult, title: str = "") -> str:
    head = (f"{'kind':<16}{'events':>7}{'found':>7}{'recall':>8}{'alerts':>8}{'TP':>5}{'FP':>5}{'impl':>6}"
            f"{'precision':>10}{'delay_med_s':>13}{'delay_max_s':>13}{'open_med_s':>12}")
    lines = [title] if title else []
    lines += [head, "-" * len(head)]
    for kind, s in res.kinds.items():
        d = s.to_dict()
        lines.append(f"{kind:<16}{s.events:>7}{s.detected:>7}{_f(s.recall, True):>8}{s.alerts:>8}"
                     f"{s.true_positives:>5}{s.false_positives:>5}{s.implied:>6}{_f(s.precision, True):>10}"
                     f"{_f(d['delay_median_s']):>13}{_f(d['delay_max_s']):>13}{_f(d['open_delay_median_s']):>12}")
    lines.append(f"decoys flagged: {len(res.decoys_flagged)} of {res.decoys}")
    for x in res.decoys_flagged:
        lines.append(f"  decoy {x['decoy']} flagged by {x['kind']} alert {x['alert_id']}"
                     + (f" ({x['run']})" if "run" in x else ""))
    for x in res.missed:
        lines.append(f"  missed {x['event']} mmsi={x['mmsi']}" + (f" ({x['run']})" if "run" in x else ""))
    for x in res.false_positives:
        if not x["decoys"]:
            lines.append(f"  false positive {x['kind']} mmsi={x['mmsi']} zone={x['zone']!r} {x['alert_id']}"
                         + (f" ({x['run']})" if "run" in x else ""))
    lines.append(f"targets (recall ≥ 0.95, precision ≥ 0.90, no decoy flagged): "
                 f"{'MET' if res.meets() else 'NOT MET'}")
    return "\n".join(lines)
