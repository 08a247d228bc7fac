"""Reading what `harness score` is given: teams.yaml, evidence packs, plain scores, expert and user sheets,
lineage reports. Every error names the file and the row or field; nothing is computed from bad input."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.errors import ConfigError, DataError, RecordError


class IndividualTargets(BaseModel):
    model_config = ConfigDict(extra="forbid")
    target_model: str
    targets: dict[str, float | None]  # benchmark → the target model's published score A (0–100)


class TeamEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    packs: list[str] = Field(default_factory=list)
    scores: list[str] = Field(default_factory=list)
    individual: IndividualTargets | None = None
    lineage: list[str] = Field(default_factory=list)
    independent: bool = True
    independence_note: str | None = None


class TeamsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    teams: list[TeamEntry]
    experts: str | None = None
    users: str | None = None


@dataclass
class Score:
    benchmark: str
    score: float  # 0–100
    suite: str | None
    area: str | None
    source: str  # where it came from: a pack (with its verification) or a plain-score file and its note


@dataclass
class Team:
    name: str
    scores: dict[str, Score] = field(default_factory=dict)
    targets: IndividualTargets | None = None
    ineligible: list[str] = field(default_factory=list)  # reasons
    lineage_reports: list[dict[str, Any]] = field(default_factory=list)


def _yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise DataError(f"cannot read ({err.strerror})", file=path) from None
    except yaml.YAMLError as err:
        raise DataError(f"not valid YAML ({err})", file=path) from None


def load_teams_file(path: Path) -> TeamsFile:
    try:
        teams = TeamsFile.model_validate(_yaml(path))
    except ValidationError as err:
        first = err.errors()[0]
        raise ConfigError(first["msg"], file=path, field=".".join(map(str, first["loc"]))) from None
    names = [t.name for t in teams.teams]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"team(s) {dupes} listed twice", file=path, field="teams")
    return teams


def newest_verification(pack: Path) -> dict[str, Any] | None:
    reports = []
    for p in sorted((pack / "verification").glob("*.json")):
        try:
            doc = json.loads(p.read_text())
        except ValueError:
            raise RecordError("not valid JSON", file=p) from None
        reports.append((str(doc.get("created", "")), p.name, doc))
    return max(reports)[2] if reports else None


def pack_scores(pack: Path, require_verified: bool) -> list[Score]:
    summary_path = pack / "summary.json"
    if not summary_path.is_file():
        raise RecordError("no summary.json: not a finished evidence pack", file=pack)
    summary = json.loads(summary_path.read_text())
    verification = newest_verification(pack)
    verdict = verification.get("verdict") if verification else None
    if require_verified and verdict != "PASS":
        why = "has no verification" if verification is None else f"newest verification is {verdict}"
        raise RecordError(f"{why}; only packs verified PASS count (scoring.require_verified=false to override)", file=pack, field="verification")
    source = f"pack {pack.name} ({'verified ' + verdict if verdict else 'unverified'})"
    out = []
    for name, b in summary.get("benchmarks", {}).items():
        if not b.get("complete"):
            raise RecordError(f"benchmark {name} is incomplete in this pack", file=summary_path, field=f"benchmarks.{name}")
        out.append(Score(name, float(b["mean"]), summary.get("suite"), b.get("area"), source))
    return out


def plain_scores(path: Path) -> list[Score]:
    """Scores run elsewhere: YAML {suite, source, scores: {benchmark: score | {score, area}}} or CSV with
    columns benchmark, score[, suite, area, source]. A source note is required."""
    if path.suffix == ".csv":
        rows = _csv(path, required=("benchmark", "score", "source"))
        return [Score(r["benchmark"], _number(r["score"], path, n, "score"), r.get("suite") or None, r.get("area") or None, f"{path.name}: {r['source']}") for n, r in rows]
    doc = _yaml(path)
    if not isinstance(doc, dict) or not doc.get("source") or not isinstance(doc.get("scores"), dict):
        raise DataError("needs a `source` note and a `scores` mapping", file=path, field="source" if isinstance(doc, dict) and not doc.get("source") else "scores")
    out = []
    for name, v in doc["scores"].items():
        value, area = (v.get("score"), v.get("area")) if isinstance(v, dict) else (v, None)
        if not isinstance(value, (int, float)) or not 0 <= value <= 100:
            raise DataError(f"score {value!r} is not a number in 0–100", file=path, field=f"scores.{name}")
        out.append(Score(name, float(value), doc.get("suite"), area, f"{path.name}: {doc['source']}"))
    return out


def _csv(path: Path, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in required if c not in (reader.fieldnames or [])]
            if missing:
                raise DataError(f"missing column(s) {missing}", file=path, field="header")
            return [(n, {k: (v or "").strip() for k, v in row.items()}) for n, row in enumerate(reader, start=2)]
    except OSError as err:
        raise DataError(f"cannot read ({err.strerror})", file=path) from None


def _number(text: str, path: Path, row: int, column: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise DataError(f"row {row}: {column} {text!r} is not a number", file=path, field=f"row {row}") from None


def read_sheet(path: Path, kind: str) -> list[tuple[int, dict[str, Any]]]:
    """Expert sheet (evaluator, team, criterion, score) or user sheet (user, team, rating), with numbers parsed."""
    cols = ("evaluator", "team", "criterion", "score") if kind == "expert" else ("user", "team", "rating")
    value_col = cols[-1]
    return [(n, {**r, value_col: _number(r[value_col], path, n, value_col)}) for n, r in _csv(path, cols)]


def lineage_report(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text())
    except OSError as err:
        raise DataError(f"cannot read ({err.strerror})", file=path) from None
    except ValueError:
        raise DataError("not valid JSON", file=path) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("components"), list):
        raise DataError("not a lineage report: no `components` list", file=path, field="components")
    return doc
