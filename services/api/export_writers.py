"""Writing layers chunk by chunk: one GeoPackage with several layers (pyogrio, through geopandas), or one
GeoParquet 1.1 file per layer (pyarrow). Blocking file I/O: call from a worker thread.

A layer's first chunk creates it (also when empty, so every layer exists), later chunks are appended: only one
chunk of rows is held in memory at a time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import geopandas as gpd
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
from pyproj import CRS

__all__ = ["GEOPARQUET_VERSION", "GeoPackageWriter", "GeoParquetWriter", "LayerWriter"]

GEOPARQUET_VERSION = "1.1.0"


class LayerWriter(Protocol):
    def write(self, layer: str, frame: gpd.GeoDataFrame) -> None: ...

    def close(self) -> None: ...


class GeoPackageWriter:
    """One ``.gpkg`` file; each layer a table of points (with its R-tree spatial index)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._started: set[str] = set()

    def write(self, layer: str, frame: gpd.GeoDataFrame) -> None:
        mode = "a" if layer in self._started else "w"  # "w" replaces that layer only, the others stay
        frame.to_file(self.path, layer=layer, driver="GPKG", engine="pyogrio", mode=mode, geometry_type="Point",
                      use_arrow=True)  # GDAL's Arrow path: ~20 % faster than feature by feature
        self._started.add(layer)

    def close(self) -> None:
        return None


class GeoParquetWriter:
    """One ``.parquet`` file of one layer: WKB points in column ``geometry``, the GeoParquet ``geo`` metadata
    (encoding, geometry types, CRS, bounding box of every chunk written) added to the footer at ``close``."""

    def __init__(self, path: Path, compression: str = "zstd") -> None:
        self.path = path
        self.compression = compression
        self._writer: pq.ParquetWriter | None = None
        self._layer: str | None = None
        self._crs: Any = None
        self._bbox: list[float] | None = None

    def write(self, layer: str, frame: gpd.GeoDataFrame) -> None:
        if self._layer not in (None, layer):
            raise ValueError(f"a GeoParquet file holds one layer: {self._layer}, not {layer}")
        self._layer = layer
        table = pa.table(frame.to_arrow(index=False, geometry_encoding="WKB"))
        # plain columns: the file-level ``geo`` metadata is the GeoParquet contract, not pandas/geoarrow's
        table = pa.Table.from_arrays(table.columns, schema=pa.schema([f.remove_metadata() for f in table.schema]))
        if self._writer is None:
            self._crs = frame.crs
            self._writer = pq.ParquetWriter(self.path, table.schema, compression=self.compression)
        self._writer.write_table(table)
        geoms = frame.geometry[frame.geometry.notna()]
        if len(geoms):
            b = [float(v) for v in geoms.total_bounds]
            if self._bbox is None:
                self._bbox = b
            else:
                self._bbox = [min(self._bbox[0], b[0]), min(self._bbox[1], b[1]), max(self._bbox[2], b[2]),
                              max(self._bbox[3], b[3])]

    def geo_metadata(self) -> dict[str, Any]:
        column: dict[str, Any] = {"encoding": "WKB", "geometry_types": ["Point"]}
        if self._crs is not None:
            column["crs"] = CRS.from_user_input(self._crs).to_json_dict()
        if self._bbox is not None:
            column["bbox"] = self._bbox
        return {"version": GEOPARQUET_VERSION, "primary_column": "geometry", "columns": {"geometry": column}}

    def close(self) -> None:
        if self._writer is None:
            raise ValueError("nothing written: a layer writes at least its (possibly empty) first chunk")
        self._writer.add_key_value_metadata({"geo": orjson.dumps(self.geo_metadata()).decode()})
        self._writer.close()
