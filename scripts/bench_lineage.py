#!/usr/bin/env python
"""Memory and throughput of `harness lineage` on a generated multi-shard checkpoint much larger than one layer.

Builds a reference (8 layers, d=1024, d_ff=4096, fp32, 4 shards, ~0.6 GB) and a derived candidate (hidden
units permuted), then runs `harness lineage candidate reference` in a subprocess and reports, side by side in
one run: peak RSS above the interpreter's baseline as a multiple of one layer's bytes and of the checkpoint's
bytes, and lineage's bytes-read rate as a ratio of a plain sequential read of the same files.

    python scripts/bench_lineage.py [--layers 8] [--d 1024] [--ff 4096]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def build(out: Path, layers: int, d: int, ff: int, vocab: int, seed: int, perm: bool = False, shards: int = 4) -> int:
    from safetensors.numpy import save_file

    rng = np.random.default_rng(seed)
    names, tensors = [], {}
    tensors["model.embed_tokens.weight"] = rng.standard_normal((vocab, d), dtype=np.float32)
    tensors["lm_head.weight"] = rng.standard_normal((vocab, d), dtype=np.float32)
    tensors["model.norm.weight"] = 1 + 0.1 * rng.standard_normal(d, dtype=np.float32)
    for i in range(layers):
        p = f"model.layers.{i}."
        for r in ("q", "k", "v", "o"):
            tensors[p + f"self_attn.{r}_proj.weight"] = rng.standard_normal((d, d), dtype=np.float32) * 0.02
        tensors[p + "mlp.gate_proj.weight"] = rng.standard_normal((ff, d), dtype=np.float32) * 0.02
        tensors[p + "mlp.up_proj.weight"] = rng.standard_normal((ff, d), dtype=np.float32) * 0.02
        tensors[p + "mlp.down_proj.weight"] = rng.standard_normal((d, ff), dtype=np.float32) * 0.02
        tensors[p + "input_layernorm.weight"] = 1 + 0.1 * rng.standard_normal(d, dtype=np.float32)
        tensors[p + "post_attention_layernorm.weight"] = 1 + 0.1 * rng.standard_normal(d, dtype=np.float32)
    if perm:
        for i in range(layers):
            p = f"model.layers.{i}."
            pi = np.random.default_rng(i).permutation(ff)
            tensors[p + "mlp.gate_proj.weight"] = tensors[p + "mlp.gate_proj.weight"][pi]
            tensors[p + "mlp.up_proj.weight"] = tensors[p + "mlp.up_proj.weight"][pi]
            tensors[p + "mlp.down_proj.weight"] = tensors[p + "mlp.down_proj.weight"][:, pi]
    out.mkdir(parents=True, exist_ok=True)
    names = sorted(tensors)
    weight_map = {}
    for s in range(shards):
        part = names[s::shards]
        fname = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
        save_file({k: np.ascontiguousarray(tensors[k]) for k in part}, str(out / fname))
        weight_map.update({k: fname for k in part})
    (out / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    (out / "config.json").write_text(json.dumps({"architectures": ["LlamaForCausalLM"], "hidden_size": d}))
    layer_bytes = sum(v.nbytes for k, v in tensors.items() if k.startswith("model.layers.0."))
    return layer_bytes


# VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a child would report its parent's peak.
WRAP = ("import runpy, sys\n"
        "sys.argv = sys.argv[1:]\n"
        "try:\n    runpy.run_module(sys.argv[0], run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
        "print('PEAK_RSS', int(hwm) * 1024, file=sys.stderr)\n")


def peak_rss(module: str, args: list[str]) -> tuple[int, float]:
    """Run `python -m module args` and return its own peak RSS (bytes) and wall time."""
    t = time.perf_counter()
    res = subprocess.run([sys.executable, "-c", WRAP, module, *args], cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - t
    line = [ln for ln in res.stderr.splitlines() if ln.startswith("PEAK_RSS")]
    if not line:
        raise SystemExit(res.stderr[-2000:])
    return int(line[-1].split()[1]), wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--layers", type=int, default=8)
    ap.add_argument("--d", type=int, default=1024)
    ap.add_argument("--ff", type=int, default=4096)
    ap.add_argument("--vocab", type=int, default=8192)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        layer = build(tmp / "ref", args.layers, args.d, args.ff, args.vocab, 0)
        build(tmp / "cand", args.layers, args.d, args.ff, args.vocab, 0, perm=True)
        size = sum(p.stat().st_size for p in (tmp / "ref").glob("*.safetensors"))
        # baseline: the interpreter with every module lineage imports, nothing read
        base, _ = peak_rss("harness.lineage.baseline", [])
        t = time.perf_counter()
        for f in sorted((tmp / "ref").glob("*.safetensors")) + sorted((tmp / "cand").glob("*.safetensors")):
            with open(f, "rb") as fh:
                while fh.read(1 << 24):
                    pass
        plain_rate = 2 * size / (time.perf_counter() - t)
        out = tmp / "report"
        peak, wall = peak_rss("harness.cli", ["lineage", str(tmp / "cand"), str(tmp / "ref"), f"lineage.out={out}"])
        report = json.loads(out.with_suffix(".json").read_text())
        rate = report["bytes_read"] / wall
    result = {"checkpoint_bytes": size, "layer_bytes": layer, "baseline_rss": base, "peak_rss": peak,
              "rss_above_baseline_over_layer": (peak - base) / layer, "rss_above_baseline_over_checkpoint": (peak - base) / size,
              "lineage_bytes_per_s": rate, "plain_read_bytes_per_s": plain_rate, "lineage_over_plain_read": rate / plain_rate,
              "wall_s": wall, "verdict": report["verdict"]}
    print(json.dumps(result, indent=2))
    print(f"peak RSS above baseline = {result['rss_above_baseline_over_layer']:.2f} × one layer "
          f"({result['rss_above_baseline_over_checkpoint']:.3f} × the checkpoint); read rate = {result['lineage_over_plain_read']:.3f} × a plain (page-cached) read")


if __name__ == "__main__":
    main()
