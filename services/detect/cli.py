"""``msa detect``: the detection engine offline on recordings and satellite files."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

__all__ = ["register"]

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("detect", help="run the detectors offline on recordings; write the final alerts",
                       description="Read recordings (msa decode JSON lines, or NMEA/CSV decoded through "
                                   "msa decode) and satellite GeoJSON, merge them in event time and write the "
                                   "final state of each alert as JSON lines (deterministic).")
    p.add_argument("inputs", nargs="+", type=Path, help="recordings (JSON lines, NMEA, CSV, .gz, GeoJSON)")
    p.add_argument("--sat", nargs="*", type=Path, default=[], help="satellite detection GeoJSON file(s)")
    p.add_argument("--zones", type=Path, default=None, help="GeoJSON zones replacing the bundled ones")
    p.add_argument("--params", type=Path, default=None, help="JSON parameter overrides (default / zones)")
    p.add_argument("--out", required=True, help="output JSON lines file, '-' for stdout")
    p.add_argument("--grace-s", type=float, default=60.0, help="watermark grace period (default 60 s)")
    p.add_argument("--infer-anchorages", type=int, default=0, metavar="N",
                   help="also exclude cells where ≥ N distinct vessels sat still (0 = off)")
    p.add_argument("--stats", action="store_true", help="print engine counters as JSON on stderr")
    p.set_defaults(func=_detect)
    r = sub.add_parser("review", help="what the detectors make of real recordings, explained (JSON)",
                       description="For each recording: every alert and every silence the dark-period rule "
                                   "looked at, with the decision taken and why — for an analyst to judge.")
    r.add_argument("inputs", nargs="+", type=Path, help="recordings (anything msa detect reads)")
    r.add_argument("--zones", type=Path, default=None, help="zones (default: one covering the world)")
    r.add_argument("--min-silence-s", type=float, default=3600.0, help="silences listed from this long")
    r.add_argument("--out", default="-", help="output JSON file, '-' for stdout")
    r.set_defaults(func=_review)


def _review(args: argparse.Namespace) -> int:
    from geo.zones import ZoneFileError
    from services.detect.reading import InputError
    from services.detect.review import WORLD_ZONES, dumps, review_files

    try:
        text = dumps(review_files(args.inputs, args.zones or WORLD_ZONES, args.min_silence_s))
    except (ZoneFileError, InputError) as exc:
        log.error("%s", exc)
        return 2
    if args.out == "-":
        sys.stdout.write(text)
    else:
        Path(args.out).write_text(text, encoding="utf-8")
    return 0


def _detect(args: argparse.Namespace) -> int:
    from geo.ports import PortFileError
    from geo.zones import ZoneFileError
    from services.detect.offline import run_offline, write_alerts
    from services.detect.params import ParamsError
    from services.detect.reading import InputError

    try:
        result = run_offline(args.inputs, args.sat, args.zones, args.params, int(args.grace_s * 1000),
                             args.infer_anchorages)
    except (ZoneFileError, PortFileError, ParamsError, InputError) as exc:
        log.error("%s", exc)
        return 2
    write_alerts(result.alerts, args.out)
    by_kind: dict[str, int] = {}
    for a in result.alerts:
        by_kind[str(a.kind)] = by_kind.get(str(a.kind), 0) + 1
    log.info("%d alerts %s from %d records (%d versions)", len(result.alerts), by_kind,
             result.stats.get("records", 0), result.versions)
    if args.stats:
        sys.stderr.write(json.dumps(result.stats, sort_keys=True) + "\n")
    return 0
