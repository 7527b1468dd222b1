"""Detection thresholds: one frozen object, units in every name, overridable per zone.

Precedence (last wins): these defaults < ``--params`` file ``default`` < the zone file's overrides <
``--params`` file ``zones.<name>``. The thresholds applied are recorded on every alert's evidence.

``--params`` file (JSON)::

    {"default": {"gofast_min_speed_kn": 28}, "zones": {"Strait of Gibraltar and Alboran Sea": {...}}}

A flat object is read as ``default``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from geo.zones import Zone, ZoneIndex

__all__ = ["DetectionParams", "ParamSet", "ParamsError", "load_params_file"]


class ParamsError(ValueError):
    """An unknown parameter name or a value of the wrong type."""


@dataclass(frozen=True, slots=True)
class DetectionParams:
    # go-fast
    gofast_min_speed_kn: float = 30.0
    gofast_high_speed_kn: float = 40.0
    gofast_min_duration_s: float = 300.0
    gofast_min_fixes: int = 3
    gofast_max_length_m: float = 20.0
    gofast_max_plausible_kn: float = 80.0
    gofast_max_fix_gap_s: float = 600.0
    gofast_bridge_max_gap_s: float = 7200.0  # a longer gap continues a run if the speed across it is fast
    gofast_min_net_ratio: float = 0.5  # net displacement over the run ≥ this × min speed (no back and forth)
    gofast_implied_min_ratio: float = 0.6  # implied speed ≥ ratio × threshold confirms a reported SOG
    gofast_hsc_ship_type_min: int = 40  # declared high-speed craft (ITU ship types 40–49) are not flagged
    gofast_hsc_ship_type_max: int = 49
    loiter_max_speed_kn: float = 3.0
    loiter_min_duration_s: float = 1800.0
    loiter_bridge_max_gap_s: float = 10800.0  # a slow spell goes on across a reporting gap if it stayed slow
    sprint_min_speed_kn: float = 25.0
    sprint_max_delay_s: float = 1800.0
    sprint_min_coast_approach_m: float = 5000.0
    # dark period
    dark_threshold_s: float = 10800.0
    dark_threshold_offshore_s: float = 7200.0  # silence needed beyond terrestrial range (satellite regime)
    dark_offshore_min_m: float = 74_000.0  # ~40 nm from land: beyond shore receivers, only satellites hear
    dark_min_reports: int = 5
    dark_max_p_silent: float = 0.01  # a silence this improbable for a transmitting vessel is a dark period
    dark_min_opportunities: int = 3  # … and it missed at least this many chances to be heard
    dark_prior_p_heard_a: float = 0.95  # prior chance a class A vessel is heard when its area has reception
    dark_prior_p_heard_b: float = 0.6  # … class B (lower power, fewer transmissions, worse satellite detection)
    dark_prior_weight: float = 2.0  # pseudo-observations of the prior
    dark_coverage_bucket_s: float = 600.0
    dark_coverage_radius_m: float = 40_000.0
    dark_coverage_radius_offshore_m: float = 60_000.0
    dark_min_other_vessels: int = 2
    dark_emit_low_coverage: bool = False
    dark_high_gap_s: float = 21600.0
    dark_sat_match_radius_m: float = 5000.0
    # rendezvous
    rv_max_distance_m: float = 500.0
    rv_min_duration_s: float = 1800.0
    rv_max_median_speed_kn: float = 3.0
    rv_min_port_distance_m: float = 5000.0
    rv_merge_gap_s: float = 14400.0
    rv_max_fix_age_s: float = 900.0
    rv_sparse_max_fix_age_s: float = 3600.0  # an older fix of the other vessel, moved on at its speed…
    rv_max_uncertainty_m: float = 1000.0  # … while the distance it may have moved stays below this
    rv_bridge_max_gap_s: float = 10800.0  # satellite-only reception: passes ~1.5 h apart
    rv_joint_silence_max_s: float = 86400.0  # both silent together: one meeting when they reappear together
    rv_max_drift_kn: float = 2.0
    rv_candidate_max_speed_kn: float = 6.0
    rv_high_duration_s: float = 7200.0
    rv_stopped_min_shore_m: float = 2000.0  # a stopped vessel closer to the shore is moored or at anchor
    rv_anchorage_min_vessels: int = 5  # an inferred anchorage: this many vessels stopped within ~1.5 km…
    rv_anchorage_window_s: float = 172800.0  # … within 48 h, within terrestrial range of a coast
    # dark vessel / dark rendezvous (satellite detections)
    sat_match_radius_m: float = 1500.0
    sat_dark_rendezvous_m: float = 1000.0
    sat_max_fix_age_s: float = 1800.0
    sat_match_window_s: float = 600.0
    sat_min_confidence: float = 0.5
    sat_loiter_min_duration_s: float = 900.0
    sat_loiter_max_fix_age_s: float = 7200.0  # a loitering vessel known from sparse fixes this old still counts
    sat_drift_uncertainty_kn: float = 0.5  # how far a vessel may have drifted from its last fix, per hour of age
    sat_max_late_s: float = 21600.0  # detections up to 6 h late are judged as if on time; later ones counted
    # identity anomaly
    id_hop_min_kn: float = 30.0
    id_hop_min_m: float = 500.0
    id_hop_max_prior_kn: float = 5.0
    id_same_place_m: float = 300.0
    id_min_segment_fixes: int = 3
    id_min_transitions: int = 4
    id_min_separation_m: float = 10_000.0
    id_quiet_s: float = 21600.0

    def replace(self, overrides: Mapping[str, Any]) -> DetectionParams:
        return dataclasses.replace(self, **_coerce(overrides, strict=True))

    def subset(self, *prefixes: str) -> dict[str, Any]:
        """The thresholds of one detector, for an alert's evidence."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name.startswith(prefixes)}

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


_TYPES = {f.name: f.type for f in fields(DetectionParams)}


def _coerce(overrides: Mapping[str, Any], *, strict: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in overrides.items():
        typ = _TYPES.get(key)
        if typ is None:
            if strict:
                raise ParamsError(f"unknown detection parameter {key!r}")
            continue
        try:
            if typ == "bool":
                if not isinstance(value, bool):
                    raise TypeError("expected true or false")
                out[key] = value
            elif typ == "int":
                if isinstance(value, bool) or float(value) != int(value):
                    raise TypeError("expected an integer")
                out[key] = int(value)
            else:
                if isinstance(value, bool):
                    raise TypeError("expected a number")
                out[key] = float(value)
        except (TypeError, ValueError) as exc:
            raise ParamsError(f"parameter {key!r}: {exc} (got {value!r})") from exc
    return out


class ParamSet:
    """The effective parameters for each zone (and for positions outside every zone)."""

    __slots__ = ("_by_zone", "default")

    def __init__(self, default: DetectionParams | None = None,
                 by_zone: Mapping[str, DetectionParams] | None = None) -> None:
        self.default = default or DetectionParams()
        self._by_zone: dict[str, DetectionParams] = dict(by_zone or {})

    @classmethod
    def build(cls, zones: ZoneIndex, doc: Mapping[str, Any] | None = None) -> ParamSet:
        doc = doc or {}
        if "default" in doc or "zones" in doc:
            default_over, zone_over = doc.get("default") or {}, doc.get("zones") or {}
        else:
            default_over, zone_over = doc, {}
        default = DetectionParams().replace(default_over)
        names = {z.name for z in zones.zones}
        unknown = sorted(set(zone_over) - names)
        if unknown:
            raise ParamsError(f"--params names zones that do not exist: {unknown}")
        by_zone: dict[str, DetectionParams] = {}
        for z in zones.zones:
            p = default.replace(_coerce(z.params_overrides, strict=False))
            by_zone[z.name] = p.replace(zone_over.get(z.name) or {})
        return cls(default, by_zone)

    def for_zone(self, zone: Zone | str | None) -> DetectionParams:
        if zone is None:
            return self.default
        name = zone if isinstance(zone, str) else zone.name
        return self._by_zone.get(name, self.default)


def load_params_file(path: str | Path) -> dict[str, Any]:
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ParamsError(f"{path}: {exc}") from exc
    if not isinstance(doc, dict):
        raise ParamsError(f"{path}: the parameters file must hold a JSON object")
    return doc
