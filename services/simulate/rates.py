"""AIS reporting intervals after ITU-R M.1371-5, Annex 1, Tables 1 and 2.

Class A: at anchor or moored and not moving faster than 3 kn every 3 min; 0–14 kn every 10 s;
14–23 kn every 6 s; over 23 kn every 2 s. Class B "CS": ≤ 2 kn every 3 min, > 2 kn every 30 s.
Static and voyage data (type 5, type 24 A/B) every 6 min.
"""

from __future__ import annotations

from services.simulate.trajectory import NAV_ANCHORED, NAV_MOORED

__all__ = ["STATIC_INTERVAL_S", "class_a_interval_s", "class_b_interval_s", "interval_s"]

STATIC_INTERVAL_S = 360.0


def class_a_interval_s(sog_kn: float, nav_status: int) -> float:
    if nav_status in (NAV_ANCHORED, NAV_MOORED) and sog_kn <= 3.0:
        return 180.0
    if sog_kn <= 14.0:
        return 10.0
    if sog_kn <= 23.0:
        return 6.0
    return 2.0


def class_b_interval_s(sog_kn: float) -> float:
    return 180.0 if sog_kn <= 2.0 else 30.0


def interval_s(ais_class: str, sog_kn: float, nav_status: int) -> float:
    return class_a_interval_s(sog_kn, nav_status) if ais_class == "A" else class_b_interval_s(sog_kn)
