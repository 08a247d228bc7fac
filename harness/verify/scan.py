"""The verifier's one pass over a pack's records, streamed: every row validated, every seed re-derived,
every generation's settings compared with spec.json's, every record's hash (row and token arrays)
compared with the index the run wrote. What the later steps need is kept light (`Row`: keys, seeds,
prompt hashes, scalar metrics), so memory follows items × runs, not tokens; whole records are read again
only for the few that are drawn or flagged (`RecordStore.load_keys`).
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from harness.benchmarks.factory import capabilities
from harness.pack import layout
from harness.pack.hashing import sha256_text
from harness.pack.summary import scalar_metrics, unscored_kind
from harness.records import tokens as tok
from harness.records.schema import READABLE_RECORD_VERSIONS, PromptRecord, SampleRecord
from harness.records.store import RecordStore, token_slots
from harness.seeds import request_seed, run_seed
from harness.verify.problems import Problem

_SETTINGS = ("temperature", "top_p", "top_k", "max_tokens")  # spec.json's, as recorded with each generation


@dataclass(frozen=True, slots=True)
class Row:
    """A record as the verifier's later steps need it: no text, no tokens."""

    sample_id: str
    task: str
    run: int
    seed: int
    prompt_shas: tuple[str, ...]
    metrics: dict[str, float]
    unscored: str | None = None  # why the sample-run has no score (harness.pack.summary.unscored_kind)

    @property
    def key(self) -> tuple[str, int]:
        return (self.sample_id, self.run)


@dataclass
class Scan:
    rows: dict[str, list[Row]] = field(default_factory=dict)  # per benchmark, in file order
    changed: dict[str, set[tuple[str, int]]] = field(default_factory=dict)  # per benchmark: changed or added since the run
    problems: list[Problem] = field(default_factory=list)


def _where(obj: Any) -> str | None:
    return f"{obj.get('sample_id')} run {obj.get('run')}" if isinstance(obj, dict) and "sample_id" in obj else None


def _index(path: Path) -> dict[tuple[str, str], bytes | str]:
    """(sample, run) → the recorded hash (as bytes: a third of the hex string's memory at 10^5 records)."""
    out: dict[tuple[str, str], bytes | str] = {}
    with open(path) as fh:
        for line in fh:
            parts = line.rstrip("\n").split(" ")
            if len(parts) == 3:
                try:
                    digest: bytes | str = bytes.fromhex(parts[0])
                except ValueError:
                    digest = parts[0]  # not hex: never equal to a computed hash
                out.setdefault((sys.intern(parts[1]), parts[2]), digest)
    return out


class _Tokens:
    """The tokens file read alongside the rows; where it ends early the record is a problem, and every
    record after it is unhashable (so flagged)."""

    def __init__(self, path: Path, rel: str):
        self.reader = tok.Reader(path)
        self.rel, self.broken = rel, False

    def take(self, rec: SampleRecord, problems: list[Problem]) -> list[bytes] | None:
        if self.broken:
            return None
        digests = []
        for slot in token_slots(rec):
            resp = rec.judge.response if slot == -1 else rec.responses[slot]
            try:
                cols = self.reader.take(resp.n_tokens)
            except (ValueError, OSError) as err:
                cols, why = None, str(err)
            else:
                why = "the tokens file ends first"
            if cols is None:
                problems.append(Problem("records", self.rel, f"response {slot}'s {resp.n_tokens} tokens are not in the tokens file ({why})",
                                        sample=f"{rec.sample_id} run {rec.run}", field=f"responses.{slot}.n_tokens"))
                self.broken = True
                return None
            digests.append(tok.digest(cols))
        return digests


def scan_records(pack: Path, spec: dict) -> Scan:
    """Stream every benchmark's records once (see the module's docstring)."""
    repeats, base = int(spec["repeats"]), int(spec["seed"])
    store, out = RecordStore(pack), Scan()
    for bench, meta in spec["benchmarks"].items():
        path = store.records_path(bench)
        rel = f"{layout.RECORDS}/{path.name}"
        out.rows[bench] = []
        if not path.is_file():
            out.problems.append(Problem("records", rel, "missing"))
            continue
        index_path = path.with_suffix(layout.LINE_HASHES)
        index = _index(index_path) if index_path.is_file() else None
        if index is None:
            out.problems.append(Problem("records", f"{layout.RECORDS}/{index_path.name}", "per-record hash index missing"))
        claimed = {k: v for k, v in (meta.get("generation") or {}).items() if k in _SETTINGS and v is not None}
        if capabilities(meta)["settings_per_call"]:  # agent loops set each call's settings
            claimed = {}
        tokens = _Tokens(store.tokens_path(bench), f"{layout.RECORDS}/{store.tokens_path(bench).name}")
        seen: dict[tuple[str, int], int] = {}
        diff: dict[tuple[str, str], str] = {}  # (sample, run) → changed / added, compared as read
        runs_per_sample: dict[str, set[int]] = defaultdict(set)
        named: set[str] = set()
        with open(path, "rb") as fh:
            for lineno, raw in enumerate(fh, start=1):
                if not raw.strip():
                    continue
                if not raw.endswith(b"\n"):
                    out.problems.append(Problem("records", rel, f"line {lineno} has no final newline (a torn or appended line)"))
                line = raw.rstrip(b"\n")
                rec = _parse(line, lineno, rel, out.problems)
                if rec is None:
                    tokens.broken = True  # its token rows cannot be matched: what follows cannot be hashed
                    continue
                if rec.key[1:] in seen:
                    out.problems.append(Problem("records", rel, f"line {lineno} duplicates line {seen[rec.key[1:]]}", sample=f"{rec.sample_id} run {rec.run}"))
                    continue
                seen[rec.key[1:]] = lineno
                digests = tokens.take(rec, out.problems)
                sid = sys.intern(rec.sample_id)
                if index is not None:
                    recorded = index.pop((sid, str(rec.run)), None)
                    if recorded is None:
                        diff[(sid, str(rec.run))] = "added"
                    elif digests is None or bytes.fromhex(tok.record_hash(line, digests)) != recorded:
                        diff[(sid, str(rec.run))] = "changed"
                runs_per_sample[sid].add(rec.run)
                out.problems += _seed_problems(rec, bench, base, rel) + _settings_problems(rec, claimed, rel)
                shas = tuple(sys.intern(r.prompt_sha256) for r in rec.responses)  # shared by an item's runs and options
                named.update(shas)
                if rec.judge is not None:
                    named.add(rec.judge.response.prompt_sha256)
                out.rows[bench].append(Row(sid, sys.intern(rec.task), rec.run, rec.seed, shas, scalar_metrics(rec.metrics),
                                           unscored_kind(rec.score_error)))
        if index is not None:
            diff.update({k: "deleted" for k in index})  # in the index, never read
            out.problems += [Problem("records", rel, f"record {what} since the run", sample=f"{sid} run {run}") for (sid, run), what in sorted(diff.items())]
            keys = {(sid, int(run)) for (sid, run), what in diff.items() if what != "deleted" and run.lstrip("-").isdigit()}
            if keys:
                out.changed[bench] = keys
        expected = int(meta["n_samples"])
        if len(runs_per_sample) != expected:
            out.problems.append(Problem("records", rel, f"{len(runs_per_sample)} samples recorded, spec.json says {expected} (records deleted or added)"))
        for sid, runs in sorted(runs_per_sample.items()):
            missing = sorted(set(range(repeats)) - runs)
            if missing:
                out.problems.append(Problem("records", rel, f"runs {missing} missing (records deleted)", sample=sid))
        out.problems += _prompt_store_problems(store.prompts_path(bench), named)
    derived = [run_seed(base, r) for r in range(repeats)]
    if spec.get("run_seeds") is not None and list(spec["run_seeds"]) != derived:
        out.problems.append(Problem("seeds", layout.SPEC, f"run seeds {spec['run_seeds']} != derived {derived}", field="run_seeds"))
    return out


def _parse(line: bytes, lineno: int, rel: str, problems: list[Problem]) -> SampleRecord | None:
    try:
        obj = json.loads(line)
    except ValueError as err:
        problems.append(Problem("records", rel, f"line {lineno} is not valid JSON ({err})"))
        return None
    if not isinstance(obj, dict) or obj.get("schema_version") not in READABLE_RECORD_VERSIONS:
        version = obj.get("schema_version") if isinstance(obj, dict) else None
        problems.append(Problem("records", rel, f"line {lineno}: schema_version {version!r}, expected one of {list(READABLE_RECORD_VERSIONS)}",
                                sample=_where(obj), field="schema_version"))
        return None
    try:
        return SampleRecord.model_validate(obj)
    except ValidationError as err:
        first = err.errors()[0]
        problems.append(Problem("records", rel, f"line {lineno}: {first['msg']}", sample=_where(obj), field=".".join(map(str, first["loc"]))))
        return None


def _seed_problems(rec: SampleRecord, bench: str, base: int, rel: str) -> list[Problem]:
    out = []
    derived = request_seed(run_seed(base, rec.run), bench, rec.sample_id, rec.run)
    where = f"{rec.sample_id} run {rec.run}"
    if rec.seed != derived:
        out.append(Problem("seeds", rel, f"recorded seed {rec.seed} != derived {derived}", sample=where, field="seed"))
    # agent episodes (τ²) seed every call with the episode seed reduced to τ²'s 31-bit range
    episode = "roles" in rec.extracted
    call_seed = rec.seed % 2**31 if episode else rec.seed
    for i, resp in enumerate(rec.responses):
        if resp.request_type == "generate_until" and (i == 0 or episode) and resp.seed != call_seed:
            out.append(Problem("seeds", rel, f"response seed {resp.seed} != {call_seed} derived from the record's seed", sample=where, field=f"responses.{i}.seed"))
    return out


def _settings_problems(rec: SampleRecord, claimed: dict[str, Any], rel: str) -> list[Problem]:
    """Each generation was made with the settings spec.json claims: the re-run re-issues the recorded ones."""
    out = []
    for i, resp in enumerate(rec.responses):
        if resp.request_type != "generate_until":
            continue
        got = resp.settings or {}
        for key, value in claimed.items():
            if got.get(key) != value:
                out.append(Problem("settings", rel, f"{key} {got.get(key)!r} != spec.json's {value!r}",
                                   sample=f"{rec.sample_id} run {rec.run}", field=f"responses.{i}.settings.{key}"))
    return out


def _prompt_store_problems(path: Path, named: set[str]) -> list[Problem]:
    """The content-addressed prompt store: every text hashes to its name; every name a record uses is there."""
    rel = f"{layout.PROMPTS}/{path.name}"
    out, have = [], set()
    if path.is_file():
        with open(path, "rb") as fh:
            for lineno, raw in enumerate(fh, start=1):
                if not raw.strip():
                    continue
                try:
                    p = PromptRecord.model_validate_json(raw)
                except ValidationError as err:
                    out.append(Problem("prompts", rel, f"line {lineno}: {err.errors()[0]['msg']}"))
                    continue
                if sha256_text(p.text) != p.sha256:
                    out.append(Problem("prompts", rel, f"line {lineno}: the text does not hash to its name {p.sha256[:12]}… (edited)", field="text"))
                have.add(p.sha256)
    if named - have:
        out.append(Problem("prompts", rel, f"{len(named - have)} prompts named by records are missing"))
    return out
