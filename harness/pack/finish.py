"""Finishing a pack: the per-record hash index, runs, summary, lm-eval's results and the manifest, streamed
from the records in one pass per benchmark (memory proportional to items × runs, not to the tokens)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from harness.pack import layout
from harness.pack.lmeval import lmeval_results
from harness.pack.manifest import package_versions, write_manifest
from harness.pack.summary import benchmark_summary, run_metrics, score_rows
from harness.records.store import RecordStore


def write_json(path: Path, obj: Any) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")
    tmp.replace(path)


def write_index(store: RecordStore, benchmark: str) -> list:
    """Write records/<b>.sha256 (one line per record: hash, sample, run) and return the records' score rows."""
    index = store.records_path(benchmark).with_suffix(layout.LINE_HASHES)
    tmp = index.with_suffix(".sha256.tmp")
    with open(tmp, "w") as fh:
        def rows():
            for digest, rec in store.hashed_rows(benchmark):
                fh.write(f"{digest} {rec.sample_id} {rec.run}\n")
                yield rec
        scores = score_rows(rows())
    tmp.replace(index)
    return scores


def finish_pack(out: Path, spec_doc: dict[str, Any], *, run_id: str, model_name: str, model_config: dict[str, Any],
                manifest: dict[str, Any], started: float | None = None, elapsed_s: float | None = None,
                indexed: bool = False) -> dict[str, Any]:
    """Write spec.json, the hash indexes, runs.json, summary.json, lmeval_results.json and the manifest.
    `indexed`: the hash indexes are there already (a merge joins its parts' checked indexes; a record's hash
    does not depend on where it sits), so scores are read from the rows alone, without the tokens."""
    store, repeats = RecordStore(out), int(spec_doc["repeats"])
    write_json(out / layout.SPEC, spec_doc)
    runs, summary, rows = {}, {}, {}
    for name, meta in spec_doc["benchmarks"].items():
        rows[name] = score_rows(store.iter_rows(name)) if indexed else write_index(store, name)
        runs[name] = run_metrics(rows[name], repeats)
        summary[name] = benchmark_summary(rows[name], metric_key=meta["metric"], repeats=repeats, n_samples=meta["n_samples"], area=meta["area"])
    write_json(out / layout.RUNS, {"schema_version": layout.PACK_SCHEMA_VERSION, "benchmarks": runs})
    summary_doc = {"schema_version": layout.PACK_SCHEMA_VERSION, "run_id": run_id, "suite": spec_doc["suite"], "model": model_name,
                   "repeats": repeats, "benchmarks": summary}
    write_json(out / layout.SUMMARY, summary_doc)
    write_json(out / layout.LMEVAL, lmeval_results(spec_doc, rows, model=model_config, run_id=run_id, started=started,
                                                   elapsed_s=elapsed_s if elapsed_s is not None or started is None else time.time() - started,
                                                   versions=package_versions()))
    write_manifest(out, run_id=run_id, **manifest)
    return summary_doc
