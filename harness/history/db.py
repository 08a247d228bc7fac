"""The history's database: SQLite by default (a file, no server), any SQLAlchemy URL for a shared one.

SQLite because a nightly job and the people reading its history run at the same time: SQLite lets many
processes read while one writes (WAL) and ships with Python, where DuckDB allows one writing process and no
readers beside it. A URL (`postgresql://user@host/db`, `sqlite:///path`) goes through SQLAlchemy with the
same SQL: named parameters (`:name`) and types both speak.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from harness.errors import ConfigError

SCHEMA_VERSION = 1
_PARAM = re.compile(r":(\w+)")

DDL = (
    "CREATE TABLE IF NOT EXISTS history_meta (key TEXT PRIMARY KEY, value TEXT)",
    """CREATE TABLE IF NOT EXISTS entries (
        entry_id TEXT PRIMARY KEY, run_id TEXT NOT NULL UNIQUE, status TEXT NOT NULL, reason TEXT, added_at TEXT NOT NULL,
        pack TEXT, manifest_sha256 TEXT, created TEXT, suite TEXT, model TEXT, checkpoint TEXT, step BIGINT, config_hash TEXT,
        model_hashes TEXT, data_revisions TEXT, engine TEXT, hardware TEXT, verdict TEXT)""",
    """CREATE TABLE IF NOT EXISTS benchmarks (
        entry_id TEXT NOT NULL, benchmark TEXT NOT NULL, metric TEXT, area TEXT, n_items INTEGER, n_runs INTEGER,
        mean DOUBLE PRECISION, se DOUBLE PRECISION, ci_low DOUBLE PRECISION, ci_high DOUBLE PRECISION, run_scores TEXT,
        complete INTEGER, PRIMARY KEY (entry_id, benchmark))""",
    """CREATE TABLE IF NOT EXISTS samples (
        entry_id TEXT NOT NULL, benchmark TEXT NOT NULL, sample_id TEXT NOT NULL, run INTEGER NOT NULL,
        value DOUBLE PRECISION, unscored TEXT)""",
    "CREATE INDEX IF NOT EXISTS samples_by_entry ON samples (entry_id, benchmark)",
)


class Connection(Protocol):
    """What the history needs of a database: named-parameter SQL, many rows at once, rows as dicts."""

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> None: ...
    def executemany(self, sql: str, rows: Iterable[tuple]) -> None:
        """Rows as tuples, in the order of the SQL's `:name` parameters."""
    def query(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def close(self) -> None: ...


class SqliteConnection:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), timeout=60, isolation_level="DEFERRED")
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")  # readers beside the nightly writer
        self._db.execute("PRAGMA synchronous=NORMAL")

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> None:
        self._db.execute(sql, params or {})

    def executemany(self, sql: str, rows: Iterable[tuple]) -> None:
        self._db.executemany(_PARAM.sub("?", sql), rows)  # positional binding: a third faster than by name

    def query(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return [dict(r) for r in self._db.execute(sql, params or {}).fetchall()]

    def commit(self) -> None:
        self._db.commit()

    def rollback(self) -> None:
        self._db.rollback()

    def close(self) -> None:
        self._db.close()


class SqlAlchemyConnection:
    """A server database (or any SQLAlchemy URL). Needs `pip install 'harness[history-server]'`."""

    def __init__(self, url: str):
        try:
            import sqlalchemy
        except ImportError:
            raise ConfigError(f"history at {url!r} needs SQLAlchemy and the database's driver: pip install 'harness[history-server]' "
                              "(docs/nightly.md)", field="history.location") from None
        self._sa = sqlalchemy
        try:
            self._engine = sqlalchemy.create_engine(url)
            self._conn = self._engine.connect()
        except Exception as err:  # a bad URL or an unreachable server is the user's to fix
            raise ConfigError(f"cannot open the history database {url!r}: {type(err).__name__}: {err}", field="history.location") from None
        self._tx = self._conn.begin()

    def _text(self, sql: str):
        return self._sa.text(sql)

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> None:
        self._conn.execute(self._text(sql), params or {})

    def executemany(self, sql: str, rows: Iterable[tuple]) -> None:
        names = _PARAM.findall(sql)
        rows = [dict(zip(names, r)) for r in rows]
        if rows:
            self._conn.execute(self._text(sql), rows)

    def query(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return [dict(r._mapping) for r in self._conn.execute(self._text(sql), params or {})]

    def commit(self) -> None:
        self._tx.commit()
        self._tx = self._conn.begin()

    def rollback(self) -> None:
        self._tx.rollback()
        self._tx = self._conn.begin()

    def close(self) -> None:
        self._tx.commit()
        self._conn.close()
        self._engine.dispose()


def connect(location: str | Path) -> Connection:
    """A path (SQLite file, made on first use) or a URL (`scheme://…`, through SQLAlchemy)."""
    text = str(location)
    if "://" in text:
        conn: Connection = SqlAlchemyConnection(text)
    else:
        path = Path(text).expanduser()
        if path.exists() and not path.is_file():
            raise ConfigError(f"{path} is not a file", file=path, field="history.location")
        if path.is_file() and path.stat().st_size and not _is_sqlite(path):
            raise ConfigError(f"{path} exists and is not a history database; it is left as it is. Choose another history.location",
                              file=path, field="history.location")
        conn = SqliteConnection(path)
    for stmt in DDL:
        conn.execute(stmt)
    found = conn.query("SELECT value FROM history_meta WHERE key = 'schema_version'")
    if not found:
        conn.execute("INSERT INTO history_meta (key, value) VALUES ('schema_version', :v)", {"v": str(SCHEMA_VERSION)})
    elif int(found[0]["value"]) > SCHEMA_VERSION:
        raise ConfigError(f"history schema {found[0]['value']} is newer than this harness reads ({SCHEMA_VERSION})", file=text,
                          field="history.location")
    conn.commit()
    return conn


def _is_sqlite(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(16) == b"SQLite format 3\x00"
