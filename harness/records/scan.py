"""What scores need of each row of `records/<benchmark>.jsonl`, read at ~1 µs a row instead of a full parse.

A history of nightly packs and `harness compare` read 10^5–10^6 rows at a time and need five fields of each:
sample id, run, metrics, score error, and what the item was asked (document and first prompt hashes).
Rows written by this harness (`model_dump_json`, fields in schema order) are cut at their known keys and
only the small pieces parsed; a row that does not match that shape (older schemas, hand-written rows) is
parsed whole, so the answer is the same either way. A row whose (sample, run) repeats an earlier one is
an error naming both lines, as in harness.records.store.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from harness.errors import RecordError

_HEAD = re.compile(rb'\{"schema_version":\d+,"benchmark":"(?:[^"\\]|\\.)*","task":"(?:[^"\\]|\\.)*",'
                   rb'"sample_id":("(?:[^"\\]|\\.)*"),"doc_id":-?\d+,"run":(\d+),"seed":-?\d+,"doc_sha256":"([0-9a-f]*)","target":')
# a scalar target, then the responses: the first one's prompt hash (a dict or list target: parsed whole)
_TARGET = re.compile(rb'(?:"(?:[^"\\]|\\.)*"|-?[0-9][0-9.eE+-]*|null|true|false),"responses":\[')
_FIRST = re.compile(rb'\{"request_type":"[a-z_]+","prompt_sha256":"([0-9a-f]*)"')
_METRICS = b',"metrics":{'
_JUDGE = b',"judge":'
_ERROR = b',"score_error":'


class ScanRow(NamedTuple):
    sample_id: str
    run: int
    metrics: dict[str, Any]  # shared between rows with the same metrics: read, never modify
    score_error: str | None
    doc_sha256: str | None
    prompt_sha256: str | None


def _slow(raw: bytes, lineno: int, path: Path, hashes: bool = True) -> ScanRow:
    try:
        obj = json.loads(raw)
        responses = obj.get("responses") or []
        if not hashes:
            return ScanRow(str(obj["sample_id"]), int(obj["run"]), dict(obj.get("metrics") or {}), obj.get("score_error"), None, None)
        return ScanRow(str(obj["sample_id"]), int(obj["run"]), dict(obj.get("metrics") or {}), obj.get("score_error"),
                       obj.get("doc_sha256"), responses[0].get("prompt_sha256") if responses else None)
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise RecordError(f"line {lineno} is not a record ({type(err).__name__}: {err})", file=path) from None


_cache: dict[bytes, Any] = {}  # metrics objects repeat (0/1 per metric): each distinct text parsed once


def _metrics(text: bytes) -> Any:
    found = _cache.get(text)
    if found is None:
        if len(_cache) > 50_000:
            _cache.clear()
        found = _cache[text] = json.loads(text.decode())
    return found


def _fast_no_hashes(raw: bytes) -> ScanRow | None:
    return _fast(raw, hashes=False)


def _fast(raw: bytes, hashes: bool = True) -> ScanRow | None:
    head = _HEAD.match(raw)
    m = raw.rfind(_METRICS)
    e = raw.rfind(_ERROR)
    if head is None or m < 0 or e < m or not raw.endswith(b"}"):
        return None
    j = raw.find(_JUDGE, m)
    if j < 0:
        return None
    tail = raw[e + len(_ERROR):-1]
    try:
        metrics = _metrics(raw[m + len(_METRICS) - 1:j])
        error = None if tail == b"null" else json.loads(tail.decode())
        quoted = head.group(1)
        sid = quoted[1:-1].decode() if b"\\" not in quoted else json.loads(quoted.decode())
    except ValueError:
        return None
    if not isinstance(metrics, dict) or not (error is None or isinstance(error, str)):
        return None
    if not hashes:
        return ScanRow(sys.intern(sid), int(head.group(2)), metrics, error, None, None)
    target = _TARGET.match(raw, head.end())
    if target is None:
        return None
    if raw.startswith(b"]", target.end()):
        prompt = None
    else:
        first = _FIRST.match(raw, target.end())
        if first is None:
            return None
        prompt = first.group(1).decode()
    return ScanRow(sys.intern(sid), int(head.group(2)), metrics, error, head.group(3).decode(), prompt)


def scan_rows(path: Path, *, hashes: bool = True) -> Iterator[ScanRow]:
    """Each complete row of a records file, in order (a torn last line, from a killed writer, is not a row).
    `hashes=False`: leave doc_sha256 and prompt_sha256 out (None), a little faster."""
    seen: set[tuple[str, int]] = set()
    fast = _fast if hashes else _fast_no_hashes
    with open(path, "rb", buffering=1 << 20) as fh:
        for lineno, raw in enumerate(fh, start=1):
            if raw[-1:] != b"\n":
                return  # torn tail of a killed writer
            if raw.isspace():
                continue
            raw = raw.rstrip(b"\r\n")
            row = fast(raw) or _slow(raw, lineno, path, hashes)
            key = (row.sample_id, row.run)
            if key in seen:
                _repeated(path, key)
            seen.add(key)
            yield row


def _repeated(path: Path, key: tuple[str, int]) -> None:
    """Name both lines of a repeated (sample, run): a second, slow pass, only on this error."""
    lines = []
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if raw.endswith(b"\n") and not raw.isspace():
                raw = raw.rstrip(b"\r\n")
                row = _fast(raw) or _slow(raw, lineno, path)
                if (row.sample_id, row.run) == key:
                    lines.append(lineno)
    raise RecordError(f"line {lines[-1]} repeats sample {key[0]} run {key[1]} (first at line {lines[0]})", file=path, field="sample_id")
