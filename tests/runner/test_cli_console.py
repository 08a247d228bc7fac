"""What a person sees from `harness run`: a quiet console (engine logs in PACK/logs), progress lines, the
table and the pack's path; sweeps that report every job and keep single-run exit codes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from harness.paths import REPO_ROOT

pytestmark = pytest.mark.slow
PROGRESS = re.compile(r"^\w+: (\d+/\d+ |\d+ to run|resuming: )")


def _run(*args, env=None, timeout=600):
    return subprocess.run([sys.executable, "-m", "harness.cli", "run", *args], capture_output=True, text=True, timeout=timeout,
                          cwd=REPO_ROOT, env={**os.environ, "HARNESS_PROGRESS_INTERVAL": "0.5", **(env or {})})


def test_a_run_is_quiet_and_ends_with_the_table_and_the_pack(tmp_path, tiny_model_dir):
    out = tmp_path / "pack"
    res = _run("model=tiny", "run.repeats=2", "run.max_samples=4", f"out={out}")
    assert res.returncode == 0, res.stderr[-3000:]
    console = (res.stderr + res.stdout).splitlines()
    assert len([ln for ln in console if not PROGRESS.match(ln)]) <= 24, "\n".join(console)
    assert not [ln for ln in console if "INFO" in ln or "WARNING" in ln or "Building contexts" in ln]
    assert any(ln.startswith("haerae: ") and "done in" in ln for ln in console)  # progress, off a terminal
    lines = res.stdout.strip().splitlines()
    assert lines[-1] == f"evidence pack: {out}"
    assert any("hrm8k_ksm" in ln and "exact_match" in ln for ln in lines[:-1])  # the table just before it
    logs = list((out / "logs").glob("run-*.log"))
    assert len(logs) == 1 and "vllm" in logs[0].read_text().lower()
    assert str(logs[0]) in res.stderr or str(out / "logs") in res.stderr

    again = _run("model=tiny", "run.repeats=2", "run.max_samples=4", f"out={out}")
    assert again.returncode == 0 and "complete already" in again.stderr


def test_verbose_brings_the_engine_logs_back(tmp_path, tiny_model_dir):
    res = _run("-v", "model=tiny", "run.repeats=1", "run.max_samples=1", "+suite.only=[hrm8k_ksm]", f"out={tmp_path / 'p'}")
    assert res.returncode == 0, res.stderr[-3000:]
    assert "non-default args" in res.stdout + res.stderr  # vLLM's own start-up line


def _fates(sweep_dir):
    return {json.loads(p.read_text())["num"]: json.loads(p.read_text()) for p in sweep_dir.glob("*/harness-job.json")}


def test_a_typo_in_a_sweep_is_exit_2_before_any_job(tmp_path):
    res = _run("-m", "suite=sample,no_such_suite", f"results_dir={tmp_path}", f"hydra.sweep.dir={tmp_path / 'sweep'}")
    assert res.returncode == 2, res.stderr[-3000:]
    assert "no_such_suite" in res.stderr and "Available options in 'suite'" in res.stderr
    assert not _fates(tmp_path / "sweep")


def test_a_sweep_goes_on_past_a_bad_job_and_reports_each(tmp_path, tiny_model_dir):
    sweep = tmp_path / "sweep"
    res = _run("-m", "model=tiny", "run.repeats=0,1", "run.max_samples=1", "+suite.only=[hrm8k_ksm]",
               f"results_dir={tmp_path / 'results'}", f"hydra.sweep.dir={sweep}")
    assert res.returncode == 2, res.stderr[-3000:]  # as a single run with run.repeats=0 exits
    fates = _fates(sweep)
    assert fates[0]["code"] == 2 and "run.repeats" in fates[0]["message"]
    assert fates[1]["code"] == 0 and (tmp_path / "results").is_dir()
    report = res.stderr.split("sweep: 2 job(s)")[1]
    assert "job 0" in report and "BAD INPUT" in report and "job 1" in report and "finished" in report


def test_fail_fast_stops_a_sweep_after_the_first_bad_job(tmp_path):
    sweep = tmp_path / "sweep"
    res = _run("-m", "--fail-fast", "model=tiny", "run.repeats=0,1", f"results_dir={tmp_path / 'results'}", f"hydra.sweep.dir={sweep}")
    assert res.returncode == 2, res.stderr[-3000:]
    fates = _fates(sweep)
    assert fates[0]["code"] == 2 and fates[1]["code"] == 3 and "skipped" in res.stderr
    assert not (tmp_path / "results").exists()
