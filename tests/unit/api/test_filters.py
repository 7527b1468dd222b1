from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.api.filters import BBox, Cursor, CursorError, SortKey, parse_bbox, parse_csv, parse_interval

ids = st.text(alphabet="0123456789abcdef", min_size=1, max_size=40)


def valid_values(sort: SortKey) -> st.SearchStrategy[object]:
    """The values a page of ``sort`` really ends on."""
    if sort.column in ("updated_ts", "start_ts"):
        return st.one_of(st.none(), st.integers(0, 253_402_300_799_999))
    if sort.column == "score":
        return st.one_of(st.none(), st.floats(0, 1), st.integers(0, 1))
    return st.one_of(st.none(), st.integers(0, 3))


@given(data=st.data(), sort=st.sampled_from(list(SortKey)), alert_id=ids)
def test_cursor_round_trip(data: st.DataObject, sort: SortKey, alert_id: str) -> None:
    c = Cursor(sort, data.draw(valid_values(sort)), alert_id)  # type: ignore[arg-type]
    assert Cursor.decode(c.encode(), sort) == c


@pytest.mark.parametrize(("sort", "value", "alert_id"), [
    (SortKey.UPDATED_DESC, "2026-01-01", "a"),  # a string where the database compares a timestamp
    (SortKey.UPDATED_DESC, 10**17, "a"),  # beyond any datetime: OverflowError
    (SortKey.START_ASC, -1, "a"),
    (SortKey.START_ASC, 1.5, "a"),
    (SortKey.SCORE_DESC, "high", "a"),
    (SortKey.SCORE_DESC, True, "a"),
    (SortKey.SEVERITY_DESC, 10**12, "a"),  # beyond the integer column
    (SortKey.UPDATED_DESC, 5, "x" * 500),
    (SortKey.UPDATED_DESC, 5, "a'; drop table alerts; --"),
    (SortKey.UPDATED_DESC, [1], "a"),
])
def test_a_crafted_cursor_is_refused_before_any_query(sort: SortKey, value: object, alert_id: str) -> None:
    with pytest.raises(CursorError):
        Cursor.decode(Cursor(sort, value, alert_id).encode(), sort)  # type: ignore[arg-type]


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
