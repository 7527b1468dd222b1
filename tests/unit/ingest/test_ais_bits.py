"""``msa.ais.bits``: the armour, bit fields and not-available values every decoder and encoder shares."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from msa.ais.bits import (
    ARMOUR,
    COG_NOT_AVAILABLE,
    HEADING_NOT_AVAILABLE,
    SECOND_NOT_AVAILABLE,
    SOG_NOT_AVAILABLE,
    SOG_NOT_AVAILABLE_KN,
    armour,
    pack,
    payload_int,
    position_fields,
)


@given(st.integers(min_value=0, max_value=(1 << 168) - 1))
def test_armour_and_payload_int_are_inverse(v: int) -> None:
    payload, fill = armour(v, 168)
    assert fill == 0 and len(payload) == 28 and set(payload.encode()) <= set(ARMOUR)
    assert payload_int(payload.encode()) == v


def test_armour_pads_to_six_bits_and_pack_cuts_each_value_to_its_width() -> None:
    assert armour(0b1, 1) == ("P", 5)  # 100000
    assert pack([(5, 3), (-1, 4), (0x1FF, 8)]) == (0b101_1111_11111111, 15)


def _position(lat_raw: int, lon_raw: int, sog: int, cog: int, heading: int, second: int, status: int = 15) -> int:
    return pack([(1, 6), (0, 2), (227006760, 30), (status, 4), (0x80, 8), (sog, 10), (0, 1), (lon_raw, 28),
                 (lat_raw, 27), (cog, 12), (heading, 9), (second, 6), (0, 2), (0, 3), (0, 1), (0, 19)])[0]


def test_not_available_values_become_none() -> None:
    v = _position(91 * 600_000, 181 * 600_000, SOG_NOT_AVAILABLE, COG_NOT_AVAILABLE, HEADING_NOT_AVAILABLE,
                  SECOND_NOT_AVAILABLE)
    assert position_fields(v) == (1, 227006760, None, None, None, None, None, None, False, None)
    assert SOG_NOT_AVAILABLE_KN == 102.3


def test_available_values_are_scaled() -> None:
    v = _position(-30 * 600_000, -9 * 600_000, 1022, 3599, 359, 59, status=0)
    assert position_fields(v) == (1, 227006760, -30.0, -9.0, 102.2, 359.9, 359, 0, False, 59)
