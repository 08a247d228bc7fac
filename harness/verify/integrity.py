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
from harness.pack.hashing import line_hashes, model_hashes, pack_files, sha256_text
from harness.pack.summary import benchmark_summary, run_metrics
from harness.benchmarks.factory import capabilities
from harness.records.schema import READABLE_RECORD_VERSIONS, PromptRecord, SampleRecord
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


def _line_diff(records_file: Path, index_file: Path) -> dict[tuple[str, str], str]:
    """(sample_id, run) → "changed" | "added" | "deleted" against the per-record hash index written by the run."""

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
        return {}  # unparsable lines are reported by the record reader
    status = {k: "deleted" for k in set(expected) - set(actual)}
    status.update({k: "added" for k in set(actual) - set(expected)})
    status.update({k: "changed" for k in set(actual) & set(expected) if actual[k] != expected[k]})
    return status


def check_line_hashes(records_file: Path, index_file: Path) -> list[Problem]:
    """Name each record changed, added or deleted since the run, from the per-record hash index."""
    rel = f"{layout.RECORDS}/{records_file.name}"
    if not index_file.is_file():
        return [Problem("records", f"{layout.RECORDS}/{index_file.name}", "per-record hash index missing")]
    return [Problem("records", rel, f"record {what} since the run", sample=f"{sid} run {run}")
            for (sid, run), what in sorted(_line_diff(records_file, index_file).items())]


def changed_records(pack: Path, spec: dict) -> dict[str, set[tuple[str, int]]]:
    """Per benchmark, the (sample_id, run) of records changed or added since the run: where to look for the field."""
    out = {}
    for bench in spec["benchmarks"]:
        path = pack / layout.RECORDS / f"{bench}.jsonl"
        index = path.with_suffix(layout.LINE_HASHES)
        if path.is_file() and index.is_file():
            keys = {(sid, int(run)) for (sid, run), what in _line_diff(path, index).items() if what != "deleted" and run.lstrip("-").isdigit()}
            if keys:
                out[bench] = keys
    return out


def _lines(path: Path) -> tuple[list[tuple[int, dict]], list[Problem]]:
    """(line number, object) per line; a line that is not JSON, or a final line without its newline, is a
    problem of its own rather than the end of the file (the run's reader stops there: a torn tail)."""
    rel = path.relative_to(path.parents[1]).as_posix()
    out, problems = [], []
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            if not raw.endswith(b"\n"):
                problems.append(Problem("records", rel, f"line {lineno} has no final newline (a torn or appended line)"))
            try:
                out.append((lineno, json.loads(raw)))
            except ValueError as err:
                problems.append(Problem("records", rel, f"line {lineno} is not valid JSON ({err})"))
    return out, problems


def _where(obj: Any) -> str | None:
    return f"{obj.get('sample_id')} run {obj.get('run')}" if isinstance(obj, dict) and "sample_id" in obj else None


def read_records_leniently(path: Path) -> tuple[list[SampleRecord], list[Problem]]:
    """Every valid record, and a problem for each line that is not one (bad JSON, schema, duplicate)."""
    rel = f"{layout.RECORDS}/{path.name}"
    records, seen = [], {}
    lines, problems = _lines(path)
    for lineno, obj in lines:
        if not isinstance(obj, dict) or obj.get("schema_version") not in READABLE_RECORD_VERSIONS:
            version = obj.get("schema_version") if isinstance(obj, dict) else None
            problems.append(Problem("records", rel, f"line {lineno}: schema_version {version!r}, expected one of {list(READABLE_RECORD_VERSIONS)}", sample=_where(obj), field="schema_version"))
            continue
        try:
            rec = SampleRecord.model_validate(obj)
        except ValidationError as err:
            first = err.errors()[0]
            problems.append(Problem("records", rel, f"line {lineno}: {first['msg']}", sample=_where(obj), field=".".join(map(str, first["loc"]))))
            continue
        if rec.key in seen:
            problems.append(Problem("records", rel, f"line {lineno} duplicates line {seen[rec.key]}", sample=f"{rec.sample_id} run {rec.run}"))
            continue
        seen[rec.key] = lineno
        records.append(rec)
    return records, problems


def read_prompts_leniently(path: Path) -> tuple[dict[str, str], list[Problem]]:
    """The content-addressed prompt store: every text must hash to the name records use for it."""
    rel = f"{layout.PROMPTS}/{path.name}"
    if not path.is_file():
        return {}, []  # reported as prompts the records name but the store lacks
    prompts = {}
    lines, problems = _lines(path)
    for lineno, obj in lines:
        try:
            p = PromptRecord.model_validate(obj)
        except ValidationError as err:
            problems.append(Problem("prompts", rel, f"line {lineno}: {err.errors()[0]['msg']}"))
            continue
        if sha256_text(p.text) != p.sha256:
            problems.append(Problem("prompts", rel, f"line {lineno}: the text does not hash to its name {p.sha256[:12]}… (edited)", field="text"))
        prompts[p.sha256] = p.text
    return prompts, problems


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
        prompts, found = read_prompts_leniently(pack / layout.PROMPTS / f"{bench}.jsonl")
        problems += found
        named = {r.prompt_sha256 for rec in records for r in rec.responses + ([rec.judge.response] if rec.judge else [])}
        if named - set(prompts):
            problems.append(Problem("prompts", f"{layout.PROMPTS}/{bench}.jsonl", f"{len(named - set(prompts))} prompts named by records are missing"))
    derived = [run_seed(base, r) for r in range(repeats)]
    if spec.get("run_seeds") is not None and list(spec["run_seeds"]) != derived:
        problems.append(Problem("seeds", layout.SPEC, f"run seeds {spec['run_seeds']} != derived {derived}", field="run_seeds"))
    return all_records, problems


# spec.json's generation settings, as recorded with each generation response (harness.benchmarks.requests)
_SETTINGS = ("temperature", "top_p", "top_k", "max_tokens")


def check_settings(spec: dict, records: dict[str, list[SampleRecord]]) -> list[Problem]:
    """Each generation was made with the settings spec.json claims (where it sets them): the re-run
    re-issues the recorded settings, so they must be the claimed ones."""
    problems = []
    for bench, meta in spec["benchmarks"].items():
        claimed = {k: v for k, v in (meta.get("generation") or {}).items() if k in _SETTINGS and v is not None}
        if not claimed or capabilities(meta)["settings_per_call"]:  # agent loops set each call's settings
            continue
        for rec in records.get(bench, []):
            for i, resp in enumerate(rec.responses):
                if resp.request_type != "generate_until":
                    continue
                got = resp.settings or {}
                for key, value in claimed.items():
                    if got.get(key) != value:
                        problems.append(Problem("settings", f"{layout.RECORDS}/{bench}.jsonl", f"{key} {got.get(key)!r} != spec.json's {value!r}",
                                                sample=f"{rec.sample_id} run {rec.run}", field=f"responses.{i}.settings.{key}"))
    return problems


def _differs(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return not (a == b or (math.isnan(a) and math.isnan(b)))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() != b.keys() or any(_differs(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) != len(b) or any(_differs(x, y) for x, y in zip(a, b))
    return a != b


def _differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Every leaf where the recorded (a) and recomputed (b) documents differ, as "path: recorded …, recomputed …"."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b), key=str) if k not in a or k not in b or _differs(a[k], b[k])
                for d in _differences(a.get(k), b.get(k), f"{path}.{k}" if path else str(k))]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b) and any(isinstance(x, (dict, list)) for x in a):
        return [d for i, (x, y) in enumerate(zip(a, b)) if _differs(x, y) for d in _differences(x, y, f"{path}[{i}]")]
    return [f"{path}: recorded {a!r}, recomputed {b!r}"]


def _explain(a: Any, b: Any, path: str) -> str:
    diffs = _differences(a, b, path)
    return "; ".join(diffs[:3]) + (f"; and {len(diffs) - 3} more" if len(diffs) > 3 else "")


def check_scores(pack: Path, spec: dict, records: dict[str, list[SampleRecord]]) -> list[Problem]:
    """runs.json and summary.json must recompute exactly (bit for bit) from the records."""
    problems, docs = [], {}
    for name in (layout.RUNS, layout.SUMMARY):  # a deleted or mangled score file fails verification by name
        try:
            docs[name] = load_json(pack, name)
        except RecordError as err:
            problems.append(Problem("scores", name, err.message))
            docs[name] = {}
    runs_doc, summary_doc = docs[layout.RUNS], docs[layout.SUMMARY]
    for bench, meta in spec["benchmarks"].items():
        recs = records.get(bench, [])
        runs = json.loads(json.dumps(run_metrics(recs, int(spec["repeats"]))))
        summ = json.loads(json.dumps(benchmark_summary(recs, metric_key=meta["metric"], repeats=int(spec["repeats"]), n_samples=int(meta["n_samples"]), area=meta.get("area"))))
        rec_runs = runs_doc.get("benchmarks", {}).get(bench)
        rec_summ = summary_doc.get("benchmarks", {}).get(bench)
        if _differs(rec_runs, runs):
            problems.append(Problem("scores", layout.RUNS, f"{bench}: does not recompute from the records ({_explain(rec_runs, runs, 'run')})", field=f"benchmarks.{bench}"))
        if _differs(rec_summ, summ):
            problems.append(Problem("scores", layout.SUMMARY, f"{bench}: does not recompute from the records ({_explain(rec_summ, summ, bench)})", field=f"benchmarks.{bench}"))
    return problems


def check_model(model_dir: Path, recorded: dict, tokenizer_dir: Path | None = None) -> list[Problem]:
    """The verifier's copy of the model must hash as the pack's model.json says (before anything loads)."""
    if not model_dir.is_dir():
        return [Problem("model", str(model_dir), "model directory not found")]
    actual = model_hashes(model_dir, tokenizer_dir)
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
