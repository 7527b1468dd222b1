"""NMEA 0183 ``!AIVDM`` sentences with NMEA 4 tag blocks, encoded with pyais.

Every sentence carries ``\\s:SOURCE,c:EPOCH*hh\\`` (source station, receiver time in Unix seconds); the
parts of a multi-part message (type 5) share a sequential message id and each carries the tag block.
"""

from __future__ import annotations

from functools import reduce
from typing import Any

from pyais import encode_dict

from msa.ais.bits import SOG_NOT_AVAILABLE_KN
from services.simulate.model import VesselSpec
from services.simulate.trajectory import State

__all__ = ["position_payload", "static_payloads", "tag_block", "tagged_lines"]


def _checksum(text: str) -> str:
    return f"{reduce(lambda acc, ch: acc ^ ord(ch), text, 0):02X}"


def tag_block(source: str, epoch_s: int) -> str:
    body = f"s:{source},c:{epoch_s}"
    return f"\\{body}*{_checksum(body)}\\"




def position_payload(spec: VesselSpec, ts_ms: int, state: State, lat: float, lon: float, *,
                     sog_available: bool = True) -> dict[str, Any]:
    """The fields of a type 1/3 (class A) or 18 (class B) report (SOG 102.3 = not available if told so)."""
    second = (ts_ms // 1000) % 60
    sog = round(min(102.2, max(0.0, state.sog_kn)), 1) if sog_available else SOG_NOT_AVAILABLE_KN
    cog = round(state.cog_deg % 360.0, 1)
    common: dict[str, Any] = {
        "mmsi": spec.mmsi, "lat": round(lat, 6), "lon": round(lon, 6), "speed": sog, "course": cog,
        "heading": round(state.cog_deg) % 360, "second": second, "accuracy": 1,
    }
    if spec.ais_class == "B":
        return {"type": 18, **common, "cs": 1, "band": 1, "msg22": 1}
    msg_type = 3 if state.nav_status in (1, 5) else 1  # anchored/moored ships often use type 3 (RATDMA)
    return {"type": msg_type, "msg_type": msg_type, **common, "status": state.nav_status}


def _dims(spec: VesselSpec) -> dict[str, int]:
    if spec.length_m is None:
        return {}
    bow = round(spec.length_m * 0.6)
    beam = round(spec.beam_m if spec.beam_m is not None else max(3.0, spec.length_m / 6))
    return {"to_bow": bow, "to_stern": round(spec.length_m) - bow, "to_port": beam // 2,
            "to_starboard": beam - beam // 2}


def static_payloads(spec: VesselSpec) -> list[dict[str, Any]]:
    """Type 5 for class A; type 24 parts A and B for class B."""
    if spec.ais_class == "B":
        part_a = {"type": 24, "mmsi": spec.mmsi, "partno": 0, "shipname": spec.name or ""}
        part_b: dict[str, Any] = {"type": 24, "mmsi": spec.mmsi, "partno": 1, "ship_type": spec.ship_type or 0,
                                  "callsign": spec.call_sign or "", **_dims(spec)}
        return [part_a, part_b]
    return [{
        "type": 5, "mmsi": spec.mmsi, "ais_version": 2, "imo": spec.imo or 0, "callsign": spec.call_sign or "",
        "shipname": spec.name or "", "ship_type": spec.ship_type or 0, "destination": spec.destination or "",
        "draught": 0.0, "epfd": 1, **_dims(spec),
    }]


def tagged_lines(payload: dict[str, Any], source: str, epoch_s: int, seq_id: int, channel: str) -> list[str]:
    """Encode one message; every resulting sentence gets the tag block."""
    sentences = encode_dict(payload, talker_id="AI", sentence_type="VDM", radio_channel=channel,
                            seq_id=seq_id)
    tb = tag_block(source, epoch_s)
    return [tb + s for s in sentences]
