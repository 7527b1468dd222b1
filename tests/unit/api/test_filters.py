from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.api.filters import BBox, Cursor, CursorError, SortKey, parse_bbox, parse_csv, parse_interval

values = st.one_of(st.none(), st.integers(-(2**53), 2**53), st.floats(allow_nan=False, allow_infinity=False),
                   st.text(max_size=20))


@given(sort=st.sampled_from(list(SortKey)), value=values, alert_id=st.text(min_size=1, max_size=40))
def test_cursor_round_trip(sort: SortKey, value: object, alert_id: str) -> None:
    c = Cursor(sort, value, alert_id)  # type: ignore[arg-type]
    assert Cursor.decode(c.encode(), sort) == c


@given(st.text(max_size=60))
def test_garbage_cursor_is_a_cursor_error(text: str) -> None:
    with contextlib.suppress(CursorError):
        Cursor.decode(text, SortKey.UPDATED_DESC)


def test_cursor_for_another_sort_is_refused() -> None:
    c = Cursor(SortKey.START_ASC, 5, "a").encode()
    with pytest.raises(CursorError):
        Cursor.decode(c, SortKey.UPDATED_DESC)


def test_bbox() -> None:
    assert parse_bbox("-6,35,-5,36.5") == BBox(-6, 35, -5, 36.5)
    assert parse_bbox("-6,35,0,-5,36.5,10") == BBox(-6, 35, -5, 36.5)
    assert parse_bbox(None) is None
    for bad in ("1,2,3", "a,b,c,d", "-6,40,-5,36", "0,0,200,1", "10,0,5,1"):
        with pytest.raises(ValueError):
            parse_bbox(bad)


def test_interval() -> None:
    assert parse_interval("2026-01-01T00:00:00Z/..") == (1_767_225_600_000, None)
    assert parse_interval("../2026-01-01T00:00:00Z") == (None, 1_767_225_600_000)
    assert parse_interval("2026-01-01T00:00:00Z") == (1_767_225_600_000, 1_767_225_600_000)
    with pytest.raises(ValueError):
        parse_interval("2026-01-02T00:00:00Z/2026-01-01T00:00:00Z")


def test_csv_values_are_split_and_deduplicated() -> None:
    assert parse_csv(["a,b", "b", " c "]) == ("a", "b", "c")
    assert parse_csv(None) == ()
