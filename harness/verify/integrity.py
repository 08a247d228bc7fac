"""Integrity of a pack before any compute: file hashes, records, seeds, and scores recomputed from records."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from harness.errors import RecordError
from harness.pack import layout
from harness.pack.hashing import line_hashes, model_hashes, pack_files
from harness.pack.scores import benchmark_summary, run_metrics
from harness.records.schema import RECORD_SCHEMA_VERSION, SampleRecord
from harness.records.store import read_jsonl, read_prompts
from harness.seeds import request_seed, run_seed
from harness.verify.problems import Problem


def load_json(pack: Path, name: str) -> Any:
    path = pack / name
    if not path.is_file():
        raise RecordError("missing: not an evidence pack, or an incomplete one", file=path)
    try:
        return json.loads(path.read_text())
    except ValueError as err:
        raise RecordError(f"not valid JSON ({err})", file=path) from None


def check_manifest(pack: Path, manifest: dict) -> list[Problem]:
    recorded, actual = manifest.get("files", {}), pack_files(pack)
    out = []
    for name in sorted(set(recorded) | set(actual)):
        if name not in actual:
            out.append(Problem("manifest", name, "listed in the manifest but missing from the pack"))
        elif name not in recorded:
            out.append(Problem("manifest", name, "in the pack but not in the manifest (added after the run)"))
        elif recorded[name] != actual[name]:
            out.append(Problem("manifest", name, f"sha256 {actual[name][:12]}… differs from the manifest's {recorded[name][:12]}… (edited after the run)"))
    return out


def check_line_hashes(records_file: Path, index_file: Path) -> list[Problem]:
    """Name each record changed, added or deleted since the run, from the per-record hash index."""
    rel = f"{layout.RECORDS}/{records_file.name}"
    if not index_file.is_file():
        return [Problem("records", f"{layout.RECORDS}/{index_file.name}", "per-record hash index missing")]

    def parse(lines: list[str]) -> dict[tuple[str, str], str]:
        out = {}
        for line in lines:
            digest, sample, run = line.split(" ")
            out.setdefault((sample, run), digest)
        return out

    expected = parse(index_file.read_text().splitlines())
    try:
        actual = parse(line_hashes(records_file))
    except ValueError:
        return []  # unparsable lines are reported by the record reader
    problems = []
    for key in sorted(set(expected) | set(actual)):
        sample = f"{key[0]} run {key[1]}"
        if key not in actual:
            problems.append(Problem("records", rel, "record deleted since the run", sample=sample))
        elif key not in expected:
            problems.append(Problem("records", rel, "record added since the run", sample=sample))
        elif actual[key] != expected[key]:
            problems.append(Problem("records", rel, "record changed since the run", sample=sample))
    return problems


def read_records_leniently(path: Path) -> tuple[list[SampleRecord], list[Problem]]:
    """Every valid record, and a problem for each line that is not one (bad JSON, schema, duplicate)."""
    rel = f"{layout.RECORDS}/{path.name}"
    records, problems, seen = [], [], {}
    try:
        lines = list(read_jsonl(path))
    except RecordError as err:
        return [], [Problem("records", rel, err.message)]
    for lineno, obj in lines:
        if obj.get("schema_version") != RECORD_SCHEMA_VERSION:
            problems.append(Problem("records", rel, f"line {lineno}: schema_version {obj.get('schema_version')!r}", field="schema_version"))
            continue
        try:
            rec = SampleRecord.model_validate(obj)
        except ValidationError as err:
            first = err.errors()[0]
            problems.append(Problem("records", rel, f"line {lineno}: {first['msg']}", field=".".join(map(str, first["loc"]))))
            continue
        if rec.key in seen:
            problems.append(Problem("records", rel, f"line {lineno} duplicates line {seen[rec.key]}", sample=f"{rec.sample_id} run {rec.run}"))
            continue
        seen[rec.key] = lineno
        records.append(rec)
    return records, problems


def check_records(pack: Path, spec: dict) -> tuple[dict[str, list[SampleRecord]], list[Problem]]:
    """Records of every benchmark: complete (n_samples × repeats), seeds as derived, prompts present."""
    repeats, base = int(spec["repeats"]), int(spec["seed"])
    all_records, problems = {}, []
    for bench, meta in spec["benchmarks"].items():
        path = pack / layout.RECORDS / f"{bench}.jsonl"
        rel = f"{layout.RECORDS}/{bench}.jsonl"
        if not path.is_file():
            problems.append(Problem("records", rel, "missing"))
            all_records[bench] = []
            continue
        records, found = read_records_leniently(path)
        problems += found + check_line_hashes(path, path.with_suffix(layout.LINE_HASHES))
        all_records[bench] = records
        runs_per_sample: dict[str, set[int]] = defaultdict(set)
        for rec in records:
            runs_per_sample[rec.sample_id].add(rec.run)
            derived = request_seed(run_seed(base, rec.run), bench, rec.sample_id, rec.run)
            if rec.seed != derived:
                problems.append(Problem("seeds", rel, f"recorded seed {rec.seed} != derived {derived}", sample=f"{rec.sample_id} run {rec.run}", field="seed"))
            # agent episodes (τ²) seed every call with the episode seed reduced to τ²'s 31-bit range
            call_seed = rec.seed % 2**31 if "roles" in rec.extracted else rec.seed
            for i, resp in enumerate(rec.responses):
                if resp.request_type == "generate_until" and (i == 0 or "roles" in rec.extracted) and resp.seed != call_seed:
                    problems.append(Problem("seeds", rel, f"response seed {resp.seed} != {call_seed} derived from the record's seed", sample=f"{rec.sample_id} run {rec.run}", field=f"responses.{i}.seed"))
        expected = int(meta["n_samples"])
        if len(runs_per_sample) != expected:
            problems.append(Problem("records", rel, f"{len(runs_per_sample)} samples recorded, spec.json says {expected} (records deleted or added)"))
        for sid, runs in sorted(runs_per_sample.items()):
            missing = sorted(set(range(repeats)) - runs)
            if missing:
                problems.append(Problem("records", rel, f"runs {missing} missing (records deleted)", sample=sid))
        prompts_path = pack / layout.PROMPTS / f"{bench}.jsonl"
        prompts = read_prompts(prompts_path) if prompts_path.is_file() else {}
        absent = {r.prompt_sha256 for rec in records for r in rec.responses} - set(prompts)
        if absent:
            problems.append(Problem("prompts", f"{layout.PROMPTS}/{bench}.jsonl", f"{len(absent)} prompts named by records are missing"))
    return all_records, problems


def _differs(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return not (a == b or (math.isnan(a) and math.isnan(b)))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() != b.keys() or any(_differs(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) != len(b) or any(_differs(x, y) for x, y in zip(a, b))
    return a != b


def _first_difference(a: Any, b: Any, path: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b or _differs(a[k], b[k]):
                return _first_difference(a.get(k), b.get(k), f"{path}.{k}" if path else str(k))
    return f"{path}: recorded {a!r}, recomputed {b!r}"


def check_scores(pack: Path, spec: dict, records: dict[str, list[SampleRecord]]) -> list[Problem]:
    """runs.json and summary.json must recompute exactly (bit for bit) from the records."""
    runs_doc, summary_doc = load_json(pack, layout.RUNS), load_json(pack, layout.SUMMARY)
    problems = []
    for bench, meta in spec["benchmarks"].items():
        recs = records.get(bench, [])
        runs = json.loads(json.dumps(run_metrics(recs, int(spec["repeats"]))))
        summ = json.loads(json.dumps(benchmark_summary(recs, metric_key=meta["metric"], repeats=int(spec["repeats"]), n_samples=int(meta["n_samples"]), area=meta.get("area"))))
        rec_runs = runs_doc.get("benchmarks", {}).get(bench)
        rec_summ = summary_doc.get("benchmarks", {}).get(bench)
        if _differs(rec_runs, runs):
            problems.append(Problem("scores", layout.RUNS, f"{bench}: does not recompute from the records ({_first_difference({'runs': rec_runs}, {'runs': runs})})"))
        if _differs(rec_summ, summ):
            problems.append(Problem("scores", layout.SUMMARY, f"{bench}: does not recompute from the records ({_first_difference(rec_summ or {}, summ)})", field=f"benchmarks.{bench}"))
    return problems


def check_model(model_dir: Path, recorded: dict) -> list[Problem]:
    """The verifier's copy of the model must hash as the pack's model.json says (before anything loads)."""
    if not model_dir.is_dir():
        return [Problem("model", str(model_dir), "model directory not found")]
    actual = model_hashes(model_dir)
    out = []
    for section in ("weights", "tokenizer"):
        rec, act = recorded.get(section) or {}, actual.get(section) or {}
        for name in sorted(set(rec) | set(act)):
            if rec.get(name) != act.get(name):
                what = "missing" if name not in act else "not in the pack's model" if name not in rec else "sha256 differs"
                out.append(Problem("model", str(model_dir / name), f"{section} file {what}"))
    for key in ("config", "chat_template"):
        if recorded.get(key) != actual.get(key):
            out.append(Problem("model", str(model_dir), f"{key} hash differs from the pack's model.json", field=key))
    return out
