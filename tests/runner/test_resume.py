"""A job killed with SIGKILL part-way and started again continues and ends with the same numbers."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from harness.paths import REPO_ROOT
from harness.records.store import FLUSH_ENV, RecordStore

pytestmark = pytest.mark.slow

# Generations one at a time, so the job is still mid-way when we kill it.
ARGS = ["model=tiny", "run.repeats=5", "run.max_in_flight=1", "suite.benchmarks.hrm8k_ksm.generation.max_tokens=48"]


def _run(out, **kw):
    # every record synced as it is scored (the default waits up to 10 s): a fast machine would otherwise finish
    # all 60 generations before the first batch lands, and there would be nothing to kill mid-way
    env = {**os.environ, FLUSH_ENV: "0"}
    return subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "run", *ARGS, f"out={out}"],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True, env=env, **kw,
    )


def _lines(path):
    return len(path.read_text().splitlines()) if path.exists() else 0


def test_sigkill_then_resume_matches_an_uninterrupted_job(tmp_path, tiny_model_dir):
    killed = tmp_path / "killed"
    gen_records = killed / "records" / "hrm8k_ksm.jsonl"
    proc = _run(killed)
    deadline = time.time() + 300
    while _lines(gen_records) < 10:  # some generations recorded, most not yet
        assert proc.poll() is None, proc.stdout.read()[-3000:]
        assert time.time() < deadline
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    recorded_at_kill = _lines(gen_records)
    assert recorded_at_kill < 60, "the job finished before it could be killed"
    assert not (killed / "summary.json").exists()

    resumed = _run(killed)
    out, _ = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, out[-3000:]
    said = re.search(r"hrm8k_ksm: resuming: (\d+) of (\d+) already recorded", out)
    assert said and int(said.group(1)) >= recorded_at_kill and int(said.group(2)) == 60, out[-3000:]

    fresh = tmp_path / "fresh"
    full = _run(fresh)
    out, _ = full.communicate(timeout=600)
    assert full.returncode == 0, out[-3000:]

    a = json.loads((killed / "summary.json").read_text())["benchmarks"]
    b = json.loads((fresh / "summary.json").read_text())["benchmarks"]
    assert a == b
    # no sample lost or doubled (read_records rejects duplicates), and the same outputs as the fresh job
    for bench in ("haerae", "hrm8k_ksm"):
        ra = {r.key: r for r in RecordStore(killed).load(bench)}
        rb = {r.key: r for r in RecordStore(fresh).load(bench)}
        assert ra.keys() == rb.keys()
        assert all(ra[k].responses == rb[k].responses and ra[k].metrics == rb[k].metrics for k in ra)
