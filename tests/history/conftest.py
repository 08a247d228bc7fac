"""Packs written through the harness's own record store and pack finisher, with score matrices we choose:
what a comparison or a history sees of a pack, without an engine (the engine-made packs: test_nightly.py)."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest


def _h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def write_pack(path, scores, *, prompt="Q", revision="r1", generation=None, run_id=None, score_errors=()):
    """`scores` = {benchmark: items × runs matrix of 0/1}; each benchmark's records, spec.json, summary and
    manifest as `harness run` leaves them. `score_errors`: (benchmark, item, run) sample-runs left unscored."""
    from harness.pack import layout
    from harness.pack.finish import finish_pack
    from harness.records.schema import Response, SampleRecord
    from harness.records.store import RecordStore

    path.mkdir(parents=True)
    (path / layout.CONFIG).write_text("synthetic: true\n")
    (path / layout.MODEL).write_text(json.dumps({"path": f"/ckpt/{path.name}", "weights": {"model.safetensors": _h(path.name)}}) + "\n")
    store = RecordStore(path)
    bench_meta, repeats = {}, None
    for bench, matrix in scores.items():
        matrix = np.asarray(matrix)
        repeats = matrix.shape[1]
        with store.open_for_append(bench) as app:
            for i in range(matrix.shape[0]):
                for r in range(repeats):
                    failed = (bench, i, r) in score_errors
                    resp = Response(request_type="loglikelihood", prompt_sha256=_h(f"{prompt}{i}"), continuation=" (A)", loglikelihood=-1.0, is_greedy=True)
                    app.append([SampleRecord(benchmark=bench, task=bench, sample_id=f"{bench}/{i}", doc_id=i, run=r, seed=r, doc_sha256=_h(f"doc{i}"),
                                             target="(A)", responses=[resp], metrics={} if failed else {"acc,none": float(matrix[i, r])},
                                             scorer={"name": "lm_eval", "version": "1"}, score_error="boom" if failed else None)], {})
        bench_meta[bench] = {"task": bench, "metric": "acc,none", "area": "knowledge", "n_samples": int(matrix.shape[0]),
                             "generation": {"temperature": None, "max_tokens": None, **(generation or {})}, "kind": "lm_eval",
                             "task_versions": {bench: 1.0}, "scorer": {"name": "lm_eval", "version": "1"}}
    spec = {"schema_version": 2, "suite": "synthetic", "repeats": repeats, "seed": 1, "max_samples": None, "run_seeds": list(range(repeats)),
            "benchmarks": bench_meta}
    finish_pack(path, spec, run_id=run_id or path.name, model_name="synthetic", model_config={"engine": "vllm"},
                manifest={"engine": {"engine": "vllm"}, "settings": {"repeats": repeats, "seed": 1},
                          "datasets": [{"id": "synthetic/items", "config": None, "source": "sample", "revision": revision, "files": {"items.jsonl": _h("items")}}]})
    return path


@pytest.fixture
def make_pack(tmp_path):
    def make(name, scores, **kw):
        return write_pack(tmp_path / name, scores, **kw)
    return make
