"""Cell keying: a fix reaches every cell within the margin; exactly one cell owns an alert."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from geo.geodesy import haversine_m
from msa.domain import Alert, AlertKind, AlertStatus, Severity
from services.detect.stream.cells import (
    CELL_DEG,
    anchor_point,
    cell_id,
    cell_partition,
    cells_near,
    owner_cell,
    partitions_near,
)


def _alert(geometry: dict[str, object]) -> Alert:
    return Alert(alert_id="x", kind=AlertKind.RENDEZVOUS, status=AlertStatus.OPEN, version=1, mmsi=(1, 2),
                 start_ms=0, end_ms=None, updated_ms=0, zone="z", severity=Severity.LOW, score=0.5,
                 geometry=geometry)


def test_cell_ids() -> None:
    assert cell_id(-5.6, 36.0) == "c348:252"
    assert cell_id(-5.4999, 36.4999) == "c349:252"
    assert cell_id(180.0, 0.0) == cell_id(-180.0, 0.0)  # wraps


def test_fix_in_the_middle_of_a_cell_goes_to_that_cell_only() -> None:
    assert cells_near(-5.75, 36.25) == ["c348:252"]


def test_fix_near_a_corner_goes_to_four_cells() -> None:
    cells = cells_near(-5.501, 36.499)
    assert cells[0] == "c348:252"
    assert sorted(cells[1:]) == ["c348:253", "c349:252", "c349:253"]


lons = st.floats(-30.0, 35.0, allow_nan=False)
lats = st.floats(-10.0, 60.0, allow_nan=False)


@given(lons, lats, st.floats(-0.03, 0.03), st.floats(-0.03, 0.03))
def test_two_fixes_within_the_margin_share_a_cell(lon: float, lat: float, dlon: float, dlat: float) -> None:
    """Any two fixes ≤ 5 km apart are both sent to the cell of either: a pair is never split."""
    lon2, lat2 = lon + dlon, lat + dlat
    if haversine_m(lon, lat, lon2, lat2) > 4900.0:
        return
    assert cell_id(lon2, lat2) in cells_near(lon, lat)


@given(lons, lats)
def test_partitions_near_covers_each_cell_once(lon: float, lat: float) -> None:
    parts = partitions_near(lon, lat, 6)
    assert set(parts) == {cell_partition(c, 6) for c in cells_near(lon, lat)}
    assert parts[cell_partition(cell_id(lon, lat), 6)] == cell_id(lon, lat)


def test_owner_is_the_cell_of_the_first_coordinate() -> None:
    line: dict[str, object] = {"type": "LineString", "coordinates": [[-5.6, 36.1], [-5.4, 36.1]]}
    assert anchor_point(line) == (-5.6, 36.1)
    assert owner_cell(_alert(line)) == "c348:252"
    poly: dict[str, object] = {"type": "Polygon", "coordinates": [[[1.0, 2.0], [1.1, 2.0], [1.0, 2.1], [1.0, 2.0]]]}
    assert owner_cell(_alert(poly)) == cell_id(1.0, 2.0)
    assert owner_cell(_alert({"type": "Point", "coordinates": []})) is None
    assert CELL_DEG == 0.5
