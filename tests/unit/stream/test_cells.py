"""Cell keying: a fix reaches every cell within the margin, each partition once."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from geo.geodesy import haversine_m
from services.detect.stream.cells import (
    PARTITION_CELL_DEG,
    cell_id,
    cell_partition,
    cells_near,
    partitions_near,
)


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


def test_cells_are_half_a_degree() -> None:
    assert PARTITION_CELL_DEG == 0.5
    assert cell_id(-5.99, 36.1) == cell_id(-5.99 + PARTITION_CELL_DEG * 0.9, 36.1) != cell_id(-5.49, 36.1)
