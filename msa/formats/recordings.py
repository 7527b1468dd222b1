"""Recordings on disk → records: format detection (NMEA, DMA CSV, NOAA CSV, GeoJSON) and chunked reading.

Used by ``msa decode`` (no Kafka), ``msa ingest file``, ``msa replay`` and ``msa detect``. Reading is
synchronous and pure apart from the file itself (plain or gzip by suffix); the receipt time for NMEA lines
without any timestamp is an argument.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from msa.ais.csv_formats import detect_format, read_csv
from msa.ais.decoder import Decoder, Output
from msa.formats.satellite import parse_geojson_bytes

__all__ = ["FORMATS", "count_lines", "detect_file_format", "iter_file_lines", "open_binary", "read_records"]

FORMATS = ("auto", "nmea", "dma-csv", "noaa-csv", "geojson")
Item = Output


def open_binary(path: Path) -> IO[bytes]:
    if path.suffix == ".gz":
        return gzip.GzipFile(path, "rb")  # type: ignore[return-value]
    return path.open("rb", buffering=1 << 20)


def iter_file_lines(path: Path) -> Iterator[bytes]:
    """All lines of a file (gzip by suffix), without line endings."""
    with open_binary(path) as fh:
        for line in fh:
            yield line.rstrip(b"\r\n")


def detect_file_format(path: Path) -> str:
    with open_binary(path) as fh:
        head = fh.read(4096)
    text = head.decode("utf-8", "replace").lstrip("\ufeff \r\n\t")
    if text.startswith("{"):
        return "geojson"
    fmt = detect_format(text.splitlines()[0] if text else "")
    return fmt or "nmea"


def count_lines(path: Path) -> int:
    n = 0
    with open_binary(path) as fh:
        while block := fh.read(1 << 20):
            n += block.count(b"\n")
    return n


def read_records(path: Path, fmt: str, decoder: Decoder, receipt_ms: int, *, chunk_lines: int = 2000,
                 ) -> Iterator[tuple[int, list[Item]]]:
    """Yield (lines consumed, records and rejects) chunks. NMEA goes through ``decoder`` (flushed at the end)."""
    if fmt == "auto":
        fmt = detect_file_format(path)
    source = decoder.source or path.name
    if fmt == "geojson":
        with open_binary(path) as fh:
            data = fh.read()
        records, rejects = parse_geojson_bytes(data, source)
        yield data.count(b"\n") + 1, [*records, *rejects]
        return
    if fmt in ("dma-csv", "noaa-csv"):
        with open_binary(path) as fh:
            text = io.TextIOWrapper(fh, encoding="utf-8", errors="replace", newline="")
            chunk: list[Item] = []
            n = 0
            for item in read_csv(text, fmt, source):
                chunk.append(item)
                n += 1
                if len(chunk) >= chunk_lines:
                    yield n, chunk
                    chunk, n = [], 0
            yield n, chunk
        return
    if fmt != "nmea":
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    out: list[Item] = []
    n = 0
    feed = decoder.feed
    for line in iter_file_lines(path):
        feed(line, receipt_ms, out)
        n += 1
        if n >= chunk_lines:
            yield n, out
            out, n = [], 0
    decoder.flush(out)
    yield n, out
