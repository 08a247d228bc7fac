"""Append-only JSONL stores for records and prompts. Resume = read what is there, skip it.

A job killed mid-write can leave a torn last line; it was never a complete record, so on reopening we cut it
off (and only it) before appending. Every complete line already recorded stays untouched.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from pydantic import ValidationError

from harness.errors import RecordError
from harness.records.schema import READABLE_RECORD_VERSIONS, PromptRecord, SampleRecord

RECORDS_DIR = "records"
PROMPTS_DIR = "prompts"


def read_jsonl(path: Path) -> Iterator[tuple[int, dict]]:
    """Yield (line number, object) for each complete line; a torn final line (no newline) is skipped."""
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.endswith(b"\n"):
                return  # torn tail of a killed writer
            if not raw.strip():
                continue
            try:
                yield lineno, json.loads(raw)
            except json.JSONDecodeError as err:
                raise RecordError(f"line {lineno} is not valid JSON ({err.msg})", file=path) from None


def read_records(path: Path) -> list[SampleRecord]:
    """Parse and validate every record of one benchmark's file; a duplicate (benchmark, sample, run) is an error."""
    seen: dict[tuple[str, str, int], int] = {}
    out = []
    for lineno, obj in read_jsonl(path):
        version = obj.get("schema_version")
        if version not in READABLE_RECORD_VERSIONS:
            raise RecordError(
                f"line {lineno}: schema_version {version!r}, this harness reads {list(READABLE_RECORD_VERSIONS)}",
                file=path,
                field="schema_version",
            )
        try:
            rec = SampleRecord.model_validate(obj)
        except ValidationError as err:
            first = err.errors()[0]
            loc = ".".join(map(str, first["loc"]))
            raise RecordError(f"line {lineno}: {first['msg']}", file=path, field=loc) from None
        if rec.key in seen:
            raise RecordError(
                f"line {lineno} repeats sample {rec.sample_id} run {rec.run} (first at line {seen[rec.key]})",
                file=path,
                field="sample_id",
            )
        seen[rec.key] = lineno
        out.append(rec)
    return out


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
    if not path.exists() or path.stat().st_size == 0:
        return
    with open(path, "rb+") as fh:
        data = fh.read()
        if data.endswith(b"\n"):
            return
        fh.truncate(data.rfind(b"\n") + 1)


class RecordStore:
    """The records and prompts of one evidence pack, one file per benchmark."""

    def __init__(self, pack_dir: Path):
        self.pack_dir = Path(pack_dir)

    def records_path(self, benchmark: str) -> Path:
        return self.pack_dir / RECORDS_DIR / f"{benchmark}.jsonl"

    def prompts_path(self, benchmark: str) -> Path:
        return self.pack_dir / PROMPTS_DIR / f"{benchmark}.jsonl"

    def load(self, benchmark: str) -> list[SampleRecord]:
        path = self.records_path(benchmark)
        return read_records(path) if path.exists() else []

    def load_prompts(self, benchmark: str) -> dict[str, str]:
        path = self.prompts_path(benchmark)
        return read_prompts(path) if path.exists() else {}

    def open_for_append(self, benchmark: str) -> _Appender:
        return _Appender(self.records_path(benchmark), self.prompts_path(benchmark))


class _Appender:
    """Appends prompts before the records that name them, flushing and syncing each batch."""

    def __init__(self, records_path: Path, prompts_path: Path):
        for p in (records_path, prompts_path):
            p.parent.mkdir(parents=True, exist_ok=True)
            _cut_torn_tail(p)
        self._known_prompts = set(read_prompts(prompts_path)) if prompts_path.exists() else set()
        self._records = open(records_path, "a", encoding="utf-8")
        self._prompts = open(prompts_path, "a", encoding="utf-8")

    def append(self, records: Iterable[SampleRecord], prompts: dict[str, str]) -> None:
        new = {h: t for h, t in prompts.items() if h not in self._known_prompts}
        for h, text in new.items():
            self._prompts.write(json.dumps({"sha256": h, "text": text}, ensure_ascii=False) + "\n")
        self._sync(self._prompts)
        self._known_prompts.update(new)
        for rec in records:
            self._records.write(rec.model_dump_json() + "\n")
        self._sync(self._records)

    @staticmethod
    def _sync(fh) -> None:
        fh.flush()
        os.fsync(fh.fileno())

    def close(self) -> None:
        self._records.close()
        self._prompts.close()

    def __enter__(self) -> _Appender:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


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
