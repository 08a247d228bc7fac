"""`History`: the packs of nightly (or any) runs in one database, one entry per pack (its run id).

    with History.open("results/history.sqlite") as h:     # or a server URL: postgresql://…
        entry_id = h.add("results/sample-tiny-4e350dff")   # again: the same entry_id, nothing added
        h.entries(); h.trend(suite="sample")

Adding is idempotent: a pack already there (same run id, same manifest sha256) is one entry; a pack whose
manifest changed since it was added is refused (bad input), so an entry always describes one pack state. A
night that failed is an entry too (`add_failed`: status "failed" and the reason); the same run finishing
later replaces it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
from pathlib import Path
from typing import Any

from harness.errors import RecordError
from harness.history.db import Connection, connect
from harness.history.read import benchmark_rows, entry_of, sample_rows, step_of

_ENTRY_COLUMNS = ("entry_id", "run_id", "status", "reason", "added_at", "pack", "manifest_sha256", "created", "suite", "model",
                  "checkpoint", "step", "config_hash", "model_hashes", "data_revisions", "engine", "hardware", "verdict")
_BENCH_COLUMNS = ("entry_id", "benchmark", "metric", "area", "n_items", "n_runs", "mean", "se", "ci_low", "ci_high", "run_scores", "complete")
_SAMPLE_COLUMNS = ("entry_id", "benchmark", "sample_id", "run", "value", "unscored")
_BATCH = 20_000


def entry_id_of(run_id: str) -> str:
    """An entry's id: the first 12 hex of sha256(run id), the same in every history."""
    return hashlib.sha256(run_id.encode()).hexdigest()[:12]


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


def _insert(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})"


class History:
    def __init__(self, conn: Connection, location: str):
        self._db, self.location = conn, location

    @classmethod
    def open(cls, location: str | Path) -> History:
        return cls(connect(location), str(location))

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- writing --------------------------------------------------------------------------------------------
    def _existing(self, run_id: str) -> dict[str, Any] | None:
        rows = self._db.query("SELECT * FROM entries WHERE run_id = :r", {"r": run_id})
        return rows[0] if rows else None

    def _delete(self, entry_id: str) -> None:
        for table in ("samples", "benchmarks", "entries"):
            self._db.execute(f"DELETE FROM {table} WHERE entry_id = :e", {"e": entry_id})

    def add(self, pack: str | Path, *, checkpoint: str | None = None, step: int | None = None) -> str:
        """Add a finished pack (its entry, benchmarks' scores and every sample-run's metric); its entry id."""
        entry = entry_of(Path(pack), checkpoint=checkpoint, step=step)
        entry_id = entry_id_of(entry["run_id"])
        old = self._existing(entry["run_id"])
        if old is not None and old["status"] == "ok":
            if old["manifest_sha256"] == entry["manifest_sha256"]:
                return old["entry_id"]
            raise RecordError(
                f"pack {entry['run_id']} is in the history (entry {old['entry_id']}, added {old['added_at']}) with manifest sha256 "
                f"{old['manifest_sha256'][:16]}…, and this pack's manifest is {entry['manifest_sha256'][:16]}…: it changed after it "
                "was added. The history keeps the pack as it was; add a new run under another run id", file=Path(pack) / "manifest.json",
                field="manifest_sha256")
        try:
            if old is not None:  # a failed night of the same run, now finished
                self._delete(old["entry_id"])
            self._db.execute(_insert("entries", _ENTRY_COLUMNS), {**entry, "entry_id": entry_id, "status": "ok", "reason": None, "added_at": _now()})
            self._db.executemany(_insert("benchmarks", _BENCH_COLUMNS),
                                 [tuple({**b, "entry_id": entry_id}[c] for c in _BENCH_COLUMNS) for b in benchmark_rows(Path(pack))])
            rows = sample_rows(Path(pack), entry_id)  # tuples in _SAMPLE_COLUMNS order
            sql = _insert("samples", _SAMPLE_COLUMNS)
            while batch := list(itertools.islice(rows, _BATCH)):
                self._db.executemany(sql, batch)
            self._db.commit()
        except BaseException:
            self._db.rollback()
            raise
        return entry_id

    def add_failed(self, run_id: str, reason: str, *, pack: str | Path | None = None, suite: str | None = None,
                   model: str | None = None, checkpoint: str | None = None, step: int | None = None,
                   config_hash: str | None = None) -> str:
        """Record a run that did not finish (a crashed checkpoint, a failed night) with its reason. A run that
        is in the history as finished is left as it is."""
        entry_id = entry_id_of(run_id)
        old = self._existing(run_id)
        if old is not None and old["status"] == "ok":
            return old["entry_id"]
        row = dict.fromkeys(_ENTRY_COLUMNS)
        row.update(entry_id=entry_id, run_id=run_id, status="failed", reason=reason[:4000], added_at=_now(),
                   pack=None if pack is None else str(Path(pack).resolve()), suite=suite, model=model, checkpoint=checkpoint,
                   step=step if step is not None else step_of(checkpoint), config_hash=config_hash)
        try:
            if old is not None:
                self._delete(old["entry_id"])
            self._db.execute(_insert("entries", _ENTRY_COLUMNS), row)
            self._db.commit()
        except BaseException:
            self._db.rollback()
            raise
        return entry_id

    # -- reading --------------------------------------------------------------------------------------------
    def entries(self, suite: str | None = None) -> list[dict[str, Any]]:
        """Every entry, oldest first: entry_id, added_at, run_id, suite, model, checkpoint, step, config_hash,
        verdict (of verification), status (ok | failed), reason, pack, manifest_sha256."""
        where, params = ("WHERE suite = :s", {"s": suite}) if suite else ("", {})
        rows = self._db.query(f"SELECT * FROM entries {where} ORDER BY added_at, entry_id", params)
        for r in rows:
            for key in ("model_hashes", "data_revisions", "engine", "hardware"):
                r[key] = json.loads(r[key]) if r[key] else None
        return rows

    def entry(self, ref: str) -> dict[str, Any] | None:
        """An entry by id (or a unique prefix of it) or run id, with its benchmarks; None when absent."""
        found = [e for e in self.entries() if e["entry_id"] == ref or e["run_id"] == ref]
        if not found and len(ref) >= 4:
            found = [e for e in self.entries() if e["entry_id"].startswith(ref)]
        if len(found) != 1:
            return None
        entry = found[0]
        entry["benchmarks"] = self._db.query("SELECT * FROM benchmarks WHERE entry_id = :e ORDER BY benchmark", {"e": entry["entry_id"]})
        for b in entry["benchmarks"]:
            b["run_scores"] = json.loads(b["run_scores"]) if b["run_scores"] else None
            b["complete"] = bool(b["complete"])
        return entry

    def pack_of(self, ref: str) -> str | None:
        entry = self.entry(ref)
        return None if entry is None else entry["pack"]

    def latest(self, *, suite: str | None = None, exclude: str | None = None) -> dict[str, Any] | None:
        """The newest finished entry (of a suite), other than `exclude` (an entry id): last night's baseline."""
        ok = [e for e in self.entries(suite) if e["status"] == "ok" and e["entry_id"] != exclude]
        return ok[-1] if ok else None

    def n_samples(self, entry_id: str) -> int:
        return int(self._db.query("SELECT COUNT(*) AS n FROM samples WHERE entry_id = :e", {"e": entry_id})[0]["n"])

    def trend(self, suite: str | None = None) -> list[dict[str, Any]]:
        """One row per (entry, benchmark), oldest entry first: entry_id, added_at, checkpoint, step, benchmark,
        mean, ci_low, ci_high, n_items, status. A failed entry gives one row with benchmark and scores None."""
        where, params = ("WHERE e.suite = :s", {"s": suite}) if suite else ("", {})
        rows = self._db.query(
            "SELECT e.entry_id, e.added_at, e.checkpoint, e.step, b.benchmark, b.mean, b.ci_low, b.ci_high, b.n_items, e.status "
            f"FROM entries e LEFT JOIN benchmarks b ON b.entry_id = e.entry_id {where} ORDER BY e.added_at, e.entry_id, b.benchmark", params)
        return rows
