"""Event times of a replay moved to now (``msa replay --rebase-now``) and past the previous pass (``--loop``).

Pure: times and records in, times and records out. :func:`services.ingest.replay.replay` calls it.

* **Now.** The recording's first timed record takes the start time (the wall clock when the replay starts);
  every other record keeps its distance to it. With ``--speed S`` the pacer publishes a record Δevent / S
  after the start, so from then on event time runs S× faster than the wall clock: after 10 min at 60× the
  replay publishes event times 10 h ahead of the wall clock (``--max``: everything at once).
* **Never behind what the detector has seen.** A detector's state is as of the newest event time it read;
  records older than that are late and raise nothing new. So the start is the later of now and the newest
  event time already on the positions topic plus the seam gap (:func:`start_ms`): a second ``make run``
  continues after the first one, even when the first ran ahead of the wall clock.
* **Loop passes continue.** Pass k+1 is shifted so that its oldest record comes ``gap_ms`` after pass k's
  newest (:func:`next_offset_ms`): every event time of a pass is strictly later than every one of the
  previous pass. The gap is event time only (the pacer restarts each pass: no wall time is spent on it).
  The vessels keep their MMSIs: each falls silent where the recording ends and is heard again where it
  starts. Default :data:`SEAM_GAP_MS` (6 h): nobody is heard during it (no dark period: the reception
  model counts a silence only where others were heard), a go-fast is never bridged across it (≤ 2 h), and
  the jump from a vessel's last position to its first is a plausible passage (< 80 kn over 6 h: no identity
  hop; 60 s made every vessel a "second transmitter" after a few passes). Measured on the demo, 5 passes,
  in docs/demo.md (8 h and 25 h were not clean: a dark period open at the end of a pass was retracted).
* **Satellite products.** Detections and scene footprints move with the AIS (acquisition time and the
  ``delivered_at`` publication time, :func:`shift_delivery`), and their ids get the pass offset as a suffix
  (``scene-1~r1733380200``) so that a detection of pass 2 is never taken for, or stored as, pass 1's.
* **Data times only.** A record whose time is its receipt time (``time_source = receipt``: no time in the
  line) is already "now" and is left as is, and so is a reject (its raw text says when it was heard).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from msa.ais.decoder import Output
from msa.ais.fastline import Encoded
from msa.contracts.codec import loads, record_from_dict
from msa.domain import Reject, SatelliteDetection, SceneFootprint, TimeSource

__all__ = ["SEAM_GAP_MS", "data_time_ms", "next_offset_ms", "pass_id", "rebase_item", "shift_delivery",
           "start_ms"]

SEAM_GAP_MS = 6 * 3600 * 1000

Item = Output
Delivery = Callable[[Item], int | None]

_RECEIPT = b'"time_source":"receipt"'


def start_ms(now_ms: int, newest_seen_ms: int | None, gap_ms: int = SEAM_GAP_MS) -> int:
    """Where the first record goes: now, unless the topic already holds later event times (then after them)."""
    if newest_seen_ms is None:
        return now_ms
    return max(now_ms, newest_seen_ms + gap_ms)


def next_offset_ms(offset_ms: int, first_ms: int, last_ms: int, gap_ms: int = SEAM_GAP_MS) -> int:
    """The next pass's offset: its oldest record (``first_ms`` unshifted) ``gap_ms`` after this pass's newest
    (``last_ms`` unshifted, shifted by ``offset_ms``)."""
    if gap_ms <= 0:
        raise ValueError("the seam gap must be positive: passes must be strictly later than the previous one")
    return offset_ms + (last_ms - first_ms) + gap_ms


def data_time_ms(item: Item) -> int | None:
    """The event time the data gave, or None (no time at all, the receipt time, a reject)."""
    if isinstance(item, Encoded):
        return None if _RECEIPT in item.value else item.ts_ms
    if isinstance(item, Reject):  # not data: not paced, not shifted (its raw text says when it was heard)
        return None
    if getattr(item, "time_source", None) is TimeSource.RECEIPT:
        return None
    return item.ts_ms


def pass_id(ident: str, offset_ms: int) -> str:
    """A satellite id made unique to a pass (``offset_ms`` 0: the recording's own)."""
    return ident if offset_ms == 0 else f"{ident}~r{offset_ms // 1000}"


def rebase_item(item: Item, offset_ms: int) -> Item:
    """``item`` with its data time moved by ``offset_ms`` (and satellite ids made unique to the pass)."""
    if offset_ms == 0 or data_time_ms(item) is None:
        return item
    if isinstance(item, Encoded):
        item = record_from_dict(loads(item.value))
    ts = item.ts_ms
    assert ts is not None  # data_time_ms said so
    if isinstance(item, SatelliteDetection):
        return replace(item, ts_ms=ts + offset_ms, detection_id=pass_id(item.detection_id, offset_ms),
                       scene_id=pass_id(item.scene_id, offset_ms))
    if isinstance(item, SceneFootprint):
        return replace(item, ts_ms=ts + offset_ms, scene_id=pass_id(item.scene_id, offset_ms))
    return replace(item, ts_ms=ts + offset_ms)


def shift_delivery(when: Delivery | None, offset_ms: int) -> Delivery | None:
    """Publication times (a satellite product's ``delivered_at``) moved with the data; read on the original
    item (its ids as in the file)."""
    if when is None:
        return None

    def shifted(item: Item) -> int | None:
        at = when(item)
        return None if at is None else at + offset_ms

    return shifted
