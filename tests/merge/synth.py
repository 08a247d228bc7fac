"""Parts of a sharded job built by hand with the harness's own writers (RecordStore, write_index,
write_manifest, finish_pack): what `run.shard=K/N` leaves, without a model, for the merge's fast tests."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
from pathlib import Path

import yaml

from harness.pack import layout
from harness.pack.finish import finish_pack, write_index, write_json
from harness.pack.manifest import write_manifest
from harness.records.schema import Response, SampleRecord
from harness.records.store import RecordStore
from harness.runner.shards import assign, claim_shard_file, part_dir, shard_doc

RUN_ID = "synth-tiny-0123abcd"
BENCHMARKS = {"mc": ("mc_task", "acc,none"), "gen": ("gen_task", "exact_match,none")}


def config(shard: str | None) -> dict:
    return {"suite": {"name": "synth"}, "model": {"engine": "vllm", "path": "/models/tiny", "engine_args": {"dtype": "float32"}},
            "run": {"repeats": 2, "seed": 1234, "shard": shard}, "data": {"source": "sample"}, "out": None, "run_id": None,
            "results_dir": "results"}


def spec_doc(n_samples: dict[str, int], repeats: int) -> dict:
    return {"schema_version": layout.PACK_SCHEMA_VERSION, "suite": "synth", "repeats": repeats, "seed": 1234, "max_samples": None,
            "run_seeds": list(range(repeats)),
            "benchmarks": {b: {"task": t, "metric": m, "area": "test", "n_samples": n_samples[b], "generation": {}}
                           for b, (t, m) in BENCHMARKS.items()}}


def sample_ids(n_samples: dict[str, int]) -> dict[str, list[str]]:
    return {b: [f"{BENCHMARKS[b][0]}/{i}" for i in range(n_samples[b])] for b in BENCHMARKS}


def record(bench: str, sid: str, run: int, n_tokens: int = 5) -> SampleRecord:
    rng = random.Random(f"{bench}/{sid}/{run}")
    ids = [rng.randrange(1000) for _ in range(n_tokens)]
    lps = [-rng.random() * 3 for _ in range(n_tokens)]
    resp = Response(request_type="generate_until", prompt_sha256=hashlib.sha256(sid.encode()).hexdigest(), text=" ".join(map(str, ids)),
                    finish_reason="length", seed=run, settings={"max_tokens": n_tokens}, token_ids=ids, logprobs=lps,
                    top_ids=[[t, (t + 1) % 1000] for t in ids], top_logprobs=[[lp, lp - 1.0] for lp in lps])
    metric = BENCHMARKS[bench][1]
    return SampleRecord(benchmark=bench, task=BENCHMARKS[bench][0], sample_id=sid, doc_id=int(sid.rsplit("/", 1)[1]), run=run,
                        seed=run * 7919 + len(sid), doc_sha256="0" * 64, target="1", responses=[resp],
                        metrics={metric: float(rng.random() < 0.5)}, scorer={"name": "synth", "version": "1"})


def _write_records(pack: Path, ids: dict[str, list[str]], repeats: int) -> None:
    store = RecordStore(pack)
    for bench, sids in ids.items():
        with store.open_for_append(bench) as app:
            recs = [record(bench, sid, r) for sid in sids for r in range(repeats)]
            app.append(recs, {rec.responses[0].prompt_sha256: f"prompt of {rec.sample_id}" for rec in recs})


def _common(pack: Path, cfg: dict) -> None:
    pack.mkdir(parents=True, exist_ok=True)
    (pack / layout.CONFIG).write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True))
    write_json(pack / layout.MODEL, {"path": "/models/tiny", "weights": {"model.safetensors": "a" * 64}, "config": "b" * 64,
                                     "tokenizer": {}, "chat_template": None})


SECTIONS = {"engine": {"engine": "vllm", "engine_args": {"dtype": "float32"}},
            "datasets": [{"id": "synth/data", "revision": "r1", "files": {"test.jsonl": "c" * 64}}],
            "settings": {"repeats": 2, "seed": 1234, "parallelism": {"tensor_parallel_size": 1}}}


def remanifest(part: Path, **changes) -> None:
    """Rewrite a part's indexes and manifest after a test changed it (as a forger with our code would)."""
    old = json.loads((part / layout.MANIFEST).read_text())
    sections = {k: old[k] for k in ("engine", "datasets", "settings", "shard")}
    sections.update(changes)
    spec = json.loads((part / layout.SPEC).read_text())
    for bench in spec["benchmarks"]:
        write_index(RecordStore(part), bench)
    write_manifest(part, run_id=old["run_id"], **sections)


def make_parts(root: Path, n: int = 3, n_samples: dict[str, int] | None = None, repeats: int = 2) -> tuple[Path, list[Path]]:
    """N finished parts of the pack root/RUN_ID (as `run.shard=K/N` leaves them)."""
    n_samples = n_samples or {"mc": 7, "gen": 4}
    pack = root / RUN_ID
    ids = sample_ids(n_samples)
    parts = []
    for k in range(1, n + 1):
        part = part_dir(pack, k, n)
        _common(part, config(f"{k}/{n}"))
        mine = assign(ids, k, n)
        claim_shard_file(part, shard_doc(k, n, RUN_ID, pack, mine))
        _write_records(part, mine, repeats)
        write_json(part / layout.SPEC, spec_doc(n_samples, repeats))
        (part / layout.RECORDS).mkdir(exist_ok=True)
        for bench in BENCHMARKS:
            write_index(RecordStore(part), bench)
        write_manifest(part, run_id=RUN_ID, shard={"index": k, "count": n, "started": 1000.0 + k, "finished": 2000.0 + k,
                                                   "model_name": "tiny"}, **SECTIONS)
        parts.append(part)
    return pack, parts


def make_single(root: Path, n_samples: dict[str, int] | None = None, repeats: int = 2) -> Path:
    """The same job as one pack (run.shard unset)."""
    n_samples = n_samples or {"mc": 7, "gen": 4}
    pack = root / "single" / RUN_ID
    _common(pack, config(None))
    _write_records(pack, sample_ids(n_samples), repeats)
    finish_pack(pack, spec_doc(n_samples, repeats), run_id=RUN_ID, model_name="tiny", model_config=config(None)["model"],
                manifest=SECTIONS, started=1001.0, elapsed_s=1002.0)
    return pack


def copy_part(part: Path, to: Path) -> Path:
    shutil.copytree(part, to)
    return to
