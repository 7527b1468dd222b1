"""Merged scenario runs shared by the scenario tests: simulate all → ``msa detect`` → load, once per seed."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

import pytest

from services.simulate.model import TruthItem
from services.simulate.truth_matching import AlertView

Run = tuple[Path, list[TruthItem], list[TruthItem], list[AlertView]]


@pytest.fixture(scope="session")
def merged_run(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int], Run]:
    if importlib.util.find_spec("services.detect.cli") is None:
        pytest.skip("msa detect is not installed in this build")
    from services.simulate.scenarios import build_world
    from services.simulate.scoring import load_run, run_detect
    from services.simulate.world_files import render

    cache: dict[int, Run] = {}
    root = tmp_path_factory.mktemp("scenarios")

    def run(seed: int) -> Run:
        if seed not in cache:
            run_dir = root / f"all-s{seed}"
            render(build_world("all", seed), run_dir)
            events, decoys, alerts = load_run(run_dir / "truth.json", run_detect(run_dir))
            cache[seed] = (run_dir, events, decoys, alerts)
        return cache[seed]

    return run
