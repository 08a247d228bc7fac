"""Errors a user can act on. Each names the file and field at fault; the CLI turns them into exit code 2."""

from __future__ import annotations

from pathlib import Path


class HarnessError(Exception):
    """Bad input: a config, dataset, model path or record. Raised before any model loads where possible."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | Path | None = None, field: str | None = None):
        self.message = message
        self.file = str(file) if file is not None else None
        self.field = field
        where = ", ".join(p for p in (self.file and f"file {self.file}", field and f"field {field}") if p)
        super().__init__(f"{where}: {message}" if where else message)


class ConfigError(HarnessError):
    """A config value is missing, unknown or out of range."""


class DataError(HarnessError):
    """A dataset or sample file is missing or malformed."""


class RecordError(HarnessError):
    """An evidence pack or record is missing, malformed or inconsistent."""
