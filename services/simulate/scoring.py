"""Score the detector end to end: simulate → ``msa detect`` (a subprocess) → evaluate, over seeds.

``score_seeds(names, [1, 2, 3], work_dir)`` simulates each (scenario, seed) into
``work_dir/<scenario>-s<seed>/`` (``"all"`` is one merged run per seed), runs ``python -m msa.cli detect``
there, evaluates, and returns the aggregate plus each run's result. Used by ``msa score``, the scenario
tests and the benchmarks.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from services.simulate.evaluate import EvalResult, evaluate
from services.simulate.model import TruthItem
from services.simulate.scenarios import build_world
from services.simulate.truth import load_truth
from services.simulate.truth_matching import AlertView, MatchRules, alert_view
from services.simulate.world_files import render

__all__ = ["ScoreReport", "detect_command", "evaluate_files", "load_run", "run_detect", "score_dir", "score_seeds"]


@dataclass(slots=True)
class ScoreReport:
    total: EvalResult = field(default_factory=EvalResult)
    runs: dict[str, EvalResult] = field(default_factory=dict)


def detect_command(run_dir: Path) -> list[str]:
    cmd = [sys.executable, "-m", "msa.cli", "--log-level", "WARNING", "detect", str(run_dir / "ais.nmea")]
    sat = run_dir / "sat.geojson"
    if sat.exists() and json.loads(sat.read_text(encoding="utf-8")).get("features"):
        cmd += ["--sat", str(sat)]
    return [*cmd, "--out", str(run_dir / "alerts.jsonl")]


def run_detect(run_dir: Path, timeout_s: float = 600.0) -> Path:
    """Run ``msa detect`` on a simulated directory; raises ``RuntimeError`` with its stderr on failure."""
    proc = subprocess.run(detect_command(run_dir), capture_output=True, text=True, timeout=timeout_s, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"msa detect failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return run_dir / "alerts.jsonl"


def _alerts(alerts_path: Path) -> list[AlertView]:
    return [alert_view(json.loads(line)) for line in alerts_path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def load_run(truth_path: Path, alerts_path: Path) -> tuple[list[TruthItem], list[TruthItem], list[AlertView]]:
    """(events, decoys, alerts) of one run."""
    truth = load_truth(json.loads(truth_path.read_text(encoding="utf-8")))
    return truth.events, truth.decoys, _alerts(alerts_path)


def evaluate_files(truth_path: Path, alerts_path: Path, rules: MatchRules = MatchRules()) -> EvalResult:
    """Evaluate an alerts file against a truth file (regimes from the file's shore stations)."""
    truth = load_truth(json.loads(truth_path.read_text(encoding="utf-8")))
    return evaluate(truth.events, truth.decoys, _alerts(alerts_path), rules, truth.stations)


def score_dir(run_dir: Path, detect: bool = True) -> EvalResult:
    """Evaluate one simulated directory (running ``msa detect`` first unless ``detect=False``)."""
    alerts = run_detect(run_dir) if detect else run_dir / "alerts.jsonl"
    return evaluate_files(run_dir / "truth.json", alerts)


def score_seeds(scenarios: list[str], seeds: list[int], work_dir: Path) -> ScoreReport:
    report = ScoreReport()
    for name in scenarios:
        for seed in seeds:
            label = f"{name}-s{seed}"
            run_dir = work_dir / label
            render(build_world(name, seed), run_dir)
            res = score_dir(run_dir)
            report.runs[label] = res
            report.total.add(res, label)
    return report
