"""From an actor to the NMEA lines the receivers deliver, in arrival order.

Each actor transmits at the ITU-R M.1371 rate for its class, speed and status (with ±5 % slot dither),
or at its fixed ``report_interval_s`` (reports at track start + k·interval, ±1 s, so that two transponders
sharing an MMSI keep alternating), except while its AIS is switched off. Positions carry slowly varying
GPS noise (a few metres); a glitch displaces one report. Static data is sent every 6 min. Every
transmission goes through the reception model: zero, one or two copies (two shore stations), or a late
satellite copy offshore (class B less often than class A).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from pyais import encode_dict

from services.simulate.fastencode import encode_position
from services.simulate.latlon_geodesy import destination
from services.simulate.model import Actor
from services.simulate.nmea_encode import position_payload, static_payloads, tag_block
from services.simulate.rates import STATIC_INTERVAL_S, interval_s
from services.simulate.reception import ReceptionModel

__all__ = ["Delivery", "actor_rng", "deliveries"]

_GPS_SIGMA_M = 3.0
_GPS_TAU_S = 60.0


@dataclass(frozen=True, slots=True)
class Delivery:
    arrival_ms: int
    source: str
    order: int  # tie-breaker: stable order within an actor
    mmsi: int
    lines: tuple[str, ...]


def actor_rng(seed: int, key: str, purpose: str) -> random.Random:
    return random.Random(f"{seed}|{key}|{purpose}")


def _emit(out: list[Delivery], payload: dict[str, Any], channel: str, seq_id: int | None, ts_ms: int, lat: float,
          lon: float, reception: ReceptionModel, rng: random.Random, mmsi: int, ais_class: str) -> None:
    receipts = reception.receive(ts_ms, lat, lon, rng, ais_class)
    if not receipts:
        return
    if payload["type"] in (1, 3, 18):
        sentences = encode_position(payload, channel)
    else:
        sentences = encode_dict(payload, talker_id="AI", sentence_type="VDM", radio_channel=channel, seq_id=seq_id)
    for receipt in receipts:
        tb = tag_block(receipt.source, receipt.rx_ms // 1000)
        out.append(Delivery(receipt.arrival_ms, receipt.source, len(out), mmsi, tuple(tb + s for s in sentences)))


def deliveries(actor: Actor, seed: int, start_ms: int, end_ms: int, reception: ReceptionModel) -> list[Delivery]:
    """Every line delivery of this actor within [start_ms, end_ms)."""
    if not actor.transmits:
        return []
    rng = actor_rng(seed, actor.key, "tx")
    out: list[Delivery] = []
    spec = actor.spec
    t = float(max(start_ms, actor.track.start_ms) + rng.randint(0, 9_999))
    fixed_ms = None if actor.report_interval_s is None else actor.report_interval_s * 1000.0
    k = 0
    if fixed_ms is not None:
        k = max(0, math.ceil((start_ms - actor.track.start_ms) / fixed_ms))
        t = actor.track.start_ms + k * fixed_ms + rng.uniform(0.0, 1000.0)
    stop = min(end_ms, actor.track.end_ms)
    noise_n = noise_e = 0.0
    prev_t = t
    pending = sorted(actor.glitches, key=lambda g: g.at_ms)
    channel_flip = False
    while t < stop:
        ts = int(t)
        state = actor.track.state_at(ts)
        if state is None:
            break
        a = math.exp(-(t - prev_t) / 1000.0 / _GPS_TAU_S)
        s = _GPS_SIGMA_M * math.sqrt(1 - a * a)
        noise_n, noise_e, prev_t = a * noise_n + rng.gauss(0, s), a * noise_e + rng.gauss(0, s), t
        if not actor.silent_at(ts):
            lat, lon = destination(state.lat, state.lon, 0.0, noise_n)
            lat, lon = destination(lat, lon, 90.0, noise_e)
            if pending and ts >= pending[0].at_ms:
                g = pending.pop(0)
                lat, lon = destination(lat, lon, g.bearing_deg, g.dist_m)
            channel_flip = not channel_flip
            payload = position_payload(spec, ts, state, lat, lon, sog_available=actor.reports_sog)
            _emit(out, payload, "B" if channel_flip else "A", None, ts, lat, lon, reception, rng, spec.mmsi,
                  spec.ais_class)
        if fixed_ms is not None:
            k += 1
            t = actor.track.start_ms + k * fixed_ms + rng.uniform(-1000.0, 1000.0)
        else:
            t += interval_s(spec.ais_class, state.sog_kn, state.nav_status) * 1000.0 * rng.uniform(0.95, 1.05)
    if actor.sends_static:
        _statics(out, actor, seed, start_ms, stop, reception)
    return out


def _statics(out: list[Delivery], actor: Actor, seed: int, start_ms: int, stop_ms: int,
             reception: ReceptionModel) -> None:
    rng = actor_rng(seed, actor.key, "static")
    payloads = static_payloads(actor.spec)
    t = max(start_ms, actor.track.start_ms) + rng.randint(0, int(STATIC_INTERVAL_S * 1000))
    seq = rng.randint(0, 9)
    while t < stop_ms:
        state = actor.track.state_at(t)
        if state is not None and not actor.silent_at(t):
            for payload in payloads:
                seq = (seq + 1) % 10
                _emit(out, payload, "A", seq, t, state.lat, state.lon, reception, rng, actor.spec.mmsi,
                      actor.spec.ais_class)
        t += int(STATIC_INTERVAL_S * 1000 * rng.uniform(0.98, 1.02))
