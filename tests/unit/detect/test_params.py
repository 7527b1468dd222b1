"""Parameters: defaults, per-zone overrides from the zone file and from --params, validation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.detect.params import DetectionParams, ParamsError, ParamSet, load_params_file
from tests.unit.detect.builders import zones

STRAIT = "Strait of Gibraltar and Alboran Sea"


def test_defaults_are_the_issue_thresholds() -> None:
    p = DetectionParams()
    assert (p.gofast_min_speed_kn, p.gofast_high_speed_kn, p.gofast_min_duration_s) == (30.0, 40.0, 300.0)
    assert (p.gofast_max_length_m, p.gofast_max_plausible_kn) == (20.0, 80.0)
    assert (p.dark_threshold_s, p.rv_max_distance_m, p.rv_min_duration_s) == (10800.0, 500.0, 1800.0)
    assert (p.rv_max_median_speed_kn, p.rv_min_port_distance_m, p.rv_merge_gap_s) == (3.0, 5000.0, 14400.0)
    assert (p.sat_match_radius_m, p.sat_dark_rendezvous_m) == (1500.0, 1000.0)


def test_zone_file_overrides_apply_to_their_zone_only() -> None:
    ps = ParamSet.build(zones())
    assert ps.for_zone(STRAIT).dark_threshold_s == 3600.0
    assert ps.for_zone("Western Mediterranean").dark_threshold_s == 10800.0
    assert ps.for_zone(None).dark_threshold_s == 10800.0


def test_params_file_default_and_zone_sections(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"default": {"gofast_min_speed_kn": 28},
                                "zones": {STRAIT: {"dark_threshold_s": 1800, "rv_max_distance_m": 800}}}))
    ps = ParamSet.build(zones(), load_params_file(path))
    assert ps.for_zone("Western Mediterranean").gofast_min_speed_kn == 28.0
    assert ps.for_zone(STRAIT).gofast_min_speed_kn == 28.0
    assert ps.for_zone(STRAIT).dark_threshold_s == 1800.0 and ps.for_zone(STRAIT).rv_max_distance_m == 800.0


def test_a_flat_params_file_is_the_default_section() -> None:
    assert ParamSet.build(zones(), {"rv_min_duration_s": 600}).for_zone(STRAIT).rv_min_duration_s == 600.0


@pytest.mark.parametrize(("doc", "message"), [
    ({"gofast_min_speed": 30}, "unknown detection parameter"),
    ({"default": {"gofast_min_fixes": 2.5}}, "integer"),
    ({"default": {"dark_emit_low_coverage": "yes"}}, "true or false"),
    ({"default": {"rv_max_distance_m": True}}, "number"),
    ({"zones": {"Atlantis": {}}}, "do not exist"),
])
def test_bad_parameters_are_refused(doc: dict[str, object], message: str) -> None:
    with pytest.raises(ParamsError, match=message):
        ParamSet.build(zones(), doc)


def test_subset_is_what_alerts_record() -> None:
    sub = DetectionParams().subset("rv_")
    assert sub and all(k.startswith("rv_") for k in sub)
