"""MMSI → flag through the MID table."""

from __future__ import annotations

import csv

import pytest

from geo.mid import MID_TO_ISO, flag_from_mmsi, mid_of
from tests.shared_data import require_shared


@pytest.mark.parametrize(("mmsi", "flag"), [
    (224306000, "ES"), (236111000, "GI"), (242005001, "MA"), (263002003, "PT"), (255805000, "PT"),
    (538002001, "MH"), (636009002, "LR"), (351234000, "PA"), (617000001, "CV"), (663000001, "SN"),
])
def test_flags_of_known_mids(mmsi: int, flag: str) -> None:
    assert flag_from_mmsi(mmsi) == flag


@pytest.mark.parametrize("mmsi", [992_241_234, 111_224_123, 970_000_001, 2_240_001, 12_345, 200_999_999,
                                  800_000_001])
def test_no_flag_for_aids_aircraft_sart_coast_stations_or_unallocated_mids(mmsi: int) -> None:
    assert flag_from_mmsi(mmsi) is None


def test_mid_of_a_ship_station() -> None:
    assert mid_of(224_306_000) == 224 and mid_of(2_242_000) is None


def test_every_mid_in_the_libais_table_is_mapped() -> None:
    path = require_shared("libais/mid.csv")
    with path.open(encoding="utf-8") as fh:
        prefixes = {int(row["prefix"]) for row in csv.DictReader(fh)}
    assert prefixes and prefixes <= set(MID_TO_ISO)
