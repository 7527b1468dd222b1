"""Named places used by the scenarios: shore receivers, shipping lanes, ports and the scenario spots.

Coordinates are (lat, lon) in decimal degrees, read off public nautical charts and port web sites to
about 1 km; lanes follow the Strait of Gibraltar and Cabo de São Vicente traffic separation schemes
(eastbound traffic on the southern lane), the usual coastal routes, and offshore routes (west of
Iberia, from the Strait into the Atlantic, across the western Mediterranean) far beyond shore-receiver
range. Ports are points inside the port areas of ``geo/data/ports.geojson``.
"""

from __future__ import annotations

from services.simulate.shore import Station

__all__ = ["ANCHORAGE_ALGECIRAS", "LANES", "PORTS", "STATIONS"]

STATIONS: tuple[Station, ...] = (
    Station("rx-tarifa", 36.013, -5.604),
    Station("rx-ceuta", 35.898, -5.300, clock_offset_ms=1000),
    Station("rx-tanger", 35.785, -5.810),
    Station("rx-malaga", 36.715, -4.418),
    Station("rx-motril", 36.718, -3.520),
    Station("rx-almeria", 36.830, -2.460),
    Station("rx-alhoceima", 35.250, -3.930),
    Station("rx-nador", 35.280, -2.930, clock_offset_ms=-1000),
    Station("rx-cadiz", 36.530, -6.300),
    Station("rx-huelva", 37.200, -6.950),
    Station("rx-faro", 37.010, -7.930),
    Station("rx-sagres", 37.010, -8.940),
    Station("rx-sines", 37.950, -8.870),
    Station("rx-roca", 38.780, -9.500),
    Station("rx-peniche", 39.360, -9.400),
    Station("rx-funchal", 32.640, -16.910),
    Station("rx-laspalmas", 28.140, -15.420),
    Station("rx-tenerife", 28.470, -16.250),
)

LANES: dict[str, tuple[tuple[float, float], ...]] = {
    "strait_eastbound": ((35.93, -6.40), (35.93, -5.75), (35.95, -5.45), (36.03, -5.00), (36.18, -4.20),
                         (36.30, -3.00), (36.50, -2.00)),
    "strait_westbound": ((36.58, -2.00), (36.38, -3.00), (36.26, -4.20), (36.10, -5.00), (35.99, -5.45),
                         (35.97, -5.75), (35.97, -6.40)),
    "portugal_southbound": ((39.60, -9.85), (38.70, -9.85), (37.90, -9.30), (37.00, -9.25), (36.85, -8.60),
                            (36.60, -7.50), (36.20, -6.50), (35.95, -6.10)),
    "portugal_northbound": ((35.90, -6.20), (36.15, -6.55), (36.55, -7.55), (36.78, -8.60), (36.92, -9.32),
                            (37.90, -9.40), (38.70, -9.97), (39.60, -9.97)),
    "canaries_southbound": ((33.50, -12.20), (29.20, -12.90), (27.50, -13.50)),
    "canaries_northbound": ((27.50, -13.65), (29.20, -13.05), (33.50, -12.35)),
    # offshore routes, 200–300 km off the coast (satellite AIS only)
    "iberia_offshore_southbound": ((45.50, -12.20), (40.70, -12.60)),
    "iberia_offshore_northbound": ((40.70, -13.00), (45.50, -12.60)),
    "strait_atlantic_westbound": ((36.00, -6.60), (36.05, -9.50), (36.10, -13.00), (36.30, -20.00)),
    "strait_atlantic_eastbound": ((36.25, -20.00), (35.95, -13.00), (35.85, -9.50), (35.90, -6.60)),
    "med_eastbound": ((37.30, 0.50), (37.85, 5.00), (37.75, 8.50), (37.45, 11.50)),
    "med_westbound": ((37.60, 11.50), (38.05, 8.50), (38.10, 5.00), (37.55, 0.50)),
}

PORTS: dict[str, tuple[float, float]] = {
    "tarifa": (36.008, -5.604),
    "tanger_ville": (35.790, -5.806),
    "algeciras": (36.128, -5.436),
    "lisbon": (38.690, -9.170),
    "huelva": (37.130, -6.900),
    "portimao": (37.115, -8.527),
    "lisbon_alcantara": (38.700, -9.165),  # a berth in the port of Lisbon (inside its 8 km port area)
}

ANCHORAGE_ALGECIRAS: tuple[float, float] = (36.125, -5.395)
