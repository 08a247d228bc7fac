"""The records and prompts of a pack: append-only, streamed, resumable.

Per benchmark, `records/<b>.jsonl` holds one compact JSON row per record (everything but token arrays; each
response says how many tokens it has), `records/<b>.tokens.arrows` the token arrays as columns
(harness.records.tokens), and `prompts/<b>.jsonl` each prompt text once. Token rows are written before the
rows that name them, and prompts before both, so a job killed at any point leaves a prefix that reads back
whole: on reopening, a torn row or batch — and rows whose tokens never landed — are cut back (and only
they), and the job continues. Version-1 and -2 records (arrays inside the JSON) read the same way.

Readers stream: rows alone (`iter_rows`, what scores need), whole records (`iter_records`), a few records by
key (`load_keys`), per-record hashes (`record_hashes`); memory stays flat as a pack grows.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from harness.errors import RecordError
from harness.records import tokens as tok
from harness.records.schema import READABLE_RECORD_VERSIONS, PromptRecord, SampleRecord

RECORDS_DIR = "records"
PROMPTS_DIR = "prompts"
_FLUSH_RECORDS, _FLUSH_TOKENS, _FLUSH_SECONDS = 256, 1 << 18, 10.0
# HARNESS_RECORD_FLUSH_S: the longest a scored record waits in memory before it is synced (default 10 s: a
# killed job re-generates at most that much). Not part of the config: it changes no result, only how much a
# kill loses; 0 syncs every batch as it comes (the resume test, interactive debugging).
FLUSH_ENV = "HARNESS_RECORD_FLUSH_S"


def flush_seconds() -> float:
    value = os.environ.get(FLUSH_ENV)
    if value is None:
        return _FLUSH_SECONDS
    try:
        seconds = float(value)
    except ValueError:
        raise RecordError(f"{FLUSH_ENV}={value!r} is not a number of seconds", field=FLUSH_ENV) from None
    if not seconds >= 0:
        raise RecordError(f"{FLUSH_ENV}={value!r} must be 0 or more seconds", field=FLUSH_ENV)
    return seconds


def read_jsonl(path: Path) -> Iterator[tuple[int, dict]]:
    """Yield (line number, object) for each complete line; a torn final line (no newline) is skipped."""
    for lineno, raw in _lines(path):
        try:
            yield lineno, json.loads(raw)
        except json.JSONDecodeError as err:
            raise RecordError(f"line {lineno} is not valid JSON ({err.msg})", file=path) from None


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.endswith(b"\n"):
                return  # torn tail of a killed writer
            if raw.strip():
                yield lineno, raw[:-1]


def _record(obj: Any, lineno: int, path: Path) -> SampleRecord:
    version = obj.get("schema_version") if isinstance(obj, dict) else None
    if version not in READABLE_RECORD_VERSIONS:
        raise RecordError(f"line {lineno}: schema_version {version!r}, this harness reads {list(READABLE_RECORD_VERSIONS)}",
                          file=path, field="schema_version")
    try:
        return SampleRecord.model_validate(obj)
    except ValidationError as err:
        first = err.errors()[0]
        raise RecordError(f"line {lineno}: {first['msg']}", file=path, field=".".join(map(str, first["loc"]))) from None


def token_slots(rec: SampleRecord) -> list[int]:
    """The response indices whose tokens live in the tokens file, in order (-1: the judge's)."""
    slots = [i for i, r in enumerate(rec.responses) if r.n_tokens]
    if rec.judge is not None and rec.judge.response.n_tokens:
        slots.append(-1)
    return slots


def _response(rec: SampleRecord, slot: int) -> Any:
    return rec.judge.response if slot == -1 else rec.responses[slot]


def _n_tokens(rec: SampleRecord) -> int:
    return sum(_response(rec, s).n_tokens or 0 for s in token_slots(rec))


def read_prompts(path: Path) -> dict[str, str]:
    prompts: dict[str, str] = {}
    for lineno, obj in read_jsonl(path):
        try:
            p = PromptRecord.model_validate(obj)
        except ValidationError as err:
            raise RecordError(f"line {lineno}: {err.errors()[0]['msg']}", file=path) from None
        prompts[p.sha256] = p.text
    return prompts


def _cut_torn_tail(path: Path) -> None:
    """Cut a final line without its newline (reading backwards: files may be large)."""
    if not path.exists():
        return
    size = path.stat().st_size
    with open(path, "rb+") as fh:
        pos = size
        while pos > 0:
            step = min(1 << 16, pos)
            fh.seek(pos - step)
            chunk = fh.read(step)
            if pos == size and chunk.endswith(b"\n"):
                return
            nl = chunk.rfind(b"\n")
            if nl >= 0:
                fh.truncate(pos - step + nl + 1)
                return
            pos -= step
        fh.truncate(0)


def iter_lines(path: Path) -> Iterator[tuple[int, bytes, SampleRecord]]:
    """(line number, the row's bytes, the record without token arrays), in file order; a repeated
    (sample, run) is an error naming both lines."""
    if not path.exists():
        return
    seen: dict[tuple[str, str, int], int] = {}
    for lineno, raw in _lines(path):
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as err:
            raise RecordError(f"line {lineno} is not valid JSON ({err.msg})", file=path) from None
        rec = _record(obj, lineno, path)
        if rec.key in seen:
            raise RecordError(f"line {lineno} repeats sample {rec.sample_id} run {rec.run} (first at line {seen[rec.key]})",
                              file=path, field="sample_id")
        seen[rec.key] = lineno
        yield lineno, raw, rec


def joined(records_path: Path, tokens_path: Path) -> Iterator[tuple[bytes, SampleRecord, list[dict]]]:
    """Each row with its token rows (in the tokens file's order), checked to belong to it."""
    reader = tok.Reader(tokens_path)
    for lineno, raw, rec in iter_lines(records_path):
        mine = []
        for slot in token_slots(rec):
            cols = reader.take(_response(rec, slot).n_tokens)
            if cols is None:
                raise RecordError(f"line {lineno} ({rec.sample_id} run {rec.run}): the tokens file ends before response {slot}'s "
                                  f"{_response(rec, slot).n_tokens} tokens", file=tokens_path, field=f"responses.{slot}.n_tokens")
            mine.append(cols)
        yield raw, rec, mine


def _filled(rec: SampleRecord, rows: list[dict]) -> SampleRecord:
    for slot, cols in zip(token_slots(rec), rows, strict=True):
        tok.decode(cols, _response(rec, slot))
    return rec


class RecordStore:
    """The records and prompts of one evidence pack, one set of files per benchmark."""

    def __init__(self, pack_dir: Path):
        self.pack_dir = Path(pack_dir)

    def records_path(self, benchmark: str) -> Path:
        return self.pack_dir / RECORDS_DIR / f"{benchmark}.jsonl"

    def tokens_path(self, benchmark: str) -> Path:
        return self.pack_dir / RECORDS_DIR / f"{benchmark}{tok.SUFFIX}"

    def prompts_path(self, benchmark: str) -> Path:
        return self.pack_dir / PROMPTS_DIR / f"{benchmark}.jsonl"

    # -- streaming readers --------------------------------------------------------------------------------
    def iter_rows(self, benchmark: str) -> Iterator[SampleRecord]:
        """Records without their token arrays: everything scores, seeds and settings need."""
        for _, _, rec in iter_lines(self.records_path(benchmark)):
            yield rec

    def iter_records(self, benchmark: str) -> Iterator[SampleRecord]:
        """Whole records, token arrays included, one at a time."""
        for _, rec, rows in joined(self.records_path(benchmark), self.tokens_path(benchmark)):
            yield _filled(rec, rows)

    def hashed_rows(self, benchmark: str) -> Iterator[tuple[str, SampleRecord]]:
        """Each record's hash (its row and its token arrays, harness.records.tokens.record_hash) with the
        record itself, without its token arrays: one pass serves the index and the scores."""
        for raw, rec, rows in joined(self.records_path(benchmark), self.tokens_path(benchmark)):
            yield tok.record_hash(raw, [tok.digest(c) for c in rows]), rec

    def record_hashes(self, benchmark: str) -> Iterator[tuple[str, str, int]]:
        """(hash, sample_id, run) per record: the per-record index."""
        for digest, rec in self.hashed_rows(benchmark):
            yield digest, rec.sample_id, rec.run

    def load(self, benchmark: str) -> list[SampleRecord]:
        """Every record of a benchmark, whole (small packs, tests; the streaming readers for the rest)."""
        return list(self.iter_records(benchmark))

    def load_keys(self, benchmark: str, keys: set[tuple[str, int]]) -> dict[tuple[str, int], SampleRecord]:
        """The named records, whole; the rest are passed over without building their token lists."""
        return {(rec.sample_id, rec.run): _filled(rec, rows)
                for _, rec, rows in joined(self.records_path(benchmark), self.tokens_path(benchmark)) if (rec.sample_id, rec.run) in keys}

    def keys(self, benchmark: str) -> set[tuple[str, int]]:
        return {(r.sample_id, r.run) for r in self.iter_rows(benchmark)}

    def load_prompts(self, benchmark: str) -> dict[str, str]:
        path = self.prompts_path(benchmark)
        return read_prompts(path) if path.exists() else {}

    def open_for_append(self, benchmark: str) -> _Appender:
        return _Appender(self.records_path(benchmark), self.tokens_path(benchmark), self.prompts_path(benchmark))


def read_records(path: Path) -> list[SampleRecord]:
    """Every record of one benchmark's rows file (and its tokens file beside it), whole."""
    path = Path(path)
    return [_filled(rec, rows) for _, rec, rows in joined(path, path.with_name(path.stem + tok.SUFFIX))]


class _Appender:
    """Appends prompts, then token rows, then the records' rows; buffered into batches (a few hundred
    records or ~256k tokens, or 10 s) and synced per batch."""

    def __init__(self, records_path: Path, tokens_path: Path, prompts_path: Path):
        for p in (records_path, prompts_path):
            p.parent.mkdir(parents=True, exist_ok=True)
            _cut_torn_tail(p)
        self._paths = (records_path, tokens_path, prompts_path)
        _reconcile(records_path, tokens_path)
        self._known_prompts = set(read_prompts(prompts_path)) if prompts_path.exists() else set()
        self._records = open(records_path, "ab")
        self._prompts = open(prompts_path, "a", encoding="utf-8")
        self._rows: list[bytes] = []
        self._tokens: list[dict[str, Any]] = []  # per response with tokens: its columns
        self._n_tokens = 0
        self._last = time.monotonic()
        self._flush_s = flush_seconds()

    def append(self, records: Iterable[SampleRecord], prompts: dict[str, str]) -> None:
        new = {h: t for h, t in prompts.items() if h not in self._known_prompts}
        for h, text in new.items():
            self._prompts.write(json.dumps({"sha256": h, "text": text}, ensure_ascii=False) + "\n")
        if new:
            self._sync(self._prompts)
            self._known_prompts.update(new)
        for rec in records:
            cols = [tok.encode(r) for r in rec.responses + ([rec.judge.response] if rec.judge else []) if r.token_ids]
            self._tokens += cols
            self._n_tokens += sum(len(c["token_id"]) for c in cols)
            self._rows.append(row_line(rec))
        if len(self._rows) >= _FLUSH_RECORDS or self._n_tokens >= _FLUSH_TOKENS or time.monotonic() - self._last >= self._flush_s:
            self.flush()

    def flush(self) -> None:
        if self._tokens:
            tok.append(self._paths[1], self._tokens)
        if self._rows:
            self._records.write(b"".join(line + b"\n" for line in self._rows))
            self._sync(self._records)
        self._rows, self._tokens, self._n_tokens, self._last = [], [], 0, time.monotonic()

    @staticmethod
    def _sync(fh) -> None:
        fh.flush()
        os.fsync(fh.fileno())

    def close(self) -> None:
        self.flush()
        self._records.close()
        self._prompts.close()

    def __enter__(self) -> _Appender:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def row_line(rec: SampleRecord) -> bytes:
    """A record's row: the record with each response's token arrays replaced by its token count."""
    slim = rec.model_copy(deep=False, update={
        "responses": [_slim(r) for r in rec.responses],
        "judge": None if rec.judge is None else rec.judge.model_copy(update={"response": _slim(rec.judge.response)}),
    })
    return slim.model_dump_json().encode("utf-8")


def _slim(resp: Any) -> Any:
    if not resp.token_ids:
        return resp
    return resp.model_copy(update={"n_tokens": len(resp.token_ids), "token_ids": [], "logprobs": [], "top_ids": [], "top_logprobs": []})


def _reconcile(records_path: Path, tokens_path: Path) -> None:
    """After a kill: keep the longest prefix of rows whose token rows all landed, and cut the tokens file back
    to exactly those (whole batches only)."""
    if not tokens_path.exists():
        return
    ends, good = tok.batch_ends(tokens_path)
    if good < tokens_path.stat().st_size:
        tok.truncate(tokens_path, good)  # a torn batch
    boundaries = {rows: offset for offset, rows in ends}
    boundaries[0] = len(tok.header()) if ends or good else 0
    keep_bytes, keep_rows, used, offset = 0, 0, 0, 0
    if records_path.exists():
        with open(records_path, "rb") as fh:
            for raw in fh:
                offset += len(raw)
                rec = SampleRecord.model_validate_json(raw)
                used += _n_tokens(rec)
                if used in boundaries:
                    keep_bytes, keep_rows = offset, used
                if used > (ends[-1][1] if ends else 0):
                    break
    with open(records_path, "rb+") if records_path.exists() else open(records_path, "wb") as fh:
        fh.truncate(keep_bytes)
    if keep_rows:
        tok.truncate(tokens_path, boundaries[keep_rows])
    elif tokens_path.stat().st_size:
        tok.truncate(tokens_path, 0)


class RecordSink:
    """Appenders for every benchmark of a job, each opened when its first records arrive: scoring finishes
    out of benchmark order, so records of several benchmarks may be landing at once. `on_append(benchmark,
    n)` hears of every batch written."""

    def __init__(self, store: RecordStore, on_append=None):
        self.store, self.on_append = store, on_append
        self._open: dict[str, _Appender] = {}

    def append(self, items: Iterable[tuple[SampleRecord, dict[str, str]]]) -> None:
        by_bench: dict[str, tuple[list[SampleRecord], dict[str, str]]] = {}
        for rec, prompts in items:
            recs, texts = by_bench.setdefault(rec.benchmark, ([], {}))
            recs.append(rec)
            texts.update(prompts)
        for bench, (recs, texts) in by_bench.items():
            if bench not in self._open:
                self._open[bench] = self.store.open_for_append(bench)
            self._open[bench].append(recs, texts)
            if self.on_append is not None:
                self.on_append(bench, len(recs))

    def close(self) -> None:
        for appender in self._open.values():
            appender.close()
        self._open.clear()

    def __enter__(self) -> RecordSink:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
