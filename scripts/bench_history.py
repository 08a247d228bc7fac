"""The history and `harness compare` at nightly scale: adding packs that hold 1,000,000 per-sample records in
all, and comparing two packs of 100,000 per-sample records each.

    python scripts/bench_history.py                         # 10 packs × 100,000 records; compare 2 × 100,000
    python scripts/bench_history.py --records 20000 --packs 2 --compare-records 20000    # a quick look

Synthetic packs in the layout `harness run` leaves (records rows as the record store writes them, spec,
summary, manifest; no token arrays: neither the history nor compare reads them): per pack, a five-option
multiple-choice benchmark (five log-likelihood responses a record) and a generative one (one response with
~600 characters of output text), five runs each, half the records each. Each step runs in a fresh process,
whose peak resident memory is read from the kernel (wait4). Figures: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPEATS = 5


def _h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _template(kind: str) -> tuple[str, str]:
    """A row as the record store writes it, cut around the fields that vary: (before, after) the metrics."""
    from harness.records.schema import Response, SampleRecord

    if kind == "mc":
        responses = [Response(request_type="loglikelihood", prompt_sha256="@P@", continuation=f" ({c})", loglikelihood=-7.25, is_greedy=False)
                     for c in "ABCDE"]
        metrics, target = {"acc,none": 12345.0, "acc_norm,none": 12345.0}, "(B)"
    else:
        text = "따라서 답은 다음과 같다. We compute the value step by step and check the condition holds. " * 6
        responses = [Response(request_type="generate_until", prompt_sha256="@P@", text=text, finish_reason="stop", seed=1,
                              settings={"max_tokens": 4096, "temperature": 0.6, "top_p": 0.95, "top_k": -1, "stop": []}, n_tokens=180)]
        metrics, target = {"exact_match,none": 12345.0}, "42"
    rec = SampleRecord(benchmark=kind, task=kind, sample_id="@S@", doc_id=0, run=0, seed=1, doc_sha256="@D@", target=target,
                       responses=responses, extracted={"none": "42"}, metrics=metrics, scorer={"name": "lm_eval", "version": "1"})
    return rec.model_dump_json()


def make(pack: Path, records: int, seed: int, drop: float = 0.0) -> dict:
    """A pack of `records` per-sample records (half per benchmark, five runs per item)."""
    import numpy as np

    from harness.pack import layout
    from harness.stats.summary import summarise

    rng = np.random.default_rng(seed)
    (pack / "records").mkdir(parents=True)
    (pack / layout.CONFIG).write_text(f"synthetic: {seed}\n")
    (pack / layout.MODEL).write_text(json.dumps({"path": f"/ckpt/step-{seed}", "weights": {"model.safetensors": _h(str(seed))}}) + "\n")
    bench_meta, summary = {}, {}
    for kind, metric in (("mc", "acc,none"), ("gen", "exact_match,none")):
        n_items = records // 2 // REPEATS
        row = _template(kind)
        p = np.random.default_rng(kind == "mc").random(n_items)  # item difficulty: the same items every night
        scores = (rng.random((n_items, REPEATS)) < np.clip(p - drop, 0, 1)[:, None]).astype(int)
        with open(pack / "records" / f"{kind}.jsonl", "w", encoding="utf-8") as fh:
            for i in range(n_items):
                base = row.replace("@S@", f"{kind}/{i}").replace("@D@", _h(f"{kind}{i}")).replace("@P@", _h(f"p{kind}{i}"))
                head, tail = base.split('"doc_id":0,"run":0,"seed":1')
                fh.writelines(head + f'"doc_id":{i},"run":{r},"seed":{i * 7 + r}' + tail.replace("12345.0", str(float(scores[i, r]))) + "\n"
                              for r in range(REPEATS))
        bench_meta[kind] = {"task": kind, "metric": metric, "area": "synthetic", "n_samples": n_items, "generation": {}, "kind": "lm_eval",
                            "task_versions": {kind: 1.0}, "scorer": {"name": "lm_eval", "version": "1"}}
        summary[kind] = {"metric": metric, "area": "synthetic", "n_items": n_items, "n_expected": n_items, "complete": True,
                         **summarise(scores).to_dict()}
    spec = {"schema_version": 2, "suite": "synthetic", "repeats": REPEATS, "seed": seed, "max_samples": None, "benchmarks": bench_meta}
    (pack / layout.SPEC).write_text(json.dumps(spec))
    (pack / layout.SUMMARY).write_text(json.dumps({"schema_version": 2, "run_id": pack.name, "suite": "synthetic", "model": "synthetic",
                                                   "repeats": REPEATS, "benchmarks": summary}))
    (pack / layout.MANIFEST).write_text(json.dumps({"schema_version": 2, "run_id": pack.name, "created": "2026-12-03T00:00:00+00:00",
                                                    "engine": {"engine": "vllm"}, "datasets": [{"id": "synthetic", "config": None, "revision": "r1"}]}))
    return {"records": records}


def add(location: str, packs: list[str]) -> dict:
    from harness.history import History

    t = time.perf_counter()
    with History.open(location) as h:
        ids = [h.add(p) for p in packs]
        n = sum(h.n_samples(i) for i in ids)
    return {"seconds": time.perf_counter() - t, "records": n}


def compare(a: str, b: str) -> dict:
    from harness.compare import compare_packs

    t = time.perf_counter()
    c = compare_packs(Path(a), Path(b))
    return {"seconds": time.perf_counter() - t, "verdicts": {x.benchmark: x.verdict for x in c.benchmarks},
            "n_shared": sum(x.n_shared for x in c.benchmarks)}


def _measured(*args: str) -> tuple[dict, float]:
    """Run a step of this script in a fresh process: its JSON answer and its peak RSS in MB (wait4)."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True, env=env)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"step {args[0]} failed")
    return json.loads(out.strip().splitlines()[-1]), usage.ru_maxrss / 1024


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in ("_make", "_add", "_compare"):
        step = sys.argv[1]
        result = (make(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])) if step == "_make"
                  else add(sys.argv[2], sys.argv[3:]) if step == "_add" else compare(sys.argv[2], sys.argv[3]))
        print(json.dumps(result))
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=100_000, help="per-sample records in each pack added")
    ap.add_argument("--packs", type=int, default=10, help="packs added (1,000,000 records in all by default)")
    ap.add_argument("--compare-records", type=int, default=100_000, help="per-sample records in each of the two packs compared")
    ap.add_argument("--workdir", default=None, help="where the synthetic packs go (default: a temporary directory)")
    args = ap.parse_args()
    root = Path(args.workdir or tempfile.mkdtemp(prefix="bench-history-"))
    root.mkdir(parents=True, exist_ok=True)
    packs = []
    t = time.perf_counter()
    for i in range(args.packs):
        pack = root / f"night-{i:02d}"
        if not pack.exists():
            _measured("_make", str(pack), str(args.records), str(i), "0")
        packs.append(str(pack))
    print(f"made {args.packs} packs of {args.records:,} records in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    db = root / "history.sqlite"
    db.unlink(missing_ok=True)
    added, peak = _measured("_add", str(db), *packs)
    print(f"history add: {args.packs} packs, {added['records']:,} per-sample records: {added['seconds']:.1f} s, peak {peak:.0f} MB "
          f"(targets < 30 s, < 500 MB); database {db.stat().st_size / 1e6:.0f} MB")
    again, _ = _measured("_add", str(db), *packs)
    print(f"history add again (nothing added): {again['seconds']:.1f} s")
    a, b = root / "cmp-a", root / "cmp-b"
    for pack, seed, drop in ((a, 100, 0.0), (b, 101, 0.02)):
        if not pack.exists():
            _measured("_make", str(pack), str(args.compare_records), str(seed), str(drop))
    cmp, peak = _measured("_compare", str(a), str(b))
    print(f"compare: 2 packs of {args.compare_records:,} per-sample records ({cmp['n_shared']:,} shared items): {cmp['seconds']:.1f} s, "
          f"peak {peak:.0f} MB (target < 5 s); verdicts {cmp['verdicts']}")
    if args.workdir is None:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
