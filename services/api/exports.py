"""GeoPackage and GeoParquet exports of alerts and their evidence: the database is read in chunks from a
server-side cursor and each chunk is turned into a GeoDataFrame and appended to a temporary file in a worker
thread, so neither the rows nor the frames of a whole export are ever held in memory; the finished file is
then sent (``FileResponse``) and deleted.

* GeoPackage (``application/geopackage+sqlite3``): one file, layers ``alerts``, ``tracks``, ``detections``.
* GeoParquet 1.1 (``application/vnd.apache.parquet``): one file per layer (``?layer=``), as GeoParquet holds one
  table per file and every reader (QGIS, GDAL, DuckDB, geopandas) opens a ``.parquet`` directly.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import geopandas as gpd
from anyio import to_thread
from sqlalchemy.ext.asyncio import AsyncEngine

from services.api import export_queries as eq
from services.api.export_layers import Layer, alerts_frame, detections_frame, tracks_frame
from services.api.export_writers import GeoPackageWriter, GeoParquetWriter, LayerWriter
from services.api.filters import AlertFilter, SortKey
from services.api.principal import Principal
from services.api.render import view_for
from services.api.rows import alert_row_to_dict

__all__ = ["CHUNK_ROWS", "ExportFormat", "ExportRequest", "build_export", "discard_export"]

# rows per chunk: an alert row carries its evidence (kilobytes), a track or detection row ~100 bytes; each chunk
# costs GDAL an open and a transaction, so the narrow layers go in bigger chunks
CHUNK_ROWS: dict[Layer, int] = {Layer.ALERTS: 5_000, Layer.TRACKS: 25_000, Layer.DETECTIONS: 25_000}


class ExportFormat(StrEnum):
    GPKG = "gpkg"
    PARQUET = "parquet"

    @property
    def media_type(self) -> str:
        return {"gpkg": "application/geopackage+sqlite3", "parquet": "application/vnd.apache.parquet"}[self.value]


@dataclass(frozen=True, slots=True)
class ExportRequest:
    """What to export: the list's filter, sort and limit, for this caller, in this format and these layers."""

    caller: Principal
    flt: AlertFilter
    sort: SortKey
    limit: int
    fmt: ExportFormat
    layers: tuple[Layer, ...]

    def file_name(self) -> str:
        if self.fmt is ExportFormat.GPKG:
            return "alerts.gpkg"
        return f"{self.layers[0]}.parquet"


def _builder(req: ExportRequest, layer: Layer) -> tuple[Any, Callable[[Sequence[Any]], gpd.GeoDataFrame]]:
    args = (req.caller, req.flt, req.sort, req.limit)
    if layer is Layer.ALERTS:
        officer = req.caller.officer_view

        def alerts_chunk(rows: Sequence[Any]) -> gpd.GeoDataFrame:
            return alerts_frame([view_for(req.caller, {**alert_row_to_dict(r), "evidence_json": r.evidence_json})
                                 for r in rows], officer)

        return eq.alert_rows(*args), alerts_chunk
    if layer is Layer.TRACKS:
        return eq.track_rows(*args), tracks_frame
    return eq.detection_rows(*args), detections_frame


def _write_chunk(writer: LayerWriter, layer: Layer, build: Callable[[Sequence[Any]], gpd.GeoDataFrame],
                 rows: Sequence[Any]) -> None:
    writer.write(str(layer), build(rows))


def _writer(fmt: ExportFormat, path: Path) -> LayerWriter:
    return GeoPackageWriter(path) if fmt is ExportFormat.GPKG else GeoParquetWriter(path)


async def build_export(engine: AsyncEngine, req: ExportRequest, chunk_rows: dict[Layer, int] | None = None
                       ) -> Path:
    """Write the export to a new temporary directory; returns the file. ``discard_export`` removes it."""
    if req.fmt is ExportFormat.PARQUET and len(req.layers) != 1:
        raise ValueError("a GeoParquet export holds exactly one layer")
    path = Path(tempfile.mkdtemp(prefix="msa-export-")) / req.file_name()
    writer = _writer(req.fmt, path)
    try:
        async with engine.connect() as conn:
            for layer in req.layers:
                query, build = _builder(req, layer)
                wrote = False
                async for rows in eq.stream_rows(conn, query, (chunk_rows or CHUNK_ROWS)[layer]):
                    await to_thread.run_sync(_write_chunk, writer, layer, build, rows)
                    wrote = True
                if not wrote:  # an empty layer still exists, with its columns
                    await to_thread.run_sync(_write_chunk, writer, layer, build, [])
        await to_thread.run_sync(writer.close)
    except BaseException:
        discard_export(path)
        raise
    return path


def discard_export(path: Path) -> None:
    shutil.rmtree(path.parent, ignore_errors=True)
