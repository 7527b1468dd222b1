"""Vendor the live map's front-end library and geography into ``services/api/static/vendor/`` (``make web``).

Inputs are the npm packages locked in ``web/package-lock.json`` (installed with ``npm ci``, never fetched at run
time by the page): Leaflet (BSD-2-Clause) and world-atlas (ISC; Natural Earth land, public domain).

Outputs (generated, git-ignored), each ``.geojson`` also gzip-compressed beside it (``.geojson.gz``):

* ``leaflet/leaflet.js``, ``leaflet/leaflet.css``, ``leaflet/images/*``, ``leaflet/LICENSE``;
* ``geo/land-50m.geojson``: Natural Earth 1:50m land for the whole world (the overview);
* ``geo/land-10m/{x}_{y}.geojson``: Natural Earth 1:10m land cut into 10° × 10° tiles (x = floor(lon / 10),
  y = floor(lat / 10)), each a FeatureCollection of the land polygons (``layer: land``, no coastline at the
  cut edges) and the coastlines (``layer: coast``) inside the tile; ``geo/land-10m/index.json`` lists them;
* ``NOTICE.txt`` (sources, versions, licences) and ``.stamp`` (hash of the inputs).

TopoJSON is decoded here (delta-encoded, quantised arcs), clipped to Web Mercator's latitude range and repaired
into valid geometry (``shapely.make_valid``); coordinates are snapped to a grid of 1e-3° (1:50m) or 1e-4° (1:10m)
(world-atlas quantised both to ~0.0036° × 0.0017° anyway). Idempotent: when the stamp matches the
inputs nothing is done (well under a second).
Run with the project's venv (shapely): ``.venv/bin/python web/build.py [--force]``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

WEB = Path(__file__).resolve().parent
REPO = WEB.parent
MODULES = WEB / "node_modules"
OUT = REPO / "services" / "api" / "static" / "vendor"
TILE_DEG = 10
MAX_LAT = 85.0511287798  # Web Mercator's limit
DECIMALS_50M = 3  # 1:50m is quantised to ~0.0036° x 0.0017°
DECIMALS_10M = 4
STAMP_VERSION = "5"


def _hash_inputs() -> str:
    h = hashlib.sha256(STAMP_VERSION.encode())
    for p in (WEB / "package-lock.json", WEB / "package.json", Path(__file__).resolve()):
        h.update(p.read_bytes())
    return h.hexdigest()


def _npm_ci() -> None:
    """``npm ci`` when node_modules does not match the lock file (checked by the lock file's hash)."""
    lock_hash = hashlib.sha256((WEB / "package-lock.json").read_bytes()).hexdigest()
    marker = MODULES / ".msa-lock-sha256"
    if marker.exists() and marker.read_text().strip() == lock_hash:
        return
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("make web: npm is not installed (Node.js + npm are needed to vendor the map's libraries)")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"], cwd=WEB,
                   check=True)
    marker.write_text(lock_hash + "\n")


# ---- TopoJSON → shapely ----------------------------------------------------------------------------------

def _decode_arcs(topo: dict[str, Any]) -> list[list[tuple[float, float]]]:
    tr = topo.get("transform")
    arcs: list[list[tuple[float, float]]] = []
    for arc in topo["arcs"]:
        if tr is None:
            arcs.append([(float(p[0]), float(p[1])) for p in arc])
            continue
        (sx, sy), (tx, ty) = tr["scale"], tr["translate"]
        x = y = 0
        pts = []
        for p in arc:
            x += p[0]
            y += p[1]
            pts.append((x * sx + tx, y * sy + ty))
        arcs.append(pts)
    return arcs


def _ring(arcs: list[list[tuple[float, float]]], refs: list[int]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for i in refs:
        a = arcs[i] if i >= 0 else arcs[~i][::-1]
        out.extend(a if not out else a[1:])
    return out


def _land(path: Path, decimals: int) -> Any:
    """The ``land`` object of a world-atlas TopoJSON file as one valid shapely geometry (lat clipped)."""
    import shapely
    from shapely.geometry import Polygon

    topo = json.loads(path.read_text(encoding="utf-8"))
    arcs = _decode_arcs(topo)
    polys: list[Any] = []
    obj = topo["objects"]["land"]
    for geom in obj.get("geometries", [obj]):
        groups = geom["arcs"] if geom["type"] == "MultiPolygon" else [geom["arcs"]] if geom["type"] == "Polygon" else []
        for rings in groups:
            shell, *holes = [_ring(arcs, r) for r in rings]
            if len(shell) >= 4:
                polys.append(Polygon(shell, [h for h in holes if len(h) >= 4]))
    # the land object is one merged topology (disjoint polygons): repair each, no union needed
    out: list[Any] = []
    for p in polys:
        g = p if p.is_valid else shapely.make_valid(p)
        g = shapely.clip_by_rect(g, -180, -MAX_LAT, 180, MAX_LAT)
        if not g.is_valid:
            g = shapely.make_valid(g)
        out.extend(shapely.set_precision(q, 10.0 ** -decimals) for q in _polygonal(g).geoms if not q.is_empty)
    # repaired parts may still overlap their neighbours a little: one union on the 1e-4° grid makes the whole valid
    return _polygonal(shapely.union_all([q for q in out if not q.is_empty], grid_size=10.0 ** -decimals))


def _polygonal(g: Any) -> Any:
    """Keep only the (multi)polygon part of a geometry (make_valid / intersection may add lines and points)."""
    from shapely.geometry import GeometryCollection, MultiPolygon, Polygon

    if isinstance(g, Polygon):
        return MultiPolygon([g])
    if isinstance(g, MultiPolygon):
        return g
    if isinstance(g, GeometryCollection):
        parts: list[Any] = []
        for p in g.geoms:
            q = _polygonal(p)
            parts.extend(q.geoms)
        return MultiPolygon(parts)
    return MultiPolygon()


def _lines(g: Any) -> list[Any]:
    from shapely.geometry import GeometryCollection, LinearRing, LineString, MultiLineString

    if isinstance(g, LineString | LinearRing):
        return [LineString(g.coords)]
    if isinstance(g, MultiLineString | GeometryCollection):
        out: list[Any] = []
        for p in g.geoms:
            out.extend(_lines(p))
        return out
    return []


def _rounded(geom: Any, decimals: int) -> dict[str, Any]:
    """GeoJSON of a shapely geometry (already on its grid), its coordinates' float noise rounded away."""
    from shapely.geometry import mapping

    gj = mapping(geom)

    def rnd(c: Any) -> Any:
        if isinstance(c, tuple | list) and c and isinstance(c[0], int | float):
            return [round(c[0], decimals), round(c[1], decimals)]
        return [rnd(x) for x in c]

    return {"type": gj["type"], "coordinates": rnd(gj["coordinates"])}


def _write_json(path: Path, obj: Any) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(obj, separators=(",", ":")).encode()
    path.write_bytes(data)
    with path.with_name(path.name + ".gz").open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0,
                                                                          compresslevel=9) as gz:
        gz.write(data)
    return len(data)


def _tiles(land: Any, out: Path) -> list[str]:
    import shapely
    from shapely.geometry import MultiPolygon, box

    parts = list(land.geoms)
    tree = shapely.STRtree(parts)
    names: list[str] = []
    for ty in range(math.floor(-MAX_LAT / TILE_DEG), math.ceil(MAX_LAT / TILE_DEG)):
        for tx in range(-180 // TILE_DEG, 180 // TILE_DEG):
            idx = tree.query(box(tx * TILE_DEG, ty * TILE_DEG, (tx + 1) * TILE_DEG, (ty + 1) * TILE_DEG),
                             predicate="intersects")
            if len(idx) == 0:
                continue
            rect = (tx * TILE_DEG, ty * TILE_DEG, (tx + 1) * TILE_DEG, (ty + 1) * TILE_DEG)
            polys: list[Any] = []
            coast: list[Any] = []
            for i in idx:
                c = shapely.clip_by_rect(parts[i], *rect)
                if not c.is_empty:
                    polys.extend(_polygonal(c if c.is_valid else shapely.make_valid(c)).geoms)
                coast.extend(x for x in _lines(shapely.clip_by_rect(parts[i].boundary, *rect)) if x.length > 0)
            fill = MultiPolygon([p for p in polys if not p.is_empty])
            if fill.is_empty and not coast:
                continue
            feats = []
            if not fill.is_empty:
                feats.append({"type": "Feature", "properties": {"layer": "land"},
                              "geometry": _rounded(fill, DECIMALS_10M)})
            if coast:
                feats.append({"type": "Feature", "properties": {"layer": "coast"},
                              "geometry": _rounded(shapely.geometry.MultiLineString(coast), DECIMALS_10M)})
            name = f"{tx}_{ty}"
            _write_json(out / f"{name}.geojson", {"type": "FeatureCollection", "features": feats})
            names.append(name)
    return names


def _version(pkg: str) -> str:
    return str(json.loads((MODULES / pkg / "package.json").read_text())["version"])


def build(force: bool = False) -> None:
    t0 = time.monotonic()
    want = _hash_inputs()
    stamp = OUT / ".stamp"
    if not force and stamp.exists() and stamp.read_text().strip() == want:
        print(f"make web: {OUT.relative_to(REPO)} is up to date")
        return
    _npm_ci()
    tmp = OUT.with_name("vendor.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "leaflet").mkdir(parents=True)
    dist = MODULES / "leaflet" / "dist"
    for name in ("leaflet.js", "leaflet.css"):
        shutil.copy2(dist / name, tmp / "leaflet" / name)
    shutil.copytree(dist / "images", tmp / "leaflet" / "images")
    shutil.copy2(MODULES / "leaflet" / "LICENSE", tmp / "leaflet" / "LICENSE")
    atlas = MODULES / "world-atlas"
    land50 = _land(atlas / "land-50m.json", DECIMALS_50M)
    size50 = _write_json(tmp / "geo" / "land-50m.geojson",
                         {"type": "FeatureCollection", "features": [{
                             "type": "Feature", "properties": {"layer": "land"},
                             "geometry": _rounded(land50, DECIMALS_50M)}]})
    land10 = _land(atlas / "land-10m.json", DECIMALS_10M)
    names = _tiles(land10, tmp / "geo" / "land-10m")
    _write_json(tmp / "geo" / "land-10m" / "index.json", {"tile_deg": TILE_DEG, "tiles": sorted(names)})
    shutil.copy2(atlas / "LICENSE", tmp / "geo" / "LICENSE-world-atlas")
    (tmp / "NOTICE.txt").write_text(
        "Generated by web/build.py (make web); do not edit. Sources, locked in web/package-lock.json:\n"
        f"- leaflet {_version('leaflet')} (BSD-2-Clause, see leaflet/LICENSE): leaflet/\n"
        f"- world-atlas {_version('world-atlas')} (ISC, see geo/LICENSE-world-atlas): TopoJSON of Natural Earth\n"
        "  4.1.0 land 1:50m and 1:10m; Natural Earth data are in the public domain.\n", encoding="utf-8")
    (tmp / ".stamp").write_text(want + "\n")
    shutil.rmtree(OUT, ignore_errors=True)
    tmp.rename(OUT)
    print(f"make web: vendored leaflet {_version('leaflet')}, land 1:50m ({size50 // 1024} kB) and "
          f"{len(names)} tiles of land 1:10m into {OUT.relative_to(REPO)} in {time.monotonic() - t0:.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--force", action="store_true", help="rebuild even when up to date")
    build(ap.parse_args().force)


if __name__ == "__main__":
    main()
