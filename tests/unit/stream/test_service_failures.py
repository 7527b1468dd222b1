"""The detector service when its database is away: checkpoints fail without stopping the processing (and say
so through readiness and a counter); an assignment that cannot load its checkpoints stops the service loudly
instead of processing partitions from the wrong place."""

from __future__ import annotations

import asyncio

from aiokafka import TopicPartition
from sqlalchemy.exc import SQLAlchemyError

from services.detect.stream.config import DetectorConfig
from services.detect.stream.engines import EngineSettings
from services.detect.stream.service import DetectorService
from services.detect.stream.units import POS, STATIC, VesselUnit

NOWHERE_DB = "postgresql+psycopg://msa:msa@127.0.0.1:9/msa?connect_timeout=1"  # port 9 (discard): refused


def service() -> DetectorService:
    settings = EngineSettings(grace_ms=60_000)
    cfg = DetectorConfig(bootstrap="127.0.0.1:9", database_url=NOWHERE_DB, engine=settings, stuck_after_s=0.0)
    svc = DetectorService(cfg, settings.factory())
    svc.assigned = True
    return svc


async def test_a_failing_checkpoint_is_counted_and_makes_the_detector_unready() -> None:
    svc = service()
    unit = svc.vessel_units[0] = VesselUnit(0, svc.factory, 6, 60_000, n_units=6)
    unit.add_source(POS, 0)
    unit.add_source(STATIC, 0)
    await svc.checkpoint("test")
    assert svc.metrics.checkpoint_failures._value.get() == 1
    assert svc.metrics.checkpoints._value.get() == 0
    ready, why = svc.readiness()
    assert not ready and "checkpoints failing" in why
    svc.store.close()


async def test_an_assignment_without_its_checkpoints_stops_the_service() -> None:
    svc = service()
    await asyncio.wait_for(svc.on_assigned({TopicPartition("ais.positions.v1", 0)}), timeout=30)
    assert isinstance(svc.fatal, SQLAlchemyError) and not svc.vessel_units
    svc.store.close()
