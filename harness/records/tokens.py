"""The heavy part of records: every generated or scored token with its log-prob and runner-ups, as columns.

`records/<benchmark>.tokens.arrows` is an Apache Arrow IPC stream (zstd), one row per token, the tokens of
all responses concatenated in the order of the records' rows (each response's `n_tokens` says how many are
its own; a judge's response comes after the record's). Columns:

    token_id: int32        the token
    logprob: float32       its log-prob, as the engine returned it
    rank: int8             where it stood among the engine's top alternatives (0 = best), -1 not among
                           them, -2 no alternatives recorded
    alt1_id … alt4_id: int32, alt1_logprob … alt4_logprob: float16
                           the top alternatives other than the token itself, best first (-1 / NaN: none)

A response's `top_ids` is the alternatives with the token put back at its rank (its log-prob exact), so no
alternative the engine returned is lost, and no list offsets are stored (they cost more than the values).
The token's own log-prob stays float32, as the engine returned it: the verifier compares it with the
re-computed one. The alternatives' log-probs serve one purpose, the top-two margin of the tie rule, and are
float16: rounding moves a log-prob in [-32, 0] by at most 0.008 nats, thirty times below the smallest tie
margin ε the verifier uses (0.25). Batches are
appended as raw IPC messages, so a stream grows across job sessions; a batch torn by a kill is cut back to
the last whole one, as a torn JSONL line is. Any Arrow reader opens it: `pyarrow.ipc.open_stream(path)`.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

SUFFIX = ".tokens.arrows"
MAX_ALTERNATIVES = 4  # top alternatives kept per token besides the token itself (run.logprobs ≤ 4)
_ALT_IDS = [f"alt{i}_id" for i in range(1, MAX_ALTERNATIVES + 1)]
_ALT_LPS = [f"alt{i}_logprob" for i in range(1, MAX_ALTERNATIVES + 1)]
COLUMNS = ("token_id", "logprob", "rank", *_ALT_IDS, *_ALT_LPS)


def schema():
    import pyarrow as pa

    return pa.schema([("token_id", pa.int32()), ("logprob", pa.float32()), ("rank", pa.int8()),
                      *[(c, pa.int32()) for c in _ALT_IDS], *[(c, pa.float16()) for c in _ALT_LPS]])


def header() -> bytes:
    """The stream's first message: its schema."""
    return schema().serialize().to_pybytes()


# -- encoding ---------------------------------------------------------------------------------------------
def encode(resp: Any) -> dict[str, np.ndarray]:
    """One response's token arrays as columns (see the module docstring); lossless."""
    n = len(resp.token_ids)
    ids = np.asarray(resp.token_ids, dtype=np.int32)
    lps = np.asarray(resp.logprobs, dtype=np.float32) if resp.logprobs else np.full(n, np.nan, np.float32)
    rank = np.full(n, -2, np.int8)
    alt_ids = np.full((n, MAX_ALTERNATIVES), -1, np.int32)
    alt_lps = np.full((n, MAX_ALTERNATIVES), np.nan, np.float16)
    tops, tlps = resp.top_ids or [], resp.top_logprobs or []
    widths = {len(t) for t in tops}
    if len(tops) == n and len(widths) == 1 and 0 not in widths:  # the usual case: k alternatives everywhere
        _encode_dense(ids, lps, np.asarray(tops, np.int32), np.asarray(tlps, np.float32), rank, alt_ids, alt_lps)
    else:
        for p in range(min(n, len(tops))):
            if tops[p]:
                _encode_dense(ids[p:p + 1], lps[p:p + 1], np.asarray([tops[p]], np.int32), np.asarray([tlps[p]], np.float32),
                              rank[p:p + 1], alt_ids[p:p + 1], alt_lps[p:p + 1])
    out = {"token_id": ids, "logprob": lps, "rank": rank}
    out.update({c: np.ascontiguousarray(alt_ids[:, i]) for i, c in enumerate(_ALT_IDS)})
    out.update({c: np.ascontiguousarray(alt_lps[:, i]) for i, c in enumerate(_ALT_LPS)})
    return out


def _encode_dense(ids, lps, top, tlp, rank, alt_ids, alt_lps) -> None:
    """Rows of k alternatives each: the token's rank among them, and the others in order, written in place."""
    n, k = top.shape
    match = (top == ids[:, None]) & (tlp == lps[:, None])
    has = match.any(axis=1)
    r = np.where(has, match.argmax(axis=1), -1)
    keep = np.arange(k)[None, :] != r[:, None]
    width = int(keep.sum(axis=1).max()) if n else 0
    if width > MAX_ALTERNATIVES:
        raise ValueError(f"{width} alternatives at a position; the token store keeps at most {MAX_ALTERNATIVES} (run.logprobs ≤ {MAX_ALTERNATIVES})")
    order = np.argsort(~keep, axis=1, kind="stable")[:, :width]
    a_ids = np.take_along_axis(top, order, axis=1)
    a_lps = np.take_along_axis(tlp, order, axis=1)
    filled = np.arange(width)[None, :] < keep.sum(axis=1)[:, None]
    rank[:] = r
    alt_ids[:, :width] = np.where(filled, a_ids, -1)
    alt_lps[:, :width] = np.where(filled, a_lps, np.nan).astype(np.float16)


def decode(cols: dict[str, np.ndarray], resp: Any) -> None:
    """Fill a response's token_ids, logprobs, top_ids and top_logprobs from its columns."""
    ids, lps, rank = cols["token_id"], cols["logprob"], cols["rank"]
    resp.token_ids = ids.tolist()
    resp.logprobs = [] if len(lps) and np.isnan(lps).all() else lps.tolist()
    alt_ids = np.stack([cols[c] for c in _ALT_IDS]) if len(ids) else np.zeros((MAX_ALTERNATIVES, 0), np.int32)
    alt_lps = np.stack([cols[c] for c in _ALT_LPS]) if len(ids) else np.zeros((MAX_ALTERNATIVES, 0), np.float16)
    tops, tlps = [], []
    any_top = False
    for p in range(len(ids)):
        r = int(rank[p])
        if r == -2:
            tops.append([]), tlps.append([])
            continue
        any_top = True
        keep = alt_ids[:, p] != -1
        t, lp = alt_ids[keep, p].tolist(), alt_lps[keep, p].tolist()
        if r >= 0:
            t.insert(r, int(ids[p]))
            lp.insert(r, float(lps[p]))
        tops.append(t), tlps.append(lp)
    resp.top_ids, resp.top_logprobs = (tops, tlps) if any_top else ([], [])


def digest(cols: dict[str, np.ndarray]) -> bytes:
    """sha256 over a canonical encoding of one response's columns: its token count, then each column's
    little-endian values in COLUMNS order — the same whether the columns came from a record in memory or
    from the file."""
    h = hashlib.sha256(np.uint32(len(cols["token_id"])).tobytes())
    for c in COLUMNS:
        h.update(np.ascontiguousarray(cols[c]).astype(cols[c].dtype.newbyteorder("<"), copy=False).tobytes())
    return h.digest()


def record_hash(line: bytes, token_digests: Sequence[bytes]) -> str:
    """The per-record hash of the index: the JSON line alone for records without tokens in the store (as in
    pack version 1), else the line followed by its responses' token digests."""
    if not token_digests:
        return hashlib.sha256(line).hexdigest()
    h = hashlib.sha256(line)
    h.update(b"\n")
    for d in token_digests:
        h.update(d)
    return h.hexdigest()


# -- the stream -------------------------------------------------------------------------------------------
def batch_message(columns: Sequence[dict[str, np.ndarray]]) -> bytes:
    """Responses' columns as one record batch, serialised as an IPC message to append to a stream."""
    import pyarrow as pa

    sch = schema()
    arrays = [pa.array(np.concatenate([c[name] for c in columns]), type=sch.field(name).type) for name in COLUMNS]
    batch = pa.RecordBatch.from_arrays(arrays, schema=sch)
    bio = io.BytesIO()
    writer = pa.ipc.new_stream(bio, sch, options=pa.ipc.IpcWriteOptions(compression=pa.Codec("zstd", compression_level=9)))
    writer.write_batch(batch)
    data, head = bio.getvalue(), header()
    if not data.startswith(head):  # the stream writer always leads with the schema message
        raise RuntimeError("unexpected Arrow stream layout")
    return data[len(head):]


def append(path: Path, columns: Sequence[dict[str, np.ndarray]]) -> None:
    """Append one batch (writing the header first for a new stream), flushed and synced."""
    data = batch_message(columns)
    new = not path.exists() or path.stat().st_size == 0
    with open(path, "ab") as fh:
        if new:
            fh.write(header())
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def batch_ends(path: Path) -> tuple[list[tuple[int, int]], int]:
    """[(byte offset after batch i, tokens up to and including it)], and the offset where whole messages
    end (a torn last batch starts there)."""
    import pyarrow as pa

    ends: list[tuple[int, int]] = []
    tokens, good = 0, 0
    sch = schema()
    with pa.OSFile(str(path)) as src:
        reader = pa.ipc.MessageReader.open_stream(src)
        while True:
            try:
                msg = reader.read_next_message()
            except (StopIteration, pa.ArrowInvalid, OSError, EOFError):
                break
            if msg is None:
                break
            if msg.type == "record batch":
                try:
                    tokens += pa.ipc.read_record_batch(msg, sch).num_rows
                except (pa.ArrowInvalid, OSError):
                    break
                good = src.tell()
                ends.append((good, tokens))
            else:
                good = src.tell()
    return ends, good


def truncate(path: Path, size: int) -> None:
    with open(path, "rb+") as fh:
        fh.truncate(size)


class Reader:
    """Consumes a stream response by response: `take(n)` gives the next n tokens' columns (numpy views into
    the current batch where they fit in it)."""

    def __init__(self, path: Path):
        self._batches = _batches(path) if path.exists() else iter(())
        self._cols: dict[str, np.ndarray] | None = None
        self._pos = 0

    def _next(self) -> bool:
        batch = next(self._batches, None)
        if batch is None:
            return False
        self._cols = {c: batch.column(c).to_numpy(zero_copy_only=False) for c in COLUMNS}
        self._pos = 0
        return True

    def take(self, n: int) -> dict[str, np.ndarray] | None:
        """The next n tokens' columns, or None when the stream ends first."""
        parts: list[dict[str, np.ndarray]] = []
        need = n
        while need > 0 or not parts:
            if self._cols is None or self._pos >= len(self._cols["token_id"]):
                if not self._next():
                    return None if need > 0 else _concat(parts)
                continue
            avail = len(self._cols["token_id"]) - self._pos
            k = min(need, avail)
            parts.append({c: v[self._pos:self._pos + k] for c, v in self._cols.items()})
            self._pos += k
            need -= k
            if need == 0:
                break
        return _concat(parts)


def _concat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    if len(parts) == 1:
        return parts[0]
    return {c: np.concatenate([p[c] for p in parts]) for c in COLUMNS}


def _batches(path: Path) -> Iterator[Any]:
    """Every whole record batch of a stream (a torn tail ends the iteration)."""
    import pyarrow as pa

    reader = pa.ipc.open_stream(pa.OSFile(str(path)))
    while True:
        try:
            yield reader.read_next_batch()
        except StopIteration:
            return
        except (pa.ArrowInvalid, OSError):
            return
