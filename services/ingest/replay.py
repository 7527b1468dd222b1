"""Replay a recording onto Kafka paced by event time (N× real time) or as fast as possible.

The pacing rule is pure (:class:`Pacer`: event time and wall time in, seconds to wait out); the loop
around it reads files through the same decoder and publisher as the live workers, so a replay runs the
production path. ``--from``/``--to`` keep records whose event time is inside [from, to). Several files
(AIS and satellite detections, several receivers' logs) are interleaved by event time (``merged_chunks``:
each file keeps its own order), so that a scene is published when its time comes, not after the AIS.

Satellite products reach an operations centre 30 min to hours after acquisition: ``sat_delay_ms`` publishes
every satellite record that long (in event time) after its acquisition, and ``sat_delivered`` at the
``delivered_at`` time its GeoJSON feature gives (``msa simulate`` writes one per detection and scene) — the
records keep their acquisition time, so the detector receives them late, as it would live.

``rebase_now`` moves event times to now, and ``loop`` plays the recording again and again, each pass after
the previous one (:mod:`services.ingest.rebase`: the rules, pure). Records are paced by their publication
time: their event time, or a satellite product's ``delivered_at``.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from msa.ais.decoder import Decoder, Output
from msa.domain import SatelliteDetection, SceneFootprint, format_ts, parse_ts
from msa.formats.recordings import count_lines, read_records
from services.ingest import rebase
from services.ingest.publisher import Publisher
from services.ingest.shutdown import Stop

__all__ = ["Delivery", "Pacer", "Progress", "ReplayOptions", "delivered_at", "in_window", "merged_chunks", "replay"]

Item = Output
Delivery = Callable[[Item], int | None]  # when an item is published (event time), if not at its own time


@dataclass
class Pacer:
    """Maps event time to wall time: the first event is 'now', later ones ``Δevent / speed`` after it.
    ``speed=None`` means as fast as possible. Uses the newest event time seen, so out-of-order records
    never make it wait twice."""

    speed: float | None
    _anchor: tuple[int, float] | None = None
    _newest_ms: int = 0

    def delay_s(self, ts_ms: int, wall_s: float) -> float:
        if self.speed is None:
            return 0.0
        if self._anchor is None:
            self._anchor = (ts_ms, wall_s)
            self._newest_ms = ts_ms
            return 0.0
        if ts_ms <= self._newest_ms:
            return 0.0
        self._newest_ms = ts_ms
        target = self._anchor[1] + (ts_ms - self._anchor[0]) / 1000.0 / self.speed
        return max(0.0, target - wall_s)


@dataclass
class Progress:
    """One progress line on stderr: messages, rate, simulated clock, ETA (from lines left)."""

    total_lines: int
    stream: TextIO = sys.stderr
    clock: Callable[[], float] = time.monotonic
    lines: int = 0
    messages: int = 0
    sim_ms: int | None = None
    _start: float = field(default=0.0)
    _last: float = field(default=0.0)

    def __post_init__(self) -> None:
        self._start = self._last = self.clock()

    def update(self, lines: int, messages: int, sim_ms: int | None, force: bool = False) -> None:
        self.lines += lines
        self.messages += messages
        if sim_ms is not None:
            self.sim_ms = sim_ms
        now = self.clock()
        if force or now - self._last >= 1.0:
            self._last = now
            self.stream.write("\r" + self.render(now) + ("\n" if force else ""))
            self.stream.flush()

    def render(self, now: float) -> str:
        elapsed = max(now - self._start, 1e-9)
        rate = self.messages / elapsed
        left = max(self.total_lines - self.lines, 0)
        eta = left / (self.lines / elapsed) if self.lines else 0.0
        pct = 100.0 * self.lines / self.total_lines if self.total_lines else 100.0
        sim = format_ts(self.sim_ms) if self.sim_ms is not None else "-"
        return (f"[{pct:5.1f}%] {self.messages:,} msgs  {rate:,.0f} msg/s  sim {sim}  "
                f"ETA {int(eta) // 60:02d}:{int(eta) % 60:02d}")


def _timed(chunks: Iterator[tuple[int, list[Item]]], lines: list[int], i: int,
           delivery: Delivery | None) -> Iterator[tuple[int, Item]]:
    """(publication time, item) of one file in its order; an item without a time takes its predecessor's. A
    satellite file with ``delivery`` times is read whole and ordered by them (stable)."""
    if delivery is not None:
        first = next(chunks, None)
        if first is None:
            return
        chunks = itertools.chain([first], chunks)
        if first[1] and all(isinstance(it, SatelliteDetection | SceneFootprint) for it in first[1]):
            keyed: list[tuple[int, int, Item]] = []
            for n, items in chunks:
                lines[i] += n
                for item in items:
                    at = delivery(item)
                    keyed.append((at if at is not None else item.ts_ms or 0, len(keyed), item))
            keyed.sort(key=lambda x: (x[0], x[1]))
            for at, _, item in keyed:
                yield at, item
            return
    last = -(2**62)
    for n, items in chunks:
        lines[i] += n
        for item in items:
            ts = item.ts_ms
            if ts is not None:
                last = ts
            yield last, item


def merged_chunks(files: list[Iterator[tuple[int, list[Item]]]], chunk_items: int,
                  delivery: Delivery | None = None) -> Iterator[tuple[int, list[Item]]]:
    """The files' ``(lines, items)`` chunks interleaved by event time — or, for the items ``delivery`` gives a
    time, by that (late satellite products) —: the file whose next item is earliest goes first (ties: the
    earlier file), each file keeping its own order. One file without delivery times is passed through."""
    if len(files) == 1 and delivery is None:
        yield from files[0]
        return
    lines = [0] * len(files)
    merged = heapq.merge(*(_timed(f, lines, i, delivery) for i, f in enumerate(files)), key=lambda x: x[0])
    done = 0
    chunk: list[Item] = []
    for _, item in merged:
        chunk.append(item)
        if len(chunk) >= chunk_items:
            total = sum(lines)
            yield total - done, chunk
            done, chunk = total, []
    yield sum(lines) - done, chunk


def in_window(item: Item, from_ms: int | None, to_ms: int | None) -> bool:
    ts = item.ts_ms
    if ts is None:
        return True
    return (from_ms is None or ts >= from_ms) and (to_ms is None or ts < to_ms)


@dataclass(frozen=True, slots=True)
class ReplayOptions:
    speed: float | None = None  # None = --max
    from_ms: int | None = None
    to_ms: int | None = None
    fmt: str = "auto"
    loop: bool = False
    progress: bool = True
    sat_delay_ms: int = 0  # satellite records published this long after their acquisition
    sat_delivered: bool = False  # … or at their GeoJSON ``delivered_at``
    rebase_now: bool = False  # event times from now (services.ingest.rebase)
    seam_gap_ms: int = rebase.SEAM_GAP_MS  # --loop: event time between a pass's newest record and the next's oldest


def delivered_at(paths: list[Path]) -> dict[str, int]:
    """``delivered_at`` (ms) of the detections (by ``detection_id``) and scenes (``scene:<id>``) of the
    GeoJSON files among ``paths``; features without one (or unreadable files) are simply absent."""
    out: dict[str, int] = {}
    for path in paths:
        if path.suffix.lower() not in (".geojson", ".json"):
            continue
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            for f in doc.get("features") or []:
                props = f.get("properties") or {}
                at = props.get("delivered_at")
                if at is None:
                    continue
                key = f"scene:{props['scene_id']}" if props.get("kind") == "scene" else str(props["detection_id"])
                out[key] = parse_ts(str(at))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
    return out


def _delivery(opts: ReplayOptions, paths: list[Path]) -> Delivery | None:
    if not opts.sat_delay_ms and not opts.sat_delivered:
        return None
    at = delivered_at(paths) if opts.sat_delivered else {}
    delay = opts.sat_delay_ms

    def when(item: Item) -> int | None:
        if isinstance(item, SatelliteDetection):
            got = at.get(item.detection_id)
        elif isinstance(item, SceneFootprint):
            got = at.get(f"scene:{item.scene_id}")
        else:
            return None
        if got is not None:
            return got
        return item.ts_ms + delay if delay else None

    return when


async def replay(paths: list[Path], publisher: Publisher, opts: ReplayOptions, *,
                 wall: Callable[[], float] = time.monotonic, now_ms: Callable[[], int] = lambda: 0,
                 sleep: Callable[[float], object] = asyncio.sleep, stop: Stop | None = None,
                 counters: Counter[str] | None = None, newest_seen_ms: int | None = None,
                 on_rebase: Callable[[int, int], object] | None = None) -> dict[str, int]:
    """Publish the recordings; returns counts. ``loop`` repeats forever, each pass after the previous one.

    ``rebase_now``: event times start at ``now_ms()`` — or after ``newest_seen_ms`` (the newest event time
    already on the topic) plus the seam gap, when later — see :mod:`services.ingest.rebase`; ``on_rebase``
    is told (first event time of the recording, its rebased time) at each pass.

    When ``stop`` is set, reading ends at the current chunk: what was already decoded is published at once
    (no more pacing), held multi-part fragments become ``orphan_fragment`` rejects, the publisher is
    flushed. ``counters`` receives the decoders' counters (lines, sentences, duplicates…)."""
    totals: dict[str, int] = {"published": 0, "filtered": 0}
    offset_ms: int | None = None if opts.rebase_now else 0  # None: set by the first timed record
    start = rebase.start_ms(now_ms(), newest_seen_ms, opts.seam_gap_ms) if opts.rebase_now else 0
    total_lines = sum(count_lines(p) for p in paths) if opts.progress else 0
    when = _delivery(opts, paths)

    def stopped() -> bool:
        return stop is not None and stop.is_set()

    async def pause(delay: float) -> None:
        if stop is not None and sleep is asyncio.sleep:
            await stop.sleep(delay)
        else:
            await _await(sleep(delay))

    plain = (opts.speed is None and opts.from_ms is None and opts.to_ms is None and not opts.loop
             and not opts.rebase_now)
    while True:
        pacer = Pacer(opts.speed)
        progress = Progress(total_lines) if opts.progress else None
        first_ms: int | None = None
        last_ms: int | None = None
        announced = False
        # records are shifted one by one: the fast path's ready-made JSON only on an unshifted first pass
        decoders = [Decoder(path.name, encoded=offset_ms == 0) for path in paths]
        chunk_lines = 2000 if opts.speed is None else 100
        files = [read_records(path, opts.fmt, decoder, now_ms(), chunk_lines=chunk_lines)
                 for path, decoder in zip(paths, decoders, strict=True)]
        for n_lines, items in merged_chunks(files, chunk_lines, when):
            if plain:  # --max, no window, no loop, no rebase: nothing to filter, pace or shift
                await publisher.publish(items)
                totals["published"] += len(items)
                if progress is not None:
                    last_ms = max((it.ts_ms for it in items[-50:] if it.ts_ms is not None), default=last_ms)
                    progress.update(n_lines, len(items), last_ms)
                if stopped():
                    break
                continue
            batch: list[Item] = []
            for item in items:
                if not in_window(item, opts.from_ms, opts.to_ms):
                    totals["filtered"] += 1
                    continue
                ts = rebase.data_time_ms(item)
                if ts is not None:
                    if offset_ms is None:
                        offset_ms = start - ts
                    if not announced and on_rebase is not None:
                        on_rebase(ts, ts + offset_ms)
                    announced = True
                    first_ms = ts if first_ms is None else min(first_ms, ts)
                    last_ms = ts if last_ms is None else max(last_ms, ts)
                    at = when(item) if when is not None else None  # publication time: delivered_at, else ts
                    item = rebase.rebase_item(item, offset_ms)
                    pace_ms = (ts if at is None else at) + offset_ms
                    delay = 0.0 if opts.speed is None or stopped() else pacer.delay_s(pace_ms, wall())
                    if delay > 0.002:
                        await publisher.publish(batch)
                        await publisher.submit_open()
                        totals["published"] += len(batch)
                        if progress is not None:
                            progress.update(0, len(batch), ts + offset_ms)
                        batch = []
                        await pause(delay)
                batch.append(item)
            await publisher.publish(batch)
            if opts.speed is not None:
                await publisher.submit_open()
            totals["published"] += len(batch)
            if progress is not None:
                progress.update(n_lines, len(batch), None if last_ms is None else last_ms + (offset_ms or 0))
            if stopped():
                break
        for decoder in decoders:
            tail: list[Item] = []
            decoder.flush(tail)  # no-op after a complete file; after a stop, held fragments → rejects
            await publisher.publish(tail)
            totals["published"] += len(tail)
            if counters is not None:
                counters.update(decoder.counters)
        await publisher.flush()
        if progress is not None:
            progress.update(0, 0, None, force=True)
        if stopped() or not opts.loop or first_ms is None or last_ms is None or offset_ms is None:
            return totals
        offset_ms = rebase.next_offset_ms(offset_ms, first_ms, last_ms, opts.seam_gap_ms)


async def _await(x: object) -> None:
    if asyncio.iscoroutine(x) or isinstance(x, asyncio.Future):
        await x
