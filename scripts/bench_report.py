"""`harness report` at scale: a synthetic 5-run pack of 50,000 samples per run (two benchmarks, written through
the harness's own record store and finished by its own finish step), the time and peak memory to build its
report, and the sample browser's responsiveness measured in headless Chromium (Debian's package).

    python scripts/bench_report.py                      # 50,000 samples × 5 runs
    python scripts/bench_report.py --samples 5000       # a quick look

Printed: the pack's size, build seconds and peak RSS (a fresh process, wait4), and in the browser the time
to load the page and its index, to apply a filter, to search, to turn a page and to open a sample (medians
of several tries). Figures: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPEATS = 5
_KO = "정답은 따라서 그러므로 계산하면 문제에서 주어진 조건을 만족하는 값은 다음과 같다 먼저 확인해 보자".split()
_EN = "the answer is therefore we compute first let us check that the condition holds so the value must be".split()


def make_pack(pack: Path, n_samples: int, repeats: int = REPEATS, seed: int = 0, skill: float = 1.0) -> Path:
    """A finished pack: `n_samples` items (4/5 generative, 1/5 multiple choice), `repeats` runs each. Items
    differ in difficulty, so some are wrong in every run, some inconsistent; a few runs are sandbox errors.
    Prompts and item difficulties depend on nothing but `n_samples`, so packs that differ in `seed` (the
    runs' draws) or `skill` (each item's chance of a right answer, scaled) are two checkpoints on one suite."""
    import numpy as np

    from harness.pack import layout
    from harness.pack.finish import finish_pack
    from harness.pack.hashing import sha256_text
    from harness.records.schema import Response, SampleRecord
    from harness.records.store import RecordStore
    from harness.seeds import request_seed, run_seed

    items, rng = np.random.default_rng(0), np.random.default_rng(seed)
    words = np.array(_KO + _EN)
    pack.mkdir(parents=True)
    (pack / layout.CONFIG).write_text("synthetic: true\n")
    (pack / layout.MODEL).write_text(json.dumps({"path": "/synthetic", "weights": {"model.safetensors": "0" * 64}}) + "\n")
    store = RecordStore(pack)
    n_gen = n_samples * 4 // 5
    sizes = {"gen": n_gen, "choice": n_samples - n_gen}
    for bench, n in sizes.items():
        p_item = items.beta(0.6, 0.6, n) * skill
        texts = [f"문제 {i}: " + " ".join(items.choice(words, 30).tolist()) for i in range(n)]
        hashes = [sha256_text(t) for t in texts]
        with store.open_for_append(bench) as app:
            for run in range(repeats):
                batch, prompts = [], {}
                for i in range(n):
                    sid = f"{bench}/{i}"
                    sha = hashes[i]
                    if run == 0:
                        prompts[sha] = texts[i]
                    s = request_seed(run_seed(1234, run), bench, sid, run)
                    right = bool(rng.random() < p_item[i])
                    err = "sandbox_error: the checker did not answer" if rng.random() < 0.001 else None
                    if bench == "gen":
                        answer = str(i % 97) if right else str(i % 89 + 1)
                        text = " ".join(rng.choice(words, 40).tolist()) + f" \\boxed{{{answer}}}"
                        resps = [Response(request_type="generate_until", prompt_sha256=sha, text=text, finish_reason="stop", seed=s,
                                          settings={"max_tokens": 512, "temperature": 0.6, "top_p": 0.95, "top_k": -1, "stop": []},
                                          token_ids=list(range(i % 1000, i % 1000 + 12)), logprobs=[-0.25] * 12)]
                        metrics = {} if err else {"exact_match,none": float(right)}
                        batch.append(SampleRecord(benchmark=bench, task=bench, sample_id=sid, doc_id=i, run=run, seed=s, doc_sha256="d" * 64,
                                                  target=str(i % 97), responses=resps, extracted={"none": answer}, metrics=metrics, score_error=err))
                    else:
                        resps = [Response(request_type="loglikelihood", prompt_sha256=sha, continuation=f" ({c})", loglikelihood=-float(k + 1),
                                          is_greedy=k == 0, token_ids=[30 + k, 31], logprobs=[-0.5, -0.5 - k]) for k, c in enumerate("ABCD")]
                        batch.append(SampleRecord(benchmark=bench, task=bench, sample_id=sid, doc_id=i, run=run, seed=s, doc_sha256="d" * 64,
                                                  target=0, responses=resps, metrics={"acc,none": float(right)}))
                app.append(batch, prompts)
    spec = {"schema_version": layout.PACK_SCHEMA_VERSION, "suite": "synthetic", "repeats": repeats, "seed": 1234, "max_samples": None,
            "run_seeds": [run_seed(1234, r) for r in range(repeats)],
            "benchmarks": {"gen": {"task": "gen", "metric": "exact_match,none", "area": None, "n_samples": sizes["gen"], "generation": {}, "rerunnable": True},
                           "choice": {"task": "choice", "metric": "acc,none", "area": None, "n_samples": sizes["choice"], "generation": {}, "rerunnable": True}}}
    finish_pack(pack, spec, run_id=f"synthetic-{n_samples}-seed{seed}" + (f"-skill{skill:g}" if skill != 1 else ""), model_name="synthetic", model_config={"engine": "vllm", "path": "/synthetic"},
                manifest={"engine": {"engine": "vllm"}, "datasets": [], "settings": {}})
    return pack


def build(pack: Path, out: Path) -> dict:
    from harness.report import build as build_report

    t = time.perf_counter()
    build_report([pack], out)
    return {"seconds": time.perf_counter() - t}


BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"]


def browse(page: Path, needle: str, tries: int = 5) -> dict:
    """Times in the page itself (performance.now, the harness browser's own counters) and around each action."""
    from playwright.sync_api import sync_playwright

    out: dict[str, list[float]] = {"load": [], "filter": [], "search": [], "next_page": [], "open_sample": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=os.environ.get("HARNESS_CHROMIUM", "/usr/bin/chromium"), args=BROWSER_ARGS)
        for _ in range(tries):
            pg = browser.new_page(viewport={"width": 1400, "height": 900})
            t = time.perf_counter()
            pg.goto(page.as_uri())
            pg.wait_for_function("window.HR && HR.ready === true", timeout=120_000)
            pg.select_option("#bench-select", "gen")  # the larger benchmark (the first shown is the first in summary.json)
            pg.wait_for_function("'gen' in HR.indexes && document.querySelector('#match-count').textContent.endsWith(' samples')")
            out["load"].append(time.perf_counter() - t)
            t = time.perf_counter()
            pg.check("input[data-flag='2']")
            pg.wait_for_function("document.querySelector('#match-count').textContent.indexOf(' of ') > 0")
            out["filter"].append(time.perf_counter() - t)
            pg.uncheck("input[data-flag='2']")
            t = time.perf_counter()
            pg.fill("#sample-search", needle)
            pg.wait_for_function("document.querySelectorAll('#sample-list tbody tr').length <= 50 && "
                                 "document.querySelector('#sample-list tbody tr') && "
                                 f"document.querySelector('#sample-list tbody tr').dataset.sampleId.startsWith('{needle}')")
            out["search"].append(time.perf_counter() - t)
            pg.fill("#sample-search", "")
            pg.wait_for_timeout(300)
            t = time.perf_counter()
            pg.click("#next-page")
            pg.wait_for_function("document.querySelector('#page-info').textContent.startsWith('page 2')")
            out["next_page"].append(time.perf_counter() - t)
            t = time.perf_counter()
            pg.click("#sample-list tbody tr:nth-child(3)")
            pg.wait_for_selector("#detail-id")
            out["open_sample"].append(time.perf_counter() - t)
            pg.close()
        browser.close()
    return {k: statistics.median(v) for k, v in out.items()}


def _measured(*args: str) -> tuple[dict, float]:
    proc = subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True)
    text = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"step {args} failed")
    return json.loads(text.strip().splitlines()[-1]), usage.ru_maxrss / 1024


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] in ("_make", "_build"):
        a, b = Path(sys.argv[2]), sys.argv[3]
        print(json.dumps({"_make": lambda: (make_pack(a, int(b)), {})[1], "_build": lambda: build(a, Path(b))}[sys.argv[1]]()))
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", type=int, nargs="+", default=[5_000, 50_000])
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args()
    root = Path(args.workdir or tempfile.mkdtemp(prefix="bench-report-"))
    rows = []
    for n in args.samples:
        pack, out = root / f"pack-{n}", root / f"report-{n}"
        t = time.perf_counter()
        _measured("_make", str(pack), str(n))
        made_s = time.perf_counter() - t
        built, mb = _measured("_build", str(pack), str(out))
        site_mb = sum(f.stat().st_size for f in out.rglob("*") if f.is_file()) / 1e6
        page = next(out.glob("pack-*.html"))
        times = browse(page, f"gen/{n * 4 // 10}")
        rows.append({"samples": n, "records": n * REPEATS, "make_s": made_s, "build_s": built["seconds"], "build_mb": mb, "site_mb": site_mb, **times})
        print(json.dumps(rows[-1]), flush=True)
    print("\n| samples × runs | build s | build peak MB | site MB | page load s | filter s | search s | next page s | open sample s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['samples']:,} × {REPEATS} | {r['build_s']:.1f} | {r['build_mb']:.0f} | {r['site_mb']:.0f} | {r['load']:.2f} | {r['filter']:.3f} | "
              f"{r['search']:.3f} | {r['next_page']:.3f} | {r['open_sample']:.3f} |")
    if len(rows) >= 2:
        a, b = rows[0], rows[-1]
        print(f"\nratios largest/smallest ({b['samples'] / a['samples']:.0f}× the samples): build {b['build_s'] / a['build_s']:.1f}×, "
              f"filter {b['filter'] / a['filter']:.1f}×, open sample {b['open_sample'] / a['open_sample']:.1f}×")


if __name__ == "__main__":
    main()
