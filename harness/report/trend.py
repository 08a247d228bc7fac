"""The trend page: each benchmark's mean over the nights of a history store (`harness history`), with CI bands."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.report import charts


@dataclass
class Nights:
    location: str
    suite: str | None
    entries: list[dict[str, Any]]
    rows: list[dict[str, Any]]


def read(location: str, suite: str | None = None) -> Nights:
    from pathlib import Path

    from harness.errors import ConfigError
    from harness.history import History

    if "://" not in str(location) and not Path(location).expanduser().exists():  # opening would create an empty one
        raise ConfigError(f"no history at {location} (`harness history add PACK…` makes one)", field="history")
    store = History.open(location)
    try:
        entries = [e for e in store.entries() if suite is None or e.get("suite") == suite]
        return Nights(str(location), suite, entries, store.trend(suite))
    finally:
        store.close()


def write_page(w: Any, nights: Nights) -> None:
    w.page("trend.html", "trend.html.j2", "Trend", plots=True, suite=nights.suite, location=nights.location,
           entries=nights.entries, chart=charts.trend(nights.rows))
