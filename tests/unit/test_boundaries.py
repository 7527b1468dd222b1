"""Import boundaries, checked on the source (``ast``), so that a convention cannot erode unnoticed:

* a service never imports another service (``services.api`` ↛ ``services.detect`` …): they meet on Kafka
  topics and tables, through ``msa/`` (contracts, formats) and ``geo/`` (geography);
* the detection core (``services/detect`` outside ``stream/``) does no I/O of its own: no Kafka, no database,
  no HTTP — the streaming adapter (``stream/``) and the CLIs do;
* ``msa/domain.py`` (the records and alerts every component shares) imports the standard library only;
* ``geo/`` and ``msa/`` import no service.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IO_PACKAGES = ("aiokafka", "kafka", "sqlalchemy", "geoalchemy2", "psycopg", "psycopg2", "asyncpg", "fastapi",
               "starlette", "uvicorn", "httpx", "requests")


def imported(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) of every import in ``path``, top level or inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module


def violations(files: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    return [f"{p.relative_to(ROOT) if p.is_relative_to(ROOT) else p.name}:{line} imports {mod}"
            for p in files for line, mod in imported(p) if any(mod == f or mod.startswith(f + ".") for f in forbidden)]


def py(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


SERVICES = sorted(p.name for p in (ROOT / "services").iterdir() if p.is_dir() and (p / "__init__.py").exists())


def test_the_checker_sees_imports_inside_functions(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nimport sqlalchemyx\n\ndef f():\n    from sqlalchemy import text\n"
                   "    import services.api.db\n")
    assert violations([bad], ("sqlalchemy", "services.api")) == ["bad.py:5 imports sqlalchemy",
                                                                 "bad.py:6 imports services.api.db"]


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_never_imports_another(service: str) -> None:
    others = tuple(f"services.{s}" for s in SERVICES if s != service)
    assert violations(py(f"services/{service}"), others) == []


def test_the_detection_core_does_no_io_of_its_own() -> None:
    core = [p for p in py("services/detect") if "stream" not in p.relative_to(ROOT / "services/detect").parts]
    assert len(core) > 10
    assert violations(core, IO_PACKAGES) == []


# the streaming detector's pure part: what one instance computes (``instance.Instance``), run by ``msa detector``
# and by the in-memory test cluster alike; Kafka and PostgreSQL stay in service.py, whole_topics.py, checkpoint*.py
PURE_STREAM = ("instance.py", "units.py", "merge.py", "cells.py", "exchange.py", "coverage_exchange.py",
               "cell_records.py", "satfeed.py", "engines.py")


def test_the_streaming_step_does_no_io_of_its_own() -> None:
    stream = ROOT / "services" / "detect" / "stream"
    files = [stream / name for name in PURE_STREAM]
    assert all(f.exists() for f in files)
    assert violations(files, IO_PACKAGES) == []


def test_the_shared_domain_imports_the_standard_library_only() -> None:
    import sys

    mods = {mod.split(".")[0] for _, mod in imported(ROOT / "msa" / "domain.py")}
    assert mods and mods <= set(sys.stdlib_module_names) | {"__future__"}, mods


@pytest.mark.parametrize("folder", ["geo", "msa"])
def test_geography_and_contracts_import_no_service(folder: str) -> None:
    assert violations(py(folder), ("services",)) == []


# A module name means one thing. The exceptions docs/architecture.md justifies: each package's ``cli.py``; API
# routers named after the resource they serve; simulator scenarios named after the alert kind they exercise; and
# the same concept in its own package (metrics, health endpoints, settings, payload schemas).
SAME_CONCEPT = {"cli.py", "metrics.py", "health.py", "settings.py", "schemas.py"}
NAMED_AFTER = ("services/api/routers", "services/simulate/scenarios")


def reused_names(paths: list[Path]) -> dict[str, list[str]]:
    by_name: dict[str, list[str]] = {}
    for p in paths:
        by_name.setdefault(p.name, []).append(p.relative_to(ROOT).as_posix())
    out = {}
    for name, where in sorted(by_name.items()):
        unexplained = [w for w in where if not w.startswith(NAMED_AFTER)]
        if len(where) > 1 and name not in SAME_CONCEPT and len(unexplained) > 1:
            out[name] = where
    return out


def test_no_two_modules_share_a_name_but_the_documented_exceptions() -> None:
    paths = [p for folder in ("msa", "services", "geo", "bench") for p in py(folder)
             if p.name != "__init__.py" and "migrations" not in p.parts]
    assert reused_names(paths) == {}
    assert reused_names([ROOT / "services/detect/coverage.py", ROOT / "services/detect/stream/coverage.py"])
