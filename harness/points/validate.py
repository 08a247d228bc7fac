"""The one validator of every number and label `harness score` reads, whatever the route (CSV, YAML, a pack's
summary.json, teams.yaml): each check raises a DataError naming the file and the row or field, so no bad cell
reaches the arithmetic and no output holds a NaN or an out-of-range number."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from harness.errors import ConfigError, DataError
from harness.paths import CONFIG_DIR
from harness.points.sheets import key


@dataclass(frozen=True)
class Where:
    """A cell or a field: `file` and `field` ("row 7, score", "scores.kmmlu", "benchmarks.kmmlu.mean")."""

    file: Path
    field: str

    def error(self, message: str) -> DataError:
        return DataError(message, file=self.file, field=self.field)

    @classmethod
    def cell(cls, file: Path, row: int, column: str) -> Where:
        return cls(file, f"row {row}, {column}")


_EXCEL_ERRORS = re.compile(r"^#(DIV/0!|N/A|VALUE!|REF!|NAME\?|NUM!|NULL!|SPILL!|CALC!)", re.I)


def number(value: Any, where: Where, what: str) -> float:
    """A finite number from a cell or a YAML/JSON value. Refused, never guessed: blank, '85%', '85,5' (a
    decimal comma or a thousands separator: which?), Excel errors, NaN, infinity, true/false."""
    if isinstance(value, bool) or value is None:
        raise where.error(f"{what} is {'empty' if value is None else repr(value)}; a number is required")
    if isinstance(value, (int, float)):
        x = float(value)
    else:
        text = str(value).strip()
        if not text:
            raise where.error(f"{what} is empty; a number is required")
        if _EXCEL_ERRORS.match(text):
            raise where.error(f"{what} is the Excel error {text!r}: fix the formula in the sheet")
        if text.endswith("%"):
            raise where.error(f"{what} {text!r} has a percent sign: write the number alone ({text.rstrip('% ')})")
        if "," in text:
            raise where.error(f"{what} {text!r} has a comma: write a decimal point and no thousands separator (85.5, not 85,5)")
        try:
            x = float(text)
        except ValueError:
            raise where.error(f"{what} {text!r} is not a number") from None
    if not math.isfinite(x):
        raise where.error(f"{what} is {x}; a finite number is required")
    return x


def bounded(value: Any, where: Where, what: str, lo: float, hi: float, *, low_open: bool = False, whole: bool = False) -> float:
    x = number(value, where, what)
    if x > hi or x < lo or (low_open and x == lo):
        span = f"({lo:g}, {hi:g}]" if low_open else f"{lo:g}–{hi:g}"
        raise where.error(f"{what} {x:g} is outside {span}")
    if whole and x != int(x):
        raise where.error(f"{what} {x:g} is not a whole number in {lo:g}–{hi:g}")
    return x


def score(value: Any, where: Where) -> float:
    """A benchmark score on the 0–100 scale."""
    return bounded(value, where, "score", 0, 100)


def target(value: Any, where: Where) -> float:
    """The target model's score A: it divides B, so 0 is refused; the scale is 0–100."""
    return bounded(value, where, "target score A", 0, 100, low_open=True)


def not_fractions(values: list[float], where: Where) -> None:
    """Scores of 0–1 where 0–100 is meant (0.855 for 85.5%) would pass every range check and give a tiny total."""
    if len(values) >= 3 and all(v <= 1 for v in values):
        raise where.error(f"all {len(values)} scores are between 0 and 1: they look like fractions; write percentages (0–100)")


def text(value: Any, where: Where, what: str) -> str:
    t = "" if value is None else str(value).strip()
    if not t:
        raise where.error(f"{what} is empty" + (" (a merged cell? every row needs its own value)" if where.field.startswith("row ") else ""))
    return t


@lru_cache(maxsize=4)
def known_suites(config_dir: str = str(CONFIG_DIR)) -> dict[str, str]:
    """Suite labels a score may carry, by `key`: every suite config's file name, group folder and `name:`."""
    out: dict[str, str] = {}
    root = Path(config_dir, "suite")
    for path in sorted(root.rglob("*.yaml")):
        names = {path.stem} | ({path.parent.name} if path.parent != root else set())
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if isinstance(doc, dict) and isinstance(doc.get("name"), str):
            names.add(doc["name"])
        out.update({key(n): n for n in names})
    return out


def suite(value: Any, where: Where) -> str:
    """A suite label, required (the NIA section is chosen by it) and known (a typo would drop a score silently)."""
    label = text(value, where, "suite")
    known = known_suites()
    if key(label) not in known:
        raise where.error(f"unknown suite {label!r}; known: {sorted(set(known.values()))}")
    return known[key(label)]


class TeamNames:
    """teams.yaml's names, and the variants a sheet may write them in ('team a', ' Team  A', 'Ｔｅａｍ Ａ')."""

    def __init__(self, names: list[str], teams_file: Path):
        self.names = list(names)
        self._by_key: dict[str, str] = {}
        for i, n in enumerate(names):
            if key(n) in self._by_key:
                raise ConfigError(f"team names {self._by_key[key(n)]!r} and {n!r} differ only in case or spacing; sheets could not tell them apart",
                                  file=teams_file, field=f"teams.{i}.name")
            self._by_key[key(n)] = n

    def by_key(self) -> dict[str, str]:
        """Each team's compared form (`key`) → its name: how a sheet's column headers find the teams."""
        return dict(self._by_key)

    def match(self, value: Any, where: Where) -> str:
        name = text(value, where, "team")
        if key(name) not in self._by_key:
            raise where.error(f"team {name!r} is not in the teams file (teams: {self.names})")
        return self._by_key[key(name)]

    def all_present(self, found: set[str], where: Where, sheet: str) -> None:
        missing = [n for n in self.names if n not in found]
        if missing:
            raise where.error(f"team(s) {missing} have no rows in the {sheet} sheet; every team must be rated "
                              "(a team left out would get 0 points)")
