#!/usr/bin/env python
"""What verification costs: verifying a fraction f of a pack's (benchmark, sample, run) triples should cost
about f × the run's generation plus one engine start (issue 3). Side by side in one invocation: a five-run
job (timing its request execution), then `harness verify` at several fractions, timing the engine start,
the re-run, the teacher-forced check of the drawn outputs (issue 14: its cost as a ratio to the re-run),
and the whole command (integrity checks, re-scoring every record, task loading and the report included).

    python scripts/bench_verify.py --model tiny --fractions 0.05 0.2 0.5 1.0 --repeat 3
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from bench_runs import _timed, spec_for  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="tiny")
    ap.add_argument("--fractions", type=float, nargs="+", default=[0.05, 0.2, 0.5, 1.0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    import harness.engines.factory as factory
    from harness.models.registry import ensure_model
    from harness.benchmarks import solvers
    from harness.runner import job
    from harness.verify import cli, rerun

    with tempfile.TemporaryDirectory() as tmp:
        pack = Path(tmp) / "pack"
        spec = spec_for(args.model, pack)
        ensure_model(spec.model)
        executing: list[float] = []
        run = _timed(solvers.RequestSolver, "solve", executing)
        job.run_job(spec)
        solvers.RequestSolver.solve = run
        gc.collect()
        job_generation = sum(executing)

        rows = []
        for f in args.fractions:
            starts, reruns, forced, totals = [], [], [], []
            for _ in range(args.repeat):
                s0, r0 = len(starts), len(reruns)
                mk = _timed(factory, "make_engine", starts)
                rr = _timed(rerun, "rerun_triples", reruns)
                fs = _timed(rerun, "forced_scores", forced)
                t = time.perf_counter()
                code = cli.main([str(pack), "verify.seed=5", f"verify.fraction={f}", "verify.unsigned=true"])
                totals.append(time.perf_counter() - t)
                factory.make_engine = mk
                rerun.rerun_triples = rr
                rerun.forced_scores = fs
                gc.collect()
                assert code == 0 and len(starts) == s0 + 1 and len(reruns) == r0 + 1
            start, rerun_s, total = statistics.median(starts), statistics.median(reruns), statistics.median(totals)
            forced_s = statistics.median(forced)
            rows.append({"fraction": f, "engine_start_s": start, "rerun_s": rerun_s, "forced_s": forced_s, "total_s": total,
                         "forced_over_rerun": forced_s / rerun_s,
                         "rerun_over_f_times_generation": rerun_s / (f * job_generation),
                         "total_over_f_generation_plus_start": total / (f * job_generation + start)})
    print(json.dumps({"model": args.model, "job_generation_s": job_generation, "rows": rows}, indent=2))
    for r in rows:
        print(f"f={r['fraction']:<5} re-run / (f × generation) = {r['rerun_over_f_times_generation']:.2f}   "
              f"teacher-forced / re-run = {r['forced_over_rerun']:.2f}   "
              f"verify total / (f × generation + engine start) = {r['total_over_f_generation_plus_start']:.2f}")


if __name__ == "__main__":
    main()
