"""Evidence packs at full scale: size per token, time and peak memory to finish a pack and to check its
integrity, at 10^5 … 10^8 recorded tokens, on synthetic packs written through the harness's own record store.

    python scripts/bench_pack.py                       # 1e5 1e6 1e7 1e8 tokens
    python scripts/bench_pack.py --tokens 1e5 1e6      # a quick look

A synthetic pack has a reasoning benchmark (generations of log-normally distributed length, median ~3,000
tokens, Korean and English text, each token with its log-prob and two runner-ups drawn like a sampled
model's) and a multiple-choice benchmark (five log-likelihood responses per record, one record per 2,000
generated tokens). Finishing (`harness.pack.finish.finish_pack`: hash index, runs, summary, lm-eval results,
manifest) and the verifier's integrity pass (`harness.verify.scan` + scores + manifest) each run in a fresh
process, whose peak resident memory is read from the kernel (wait4). Figures: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPEATS = 5
_KO = "정답은 따라서 그러므로 계산하면 문제에서 주어진 조건을 만족하는 값은 다음과 같다 먼저 확인해 보자 우리는 알 수 있다".split()
_EN = "the answer is therefore we compute first let us check that the condition holds so the value must be equal to".split()


def _corpus(rng) -> str:
    words = rng.choice(_KO + _EN, size=400_000)
    return " ".join(words.tolist())


def make(pack: Path, tokens: int, seed: int = 0) -> dict:
    """Write a synthetic pack of about `tokens` recorded tokens; returns the spec.json it will be finished with."""
    import numpy as np

    from harness.pack import layout
    from harness.records.schema import Response, SampleRecord
    from harness.records.store import RecordStore
    from harness.seeds import request_seed, run_seed

    from harness.pack.hashing import sha256_text

    rng = np.random.default_rng(seed)
    text = _corpus(rng)
    p_gen, p_mc = "Solve the problem; put the answer in \\boxed{}.", "Which option is right?"
    h_gen, h_mc = sha256_text(p_gen), sha256_text(p_mc)
    pack.mkdir(parents=True)
    (pack / layout.CONFIG).write_text("synthetic: true\n")
    (pack / layout.MODEL).write_text("{}\n")
    store = RecordStore(pack)
    vocab = 151_000
    written, n_items = 0, 0
    with store.open_for_append("reasoning") as app:
        while written < tokens:
            n = int(min(32_768, max(16, rng.lognormal(8.0, 0.8))))
            n = min(n, max(16, tokens - written))
            sid = f"reasoning/{n_items}"
            for run in range(REPEATS):
                ids = (rng.zipf(1.15, n) % vocab).astype(np.int32)
                lp = (-rng.exponential(0.35, n)).astype(np.float32)
                other = (rng.zipf(1.15, (n, 2)) % vocab).astype(np.int32)
                top1_is_chosen = rng.random(n) < 0.85
                t1 = np.where(top1_is_chosen, ids, other[:, 0])
                l1 = np.where(top1_is_chosen, lp, lp + rng.exponential(0.5, n).astype(np.float32)).astype(np.float32)
                t2 = np.where(top1_is_chosen, other[:, 1], ids)
                l2 = np.where(top1_is_chosen, lp - rng.exponential(1.5, n).astype(np.float32), lp).astype(np.float32)
                start = int(rng.integers(0, len(text) - 4 * n))
                seed_ = request_seed(run_seed(1234, run), "reasoning", sid, run)
                resp = Response(request_type="generate_until", prompt_sha256=h_gen, text=text[start:start + int(3.2 * n)],
                                finish_reason="stop", seed=seed_, settings={"max_tokens": 32768, "temperature": 1.0, "top_p": 0.95, "top_k": -1, "stop": []},
                                token_ids=ids.tolist(), logprobs=lp.tolist(), top_ids=np.stack([t1, t2], 1).tolist(),
                                top_logprobs=np.stack([l1, l2], 1).tolist())
                rec = SampleRecord(benchmark="reasoning", task="reasoning", sample_id=sid, doc_id=n_items, run=run, seed=seed_,
                                   doc_sha256="d" * 64, target="42", responses=[resp], extracted={"none": "42"},
                                   metrics={"exact_match,none": float(rng.random() < 0.6)})
                app.append([rec], {h_gen: p_gen} if n_items == 0 and run == 0 else {})
                written += n
            n_items += 1
    mc_items = max(10, tokens // (2000 * REPEATS))
    with store.open_for_append("choice") as app:
        for i in range(mc_items):
            sid = f"choice/{i}"
            for run in range(REPEATS):
                resps = []
                for c in range(5):
                    k = int(rng.integers(1, 3))
                    ids = (rng.zipf(1.3, k) % vocab).tolist()
                    lps = (-rng.exponential(2.0, k)).astype(np.float32).tolist()
                    resps.append(Response(request_type="loglikelihood", prompt_sha256=h_mc, continuation=f" ({'ABCDE'[c]})",
                                          loglikelihood=float(sum(lps)), is_greedy=False, token_ids=ids, logprobs=lps,
                                          top_ids=[[t] for t in ids], top_logprobs=[[x] for x in lps]))
                seed_ = request_seed(run_seed(1234, run), "choice", sid, run)
                app.append([SampleRecord(benchmark="choice", task="choice", sample_id=sid, doc_id=i, run=run, seed=seed_, doc_sha256="d" * 64,
                                         target=0, responses=resps, metrics={"acc,none": float(rng.random() < 0.5)})],
                           {h_mc: p_mc} if i == 0 and run == 0 else {})
    spec = {"schema_version": layout.PACK_SCHEMA_VERSION, "suite": "synthetic", "repeats": REPEATS, "seed": 1234, "max_samples": None,
            "run_seeds": [run_seed(1234, r) for r in range(REPEATS)],
            "benchmarks": {"reasoning": {"task": "reasoning", "metric": "exact_match,none", "area": None, "n_samples": n_items,
                                         "generation": {"temperature": 1.0, "top_p": 0.95, "max_tokens": 32768}, "rerunnable": True},
                           "choice": {"task": "choice", "metric": "acc,none", "area": None, "n_samples": mc_items, "generation": {},
                                      "rerunnable": True}}}
    (pack / "synthetic-spec.json").write_text(json.dumps(spec))
    return {"tokens": written, "items": n_items, "mc_items": mc_items}


def finish(pack: Path) -> dict:
    from harness.pack.finish import finish_pack

    spec = json.loads((pack / "synthetic-spec.json").read_text())
    (pack / "synthetic-spec.json").unlink()
    t = time.perf_counter()
    finish_pack(pack, spec, run_id="synthetic", model_name="synthetic", model_config={"engine": "vllm", "path": "/synthetic"},
                manifest={"engine": {}, "datasets": [], "settings": {}})
    return {"seconds": time.perf_counter() - t}


def integrity(pack: Path) -> dict:
    from harness.pack import layout
    from harness.verify.integrity import check_manifest, check_scores, load_json
    from harness.verify.scan import scan_records

    t = time.perf_counter()
    spec, manifest = load_json(pack, layout.SPEC), load_json(pack, layout.MANIFEST)
    problems = check_manifest(pack, manifest)
    scan = scan_records(pack, spec)
    problems += scan.problems + check_scores(pack, spec, scan.rows)
    return {"seconds": time.perf_counter() - t, "problems": [str(p) for p in problems[:5]]}


def _measured(*args: str) -> tuple[dict, float]:
    """Run this script's step in a fresh process: its JSON answer and its peak RSS in MB (wait4)."""
    proc = subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"step {args} failed")
    return json.loads(out.strip().splitlines()[-1]), usage.ru_maxrss / 1024


def _size(pack: Path) -> int:
    return sum(p.stat().st_size for d in ("records", "prompts") for p in (pack / d).rglob("*") if p.is_file())


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] in ("_make", "_finish", "_integrity"):
        pack = Path(sys.argv[2])
        step = {"_make": lambda: make(pack, int(float(sys.argv[3]))), "_finish": lambda: finish(pack), "_integrity": lambda: integrity(pack)}
        print(json.dumps(step[sys.argv[1]]()))
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokens", type=float, nargs="+", default=[1e5, 1e6, 1e7, 1e8])
    ap.add_argument("--workdir", default=None, help="where the synthetic packs go (default: a temporary directory)")
    args = ap.parse_args()
    root = Path(args.workdir or tempfile.mkdtemp(prefix="bench-pack-"))
    rows = []
    for target in args.tokens:
        pack = root / f"pack-{int(target)}"
        shutil.rmtree(pack, ignore_errors=True)
        made, _ = _measured("_make", str(pack), str(int(target)))
        fin, fin_mb = _measured("_finish", str(pack))
        ver, ver_mb = _measured("_integrity", str(pack))
        if ver["problems"]:
            raise SystemExit(f"integrity found problems in an untouched pack: {ver['problems']}")
        size = _size(pack)
        rows.append({"tokens": made["tokens"], "bytes_per_token": size / made["tokens"], "finish_s": fin["seconds"], "finish_mb": fin_mb,
                     "verify_s": ver["seconds"], "verify_mb": ver_mb, "records": (made["items"] + made["mc_items"]) * REPEATS})
        print(json.dumps(rows[-1]), flush=True)
        shutil.rmtree(pack, ignore_errors=True)
    print("\n| tokens | records | bytes/token | finish s | finish peak MB | verify-integrity s | verify peak MB |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['tokens']:.2g} | {r['records']:,} | {r['bytes_per_token']:.2f} | {r['finish_s']:.1f} | {r['finish_mb']:.0f} | {r['verify_s']:.1f} | {r['verify_mb']:.0f} |")
    if len(rows) >= 2:
        a, b = rows[-2], rows[-1]
        per = lambda key: (b[key] - a[key]) / (b["tokens"] - a["tokens"])  # noqa: E731
        print(f"\nslope between the two largest: finish {per('finish_s') * 1e8:.1f} s and verify {per('verify_s') * 1e8:.1f} s per 1e8 tokens; "
              f"memory ratio largest/second-largest: finish {b['finish_mb'] / a['finish_mb']:.2f}, verify {b['verify_mb'] / a['verify_mb']:.2f}")
        small = next((r for r in rows if r["tokens"] >= 1e6 * 0.9), rows[0])
        print(f"memory at the largest over memory at ~1e6 tokens: finish {b['finish_mb'] / small['finish_mb']:.2f}, verify {b['verify_mb'] / small['verify_mb']:.2f}")


if __name__ == "__main__":
    main()
