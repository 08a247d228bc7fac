"""The per-sample browser's data: for each benchmark an index (one short row per sample: id, filter flags, mean
score, search text) and the samples themselves in chunks the page loads only when one is opened.

A pack can hold 10^5 samples × 5 runs with long outputs, so nothing here holds a benchmark in memory: one
streamed pass over the records spills each record's display form to its chunk's spill file (a sample's chunk
is fixed by the order its first run appears), then each chunk is grouped and written on its own, its prompt
texts read by offset from the pack's prompt store. Files are JavaScript (`HR.index(…)`, `HR.chunk(…)`) rather
than JSON because a page opened from disk may not fetch() files beside it, but may load scripts.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.pack.summary import SANDBOX_ERROR
from harness.records.store import RecordStore

# Filter flags (bit values shared with assets/browser.js)
WRONG_ALL, INCONSISTENT, DIVERGED, JUDGED, SANDBOX, UNSCORED = 1, 2, 4, 8, 16, 32
FLAG_NAMES = {WRONG_ALL: "wrong in every run", INCONSISTENT: "inconsistent across runs", DIVERGED: "diverged in verification",
              JUDGED: "judged", SANDBOX: "sandbox error", UNSCORED: "unscored run"}
SEARCH_PROMPT_CHARS = 200  # of the prompt, searchable from the index (the rest is in the chunk)
SPILL_BYTES = 64 << 20  # buffered display rows flushed to the spill files beyond this


@dataclass
class BrowserData:
    benchmark: str
    n_samples: int
    n_chunks: int
    flag_counts: dict[str, int]
    index_file: str  # relative to the report's root


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)  # one encoder: 10^5 calls


def _js_string(obj: Any) -> str:
    # "</" closes a <script> element even inside a string: escape it, as the files may be inlined one day.
    return _ENCODER.encode(obj).replace("</", "<\\/")


def _number(x: Any) -> float | None:
    if isinstance(x, bool):
        return float(x)
    if isinstance(x, (int, float)) and math.isfinite(float(x)):
        return float(x)
    return None


def _display(rec: Any) -> dict[str, Any]:
    """What the browser shows of one sample-run (no token arrays: those stay in the pack; the sample's task,
    document and target are shown once for all its runs)."""
    responses = []
    for r in rec.responses:
        d: dict[str, Any] = {"type": r.request_type, "prompt": r.prompt_sha256}
        if r.request_type == "generate_until":
            d.update(text=r.text, finish_reason=r.finish_reason)
        else:
            d.update(continuation=r.continuation, loglikelihood=r.loglikelihood, is_greedy=r.is_greedy)
        d["n_tokens"] = r.n_tokens if r.n_tokens is not None else len(r.token_ids)
        responses.append(d)
    out = {"run": rec.run, "seed": str(rec.seed), "extracted": rec.extracted, "metrics": rec.metrics, "responses": responses}
    if rec.score_error is not None:
        out["score_error"] = rec.score_error
    if rec.judge is not None:
        out["judge"] = {"model": rec.judge.model, "verdict": rec.judge.verdict}
    return out


class _PromptIndex:
    """sha256 → (offset, length) in the pack's prompt store: texts are read only for the chunk being written."""

    def __init__(self, path: Path):
        self.path, self.where = path, {}
        if path.exists():
            with open(path, "rb") as fh:
                offset = 0
                for line in fh:
                    if line.strip():
                        self.where[json.loads(line)["sha256"]] = (offset, len(line))
                    offset += len(line)
        self._fh = open(path, "rb") if path.exists() else None

    def text(self, sha: str) -> str | None:
        if self._fh is None or sha not in self.where:
            return None
        offset, n = self.where[sha]
        self._fh.seek(offset)
        return json.loads(self._fh.read(n))["text"]

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()


@dataclass
class _Sample:
    """What the index needs of a sample, gathered as its runs stream past (no texts but the searchable ones)."""

    task: str
    doc_id: int
    target: str  # as JSON
    flags: int = 0
    values: list[float] = field(default_factory=list)
    prompts: dict[str, None] = field(default_factory=dict)  # ordered set of prompt hashes
    answers: set[str] = field(default_factory=set)

    def add(self, rec: Any, metric: str) -> None:
        for r in rec.responses:
            self.prompts.setdefault(r.prompt_sha256)
        self.answers.update(str(v) for v in rec.extracted.values() if v is not None)
        if rec.score_error is not None:
            self.flags |= SANDBOX if rec.score_error.startswith(SANDBOX_ERROR) else UNSCORED
            return
        if rec.judge is not None:
            self.flags |= JUDGED
        v = _number(rec.metrics.get(metric))
        if v is not None:
            self.values.append(v)

    def finish(self, diverged: bool) -> tuple[int, float | None]:
        flags, vs = self.flags | (DIVERGED if diverged else 0), self.values
        if vs:
            flags |= WRONG_ALL if all(v <= 0 for v in vs) else 0
            flags |= INCONSISTENT if max(vs) != min(vs) else 0
        return flags, (100.0 * sum(vs) / len(vs) if vs else None)


def _search_text(sample_id: str, s: _Sample, prompt: str | None) -> str:
    parts = [sample_id, json.loads(s.target) if s.target.startswith('"') else s.target, *sorted(s.answers), (prompt or "")[:SEARCH_PROMPT_CHARS]]
    return " ".join(" ".join(str(p) for p in parts).split()).lower()


def write_benchmark(store: RecordStore, bench: str, metric: str, out: Path, rel: str, *,
                    diverged: Iterable[str] = (), chunk_size: int = 200) -> BrowserData:
    """Write `<out>/index.js` and `<out>/chunk-<n>.js` for one benchmark; `rel` is `out` relative to the site."""
    out.mkdir(parents=True, exist_ok=True)
    diverged = set(diverged)
    order: dict[str, int] = {}
    samples: list[_Sample] = []
    buffers: dict[int, list[str]] = defaultdict(list)
    buffered = 0
    with tempfile.TemporaryDirectory(prefix="harness-report-") as tmp:
        spill = Path(tmp)

        def flush() -> None:
            for c, lines in buffers.items():
                with open(spill / f"{c}.txt", "a", encoding="utf-8") as fh:
                    fh.writelines(lines)
            buffers.clear()

        # one pass over the records: each run's display form is serialised once, to its chunk's spill file
        for rec in store.iter_rows(bench):
            n = order.get(rec.sample_id)
            if n is None:
                n = order[rec.sample_id] = len(samples)
                samples.append(_Sample(rec.task, rec.doc_id, _js_string(rec.target)))
            samples[n].add(rec, metric)
            line = f"{n}\t{rec.run}\t{_js_string(_display(rec))}\n"
            buffers[n // chunk_size].append(line)
            buffered += len(line)
            if buffered > SPILL_BYTES:
                flush()
                buffered = 0
        flush()

        prompts = _PromptIndex(store.prompts_path(bench))
        ids = list(order)
        rows: list[list[Any]] = []
        counts = {name: 0 for name in FLAG_NAMES.values()}
        n_chunks = (len(ids) + chunk_size - 1) // chunk_size
        try:
            for c in range(n_chunks):
                runs: dict[int, list[tuple[int, str]]] = defaultdict(list)
                with open(spill / f"{c}.txt", encoding="utf-8") as fh:
                    for line in fh:
                        n, run, text = line.rstrip("\n").split("\t", 2)
                        runs[int(n)].append((int(run), text))
                parts = []
                for n in range(c * chunk_size, min((c + 1) * chunk_size, len(ids))):
                    sid, s = ids[n], samples[n]
                    texts = {sha: prompts.text(sha) for sha in s.prompts}
                    flags, mean = s.finish(sid in diverged)
                    for bit, name in FLAG_NAMES.items():
                        counts[name] += bool(flags & bit)
                    rows.append([sid, flags, mean, c, _search_text(sid, s, next(iter(texts.values()), None))])
                    body = ",".join(t for _, t in sorted(runs[n], key=lambda rt: rt[0]))
                    parts.append(f'{{"id":{_js_string(sid)},"task":{_js_string(s.task)},"doc_id":{s.doc_id},"target":{s.target},'
                                 f'"prompts":{_js_string(texts)},"runs":[{body}]}}')
                (out / f"chunk-{c}.js").write_text(f"HR.chunk({_js_string(bench)},{c},[{','.join(parts)}]);\n", encoding="utf-8")
        finally:
            prompts.close()
    index = {"benchmark": bench, "metric": metric, "chunk_size": chunk_size, "rows": rows}
    (out / "index.js").write_text(f"HR.index({_js_string(bench)},{_js_string(index)});\n", encoding="utf-8")
    return BrowserData(bench, len(ids), n_chunks, counts, f"{rel}/index.js")
